"""A response body read within bounds: at most the size cap, however well it compresses.

The body is decoded here, not by httpx, with zlib's `max_length`; only `identity`, `gzip`
and `deflate` are accepted, one layer at most (stacked or other encodings are refused unread).
"""

from __future__ import annotations

import zlib

import httpx

from ingest.fetch._errors import FetchError


class OverCap(Exception):
    """The decoded body passed the size cap."""


class BodyDecoder:
    """Decodes a body as it arrives, never producing more than `limit` + 1 bytes.

    httpx's own decoders have no output bound (a few KB of stacked gzip or zstd expand to
    gigabytes within one read); zlib's `max_length` gives one.
    """

    def __init__(self, encoding: str, limit: int) -> None:
        self._gzip = encoding == "gzip"
        self._wbits = zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS
        self._inflater = zlib.decompressobj(self._wbits) if encoding != "identity" else None
        self._first = True
        self._limit = limit
        self.body = bytearray()

    def feed(self, data: bytes) -> None:
        if self._inflater is None:
            self._keep(data)
            return
        while data:
            after_member = self._inflater.eof
            if after_member:
                if not self._gzip:
                    return  # bytes after a deflate stream's end are ignored
                self._inflater = zlib.decompressobj(self._wbits)  # the next gzip member
            try:
                out = self._inflater.decompress(data, self._limit + 1 - len(self.body))
            except zlib.error as exc:
                if after_member:
                    return  # trailing bytes that are not another member: ignored, as httpx does
                if self._first and not self._gzip:
                    # "deflate" is sent both zlib-wrapped (correct) and raw (common).
                    self._first = False
                    self._wbits = -zlib.MAX_WBITS
                    self._inflater = zlib.decompressobj(self._wbits)
                    continue
                raise FetchError(f"corrupt {'gzip' if self._gzip else 'deflate'} body") from exc
            self._first = False
            self._keep(out)
            data = self._inflater.unused_data if self._inflater.eof else self._inflater.unconsumed_tail

    def _keep(self, data: bytes) -> None:
        if len(self.body) + len(data) > self._limit:
            raise OverCap
        self.body += data


def content_encoding(response: httpx.Response) -> str:
    """The body's one encoding (`identity`, `gzip` or `deflate`); refuses anything else."""
    layers = [
        value.strip().lower()
        for value in response.headers.get_list("content-encoding", split_commas=True)
        if value.strip() and value.strip().lower() != "identity"
    ]
    layers = ["gzip" if layer == "x-gzip" else layer for layer in layers]
    if len(layers) > 1:
        raise FetchError(f"refused: stacked content encodings ({', '.join(layers)})")
    if layers and layers[0] not in {"gzip", "deflate"}:
        raise FetchError(f"refused: unsupported content encoding {layers[0]!r}")
    return layers[0] if layers else "identity"
