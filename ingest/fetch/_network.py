"""The connections of a guarded client: only to checked addresses, and within one deadline.

`GuardedBackend` is an httpcore network backend: it resolves the host itself (`AddressBook`),
refuses the connection when any address is refused by the policy, then connects to the very
address it checked, so every redirect hop is covered and DNS rebinding cannot slip through.
`DeadlineStream` ends every read and write by the current fetch's deadline, so a server that
trickles bytes (headers included) cannot hold a fetch open.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

import httpcore

from ingest.fetch._addresses import AddressBook, AddressPolicy, never_allowed
from ingest.fetch._errors import BlockedAddress


class GuardedBackend(httpcore.NetworkBackend):
    """Connects only to checked addresses (see the module docstring)."""

    def __init__(self, book: AddressBook, allow_private: bool, policy: AddressPolicy) -> None:
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
                    str(ip), port, within_deadline(timeout), local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
            else:
                return DeadlineStream(stream)
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


class Deadline:
    """The end of the current fetch; `reached` records that a read was cut short by it."""

    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds
        self.reached = False


current_deadline: ContextVar[Deadline | None] = ContextVar("citebot_fetch_deadline", default=None)


def within_deadline(timeout: float | None) -> float | None:
    """`timeout`, shortened to what is left of the current fetch's deadline."""
    deadline = current_deadline.get()
    if deadline is None:
        return timeout
    left = deadline.at - time.monotonic()
    if timeout is None or left < timeout:
        deadline.reached = True
        if left <= 0:
            raise httpcore.ReadTimeout("the fetch's deadline has passed")
        return left
    return timeout


class DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write ends by the current fetch's deadline.

    httpx's timeouts apply to each read: a server sending one byte per read, headers
    included, would otherwise never time out.
    """

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, within_deadline(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, within_deadline(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(ssl_context, server_hostname, within_deadline(timeout))
        return DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)
