"""A guarded HTTP client for web ingestion: URLs from chat must not reach internal services.

Every connection goes through `_GuardedBackend`, an httpcore network backend that resolves
the host name itself (getaddrinfo, or a resolver stub in tests), refuses the connection when
any resolved address is private, loopback, link-local, multicast, reserved or a cloud
metadata address, and then connects to the very address it checked. Because the check sits
where sockets are opened, it covers the first request and every redirect hop alike, and a
DNS answer that changes between "check" and "connect" (DNS rebinding) cannot slip through.
Answers are also cached for the client's lifetime (one ingest batch), so a host keeps the
address it was checked with. Proxies from the environment are ignored: a proxy would make
the check meaningless.

Where private addresses are allowed (the operator's CLI, `watch`, CITEBOT_ALLOW_PRIVATE_URLS=1),
link-local and cloud metadata addresses are still refused, and each redirect hop is judged on
its own: a hop may go into the private network only when the host that sent the redirect is
itself private (a public site cannot steer citebot inside).

Bounds, so that no response can exhaust memory or time:
- size: the body is decoded here, not by httpx, with zlib's `max_length`, so citebot never
  holds more than CITEBOT_MAX_DOWNLOAD_MB (plus one network read) however well it compresses;
  only `identity`, `gzip` and `deflate` are accepted, one layer at most (stacked or other
  encodings, such as zstd or br, are refused unread);
- time: one deadline per fetch (3 × CITEBOT_HTTP_TIMEOUT), redirects, headers and body
  included, enforced on every socket read and write (`_DeadlineStream`), so a server that
  trickles bytes cannot hold a fetch open.

Redirects are followed by hand (at most `MAX_REDIRECTS`, http/https only), and every failure
becomes a `FetchError` whose message is the reason shown to the user.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from config import Settings
from ingest.documents import DOCUMENT_MEDIA_TYPES

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
AddressPolicy = Callable[[IPAddress], "str | None"]

MAX_REDIRECTS = 5
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
ACCEPT = (
    "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,"
    "application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.1"
)
ACCEPT_ENCODING = "gzip, deflate"  # the encodings `_BodyDecoder` decodes with an output bound
DEADLINE_TIMEOUTS = 3  # a whole fetch may take this many CITEBOT_HTTP_TIMEOUTs

# Cloud metadata endpoints. Most are link-local anyway; Azure's wire server is not.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean…
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.123",  # AWS time sync
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure wire server (a public address)
        "fd00:ec2::254",  # AWS over IPv6
    )
)

_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # reaches the IPv4 address in its last 32 bits


def _user_agent() -> str:
    try:
        release = version("citebot")
    except PackageNotFoundError:
        release = "dev"
    return f"citebot/{release} (+https://github.com/citebot)"


USER_AGENT = _user_agent()


class FetchError(Exception):
    """A URL could not be fetched; the message is the reason reported for that URL."""


class BlockedAddress(FetchError):
    """The host resolves to an address that citebot must not connect to."""


def _reached(ip: IPAddress) -> IPAddress:
    """The IPv4 host an IPv6 address actually reaches (mapped, 6to4, Teredo, NAT64), or `ip`."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return embedded
    return ip


def never_allowed(ip: IPAddress) -> str | None:
    """Why `ip` is refused even where private addresses are allowed, or None.

    Link-local and cloud metadata addresses serve instance credentials: no setting opens them.
    """
    ip = _reached(ip)
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_link_local:
        return "a link-local address"
    return None


def address_problem(ip: IPAddress) -> str | None:
    """Why citebot must not connect to `ip` (e.g. "a private address"), or None if it may."""
    ip = _reached(ip)
    refused = never_allowed(ip)
    if refused:
        return refused
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_private:
        return "a private address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return "a non-public address"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """Every address getaddrinfo gives for `host` (IPv4 and IPv6), in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class _AddressBook:
    """Resolutions cached for the life of one client, so a host keeps its checked address."""

    def __init__(self, resolver: Resolver) -> None:
        self._resolver = resolver
        self._answers: dict[tuple[str, int], list[IPAddress]] = {}
        self._lock = threading.Lock()

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        key = (host.lower().strip("[]"), port)
        with self._lock:
            if key in self._answers:
                return self._answers[key]
        try:
            raw = self._resolver(key[0], port)
        except (OSError, UnicodeError) as exc:
            raise FetchError(f"cannot resolve host name {key[0]!r}") from exc
        addresses: list[IPAddress] = []
        for text in raw:
            try:
                # getaddrinfo gives scoped IPv6 link-local addresses as "fe80::1%eth0".
                addresses.append(ipaddress.ip_address(text.split("%", 1)[0]))
            except ValueError:
                continue
        if not addresses:
            raise FetchError(f"cannot resolve host name {key[0]!r}")
        with self._lock:
            return self._answers.setdefault(key, addresses)


