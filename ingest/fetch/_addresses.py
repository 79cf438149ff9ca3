"""Which addresses citebot may connect to, and host names resolved once per client.

`address_problem` is the strict rule (chat): nothing private, loopback, link-local,
multicast, reserved or cloud metadata. `never_allowed` is what stays refused where private
addresses are allowed (link-local and metadata addresses serve instance credentials). IPv6
forms that reach an IPv4 host (mapped, 6to4, Teredo, NAT64) are judged by that host.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable

from ingest.fetch._errors import FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
AddressPolicy = Callable[[IPAddress], "str | None"]

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


class AddressBook:
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
