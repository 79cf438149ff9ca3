"""Loopback helpers, and stopping the servers a test started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess

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


def stop_process(process: subprocess.Popen[bytes] | None, grace_s: float = 30.0) -> None:
    """Stop a server a test started, by its pid: SIGTERM, then SIGKILL after `grace_s`."""
    if process is None or process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
