"""`GuardedClient`: a GET with validators, redirects followed by hand, each hop guarded, and
every failure turned into a `FetchError` whose message is the reason shown to the user.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from config import Settings
from ingest.documents import DOCUMENT_MEDIA_TYPES
from ingest.fetch._addresses import (
    AddressBook,
    AddressPolicy,
    Resolver,
    address_problem,
    system_resolver,
)
from ingest.fetch._body import BodyDecoder, OverCap, content_encoding
from ingest.fetch._errors import FetchError
from ingest.fetch._network import Deadline, GuardedBackend, current_deadline

MAX_REDIRECTS = 5
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.1"
)
ACCEPT_ENCODING = "gzip, deflate"  # the encodings `BodyDecoder` decodes with an output bound
DEADLINE_TIMEOUTS = 3  # a whole fetch may take this many CITEBOT_HTTP_TIMEOUTs


def _user_agent() -> str:
    try:
        release = version("citebot")
    except PackageNotFoundError:
        release = "dev"
    return f"citebot/{release} (+https://github.com/citebot)"


USER_AGENT = _user_agent()


@dataclass(frozen=True)
class FetchResult:
    """A fetched resource (`not_modified`: the server answered 304 to a conditional request)."""

    url: str
    final_url: str
    status: int
    content_type: str
    charset: str | None
    body: bytes
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def allowed_content_type(content_type: str) -> bool:
    """Text, HTML and XML (feeds, sitemaps), PDF and Word files are read; images, archives…
    are not. A generic binary type may be a PDF: its body decides."""
    if not content_type or content_type in DOCUMENT_MEDIA_TYPES:
        return True  # decided by sniffing the body
    if content_type == "application/octet-stream":
        return True
    major, _, minor = content_type.partition("/")
    return (
        major == "text"
        or minor in {"xml", "xhtml+xml", "html"}
        or minor.endswith("+xml")
    )


class GuardedClient:
    """Fetches http(s) URLs with timeouts, a size cap, limited redirects and the address guard.

    With `allow_private=True` the client holds two connection pools: the strict one, used for
    URLs found on public sites, and a permissive one used only where the caller says the
    private network is intended (`fetch(..., private_ok=True)`).
    """

    def __init__(
        self,
        *,
        timeout_s: float,
        max_bytes: int,
        allow_private: bool = False,
        resolver: Resolver | None = None,
        policy: AddressPolicy = address_problem,
        max_redirects: int = MAX_REDIRECTS,
    ) -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.allow_private = allow_private
        self.max_redirects = max_redirects
        self._policy = policy
        self._book = AddressBook(resolver or system_resolver)
        self._strict = self._client(allow_private=False)
        self._permissive = self._client(allow_private=True) if allow_private else None

    @classmethod
    def from_settings(cls, settings: Settings, *, allow_private: bool, **kwargs: Any) -> GuardedClient:
        return cls(
            timeout_s=settings.http_timeout_s,
            max_bytes=int(settings.max_download_mb * 1_000_000),
            allow_private=allow_private,
            **kwargs,
        )

    def _client(self, *, allow_private: bool) -> httpx.Client:
        transport = httpx.HTTPTransport(retries=0)
        pool = getattr(transport, "_pool", None)
        if not isinstance(pool, httpcore.ConnectionPool) or not hasattr(pool, "_network_backend"):
            # Fail loudly rather than fetch without the guard if httpx changes its internals.
            raise RuntimeError("unsupported httpx version: cannot install the address guard")
        pool._network_backend = GuardedBackend(self._book, allow_private, self._policy)
        return httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(self.timeout_s),
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
        )

    def close(self) -> None:
        self._strict.close()
        if self._permissive is not None:
            self._permissive.close()

    def __enter__(self) -> GuardedClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def targets_private(self, url: str) -> bool:
        """True when `url`'s host resolves to an address the strict guard would refuse."""
        parts = urlsplit(url)
        if not parts.hostname:
            return False
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            return any(self._policy(ip) for ip in self._book.resolve(parts.hostname, port))
        except FetchError:
            return False

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        private_ok: bool = False,
    ) -> FetchResult:
        """GET `url` (conditionally when given validators); raises `FetchError` with the reason.

        `private_ok`: the first hop may reach a private address (see the module docstring).
        """
        deadline = Deadline(DEADLINE_TIMEOUTS * self.timeout_s)
        token = current_deadline.set(deadline)
        try:
            return self._fetch(url, etag, last_modified, private_ok, deadline)
        finally:
            current_deadline.reset(token)

    def _fetch(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        private_ok: bool,
        deadline: Deadline,
    ) -> FetchResult:
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        hop_private_ok = private_ok and self._permissive is not None
        current = url
        for _hop in range(self.max_redirects + 1):
            _check_url(current)
            client = self._permissive if hop_private_ok and self._permissive else self._strict
            try:
                with client.stream("GET", current, headers=headers) as response:
                    if response.status_code in REDIRECT_STATUSES and "location" in response.headers:
                        # A redirect is a link the host gave: it may lead into the private
                        # network only when that host is itself private.
                        hop_private_ok = hop_private_ok and self.targets_private(current)
                        current = urljoin(current, response.headers["location"]).split("#", 1)[0]
                        continue
                    return self._result(url, current, response, deadline)
            except FetchError:
                raise
            except httpx.TimeoutException as exc:
                if deadline.reached:
                    raise FetchError(self._too_slow()) from exc
                raise FetchError(f"timed out after {self.timeout_s:g} s") from exc
            except httpx.InvalidURL as exc:
                raise FetchError(f"invalid URL: {exc}") from exc
            except httpx.ConnectError as exc:
                raise FetchError(f"cannot connect: {_short(exc)}") from exc
            except httpx.HTTPError as exc:
                raise FetchError(f"download failed: {_short(exc)}") from exc
        raise FetchError(f"too many redirects (more than {self.max_redirects})")

    def _too_slow(self) -> str:
        return f"timed out after {DEADLINE_TIMEOUTS * self.timeout_s:g} s (download too slow)"

    def _result(
        self, url: str, final_url: str, response: httpx.Response, deadline: Deadline
    ) -> FetchResult:
        status = response.status_code
        if status >= 400:
            kind = "server error" if status >= 500 else "not available"
            raise FetchError(f"HTTP {status} {response.reason_phrase} ({kind})".replace("  ", " "))
        if status == 304:
            body = b""
        elif status != 200:
            raise FetchError(f"HTTP {status} {response.reason_phrase} (expected 200 OK)")
        content_type, charset = _parse_content_type(response.headers.get("content-type", ""))
        if status == 200:
            if not allowed_content_type(content_type):
                raise FetchError(
                    f"not a web page, feed, sitemap or document (content type {content_type})"
                )
            body = self._read_capped(response, deadline)
        return FetchResult(
            url=url,
            final_url=final_url,
            status=status,
            content_type=content_type,
            charset=charset,
            body=body,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
        )

    def _read_capped(self, response: httpx.Response, deadline: Deadline) -> bytes:
        limit_mb = f"{self.max_bytes / 1e6:g}"
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(
                f"too large ({int(declared) / 1e6:.1f} MB declared > "
                f"CITEBOT_MAX_DOWNLOAD_MB={limit_mb})"
            )
        decoder = BodyDecoder(content_encoding(response), self.max_bytes)
        try:
            for raw in response.iter_raw():  # raw: decoded here, with an output bound
                decoder.feed(raw)
                if time.monotonic() > deadline.at:
                    raise FetchError(self._too_slow())
        except OverCap:
            raise FetchError(f"too large (over CITEBOT_MAX_DOWNLOAD_MB={limit_mb} MB)") from None
        return bytes(decoder.body)


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise FetchError(f"not an http(s) URL: {url}")
    if not parts.hostname:
        raise FetchError(f"no host name in URL: {url}")
    if parts.username or parts.password:
        raise FetchError("URLs with credentials are not fetched")


def _parse_content_type(header: str) -> tuple[str, str | None]:
    media, *params = [p.strip() for p in header.split(";")]
    charset = None
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            charset = value.strip().strip("\"'").lower()
    return media.lower(), charset


def _short(exc: Exception) -> str:
    text = str(exc) or exc.__class__.__name__
    return text if len(text) <= 160 else text[:157] + "…"
