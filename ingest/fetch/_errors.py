"""The errors of fetching, apart so that every part of `ingest.fetch` can raise them."""


class FetchError(Exception):
    """A URL could not be fetched; the message is the reason reported for that URL."""


class BlockedAddress(FetchError):
    """The host resolves to an address that citebot must not connect to."""