class _GuardedBackend(httpcore.NetworkBackend):
    """Connects only to checked addresses (see the module docstring)."""

    def __init__(self, book: _AddressBook, allow_private: bool, policy: AddressPolicy) -> None:
        self._book = book
        self._allow_private = allow_private
        self._policy = policy
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._book.resolve(host, port)
        for ip in addresses:
            refused = never_allowed(ip)
            if refused:
                raise BlockedAddress(f"refused: {host} resolves to {ip}, {refused} (never fetched)")
            problem = None if self._allow_private else self._policy(ip)
            if problem:
                raise BlockedAddress(
                    f"refused: {host} resolves to {ip}, {problem} "
                    "(allowed only with CITEBOT_ALLOW_PRIVATE_URLS=1)"
                )
        failure: Exception | None = None
        for ip in addresses:
            try:
                stream = self._inner.connect_tcp(
                    str(ip), port, _within_deadline(timeout), local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
            else:
                return _DeadlineStream(stream)
        assert failure is not None
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise BlockedAddress("refused: unix sockets are never fetched")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _Deadline:
    """The end of the current fetch; `reached` records that a read was cut short by it."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds
        self.reached = False


_current_deadline: ContextVar[_Deadline | None] = ContextVar("citebot_fetch_deadline", default=None)


def _within_deadline(timeout: float | None) -> float | None:
    """`timeout`, shortened to what is left of the current fetch's deadline."""
    deadline = _current_deadline.get()
    if deadline is None:
        return timeout
    left = deadline.at - time.monotonic()
    if timeout is None or left < timeout:
        deadline.reached = True
        if left <= 0:
            raise httpcore.ReadTimeout("the fetch's deadline has passed")
        return left
    return timeout


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the current fetch's deadline.

    httpx's timeouts apply to each read: a server sending one byte per read, headers
    included, would otherwise never time out.
    """

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _within_deadline(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _within_deadline(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, _within_deadline(timeout))
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _OverCap(Exception):
    """The decoded body passed the size cap."""


class _BodyDecoder:
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
            raise _OverCap
        self.body += data


def _content_encoding(response: httpx.Response) -> str:
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


def _allowed_content_type(content_type: str) -> bool:
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
        self._book = _AddressBook(resolver or system_resolver)
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
        pool._network_backend = _GuardedBackend(self._book, allow_private, self._policy)
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
        deadline = _Deadline(DEADLINE_TIMEOUTS * self.timeout_s)
        token = _current_deadline.set(deadline)
        try:
            return self._fetch(url, etag, last_modified, private_ok, deadline)
        finally:
            _current_deadline.reset(token)

    def _fetch(
        self,
        url: str,
        etag: str | None,
        last_modified: str | None,
        private_ok: bool,
        deadline: _Deadline,
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
        self, url: str, final_url: str, response: httpx.Response, deadline: _Deadline
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
            if not _allowed_content_type(content_type):
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

    def _read_capped(self, response: httpx.Response, deadline: _Deadline) -> bytes:
        limit_mb = f"{self.max_bytes / 1e6:g}"
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(
                f"too large ({int(declared) / 1e6:.1f} MB declared > "
                f"CITEBOT_MAX_DOWNLOAD_MB={limit_mb})"
            )
        decoder = _BodyDecoder(_content_encoding(response), self.max_bytes)
        try:
            for raw in response.iter_raw():  # raw: decoded here, with an output bound
                decoder.feed(raw)
                if time.monotonic() > deadline.at:
                    raise FetchError(self._too_slow())
        except _OverCap:
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
