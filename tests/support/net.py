"""Loopback helpers, and stopping the servers a test started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiohttp import web


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def refused_port() -> Iterator[int]:
    """A port on 127.0.0.1 that refuses connections while the block runs: bound, never
    listening, so no other test's server can take it meanwhile (a port merely found free
    was once taken by one that accepted and never answered)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield int(held.getsockname()[1])


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


@contextmanager
def http_server(routes: dict[str, tuple[int, str, bytes]]) -> Iterator[str]:
    """A plain HTTP server on 127.0.0.1 (a thread) answering GETs from `routes`
    (path → status, content type, body), 404 to any other path; yields its base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, kind, body = routes.get(self.path, (404, "text/html", b"<!DOCTYPE HTML>\n"))
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
