"""Loopback helpers."""

from __future__ import annotations

import socket

from aiohttp import web


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def serve_on_loopback(runner: web.AppRunner) -> int:
    """Serve a set-up aiohttp `runner` on 127.0.0.1 at a port the system picks; that port."""
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return int(runner.addresses[-1][1])
