"""The `/healthz` endpoint of `citebot serve`, and the Docker HEALTHCHECK that calls it.

A bot process is healthy when its store answers: `GET /healthz` asks the store for its size on
every request (a count is cheap, also against a Chroma server) and returns

    200 {"status": "ok", "store": ..., "collection": ..., "chunks": N, "articles": N}
    503 {"status": "error", "store": ..., "collection": ..., "error": "..."}

The server is the standard library's, in a daemon thread, so it adds no dependency and never
blocks the chat adapters. `CITEBOT_HEALTH_PORT` picks the port (0 = no endpoint; tests pass
`port=0` to `start_health_server` for an ephemeral one) and `CITEBOT_HEALTH_HOST` the address
(127.0.0.1 by default; the Docker image listens on 0.0.0.0 so probes from outside reach it).

`python -m bot.health` is the image's HEALTHCHECK: it exits 0 when the local endpoint says ok.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from config import Settings, redact_secrets

log = logging.getLogger(__name__)

HEALTH_PATH = "/healthz"


class _HasStore(Protocol):
    def store(self, collection: str | None = None) -> Any: ...


@dataclass
class HealthServer:
    """A running (or disabled) health endpoint: `port` is None when there is none."""

    port: int | None
    host: str | None = None
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def url(self) -> str | None:
        if self.port is None:
            return None
        return f"http://{_client_host(self.host or '127.0.0.1')}:{self.port}{HEALTH_PATH}"

    def close(self) -> None:
        """Stop serving and free the port (safe to call twice)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def health_report(settings: Settings, answerer: _HasStore) -> tuple[int, dict[str, object]]:
    """The HTTP status and JSON body of one health check (the store is asked every time)."""
    # Lazy: the HEALTHCHECK imports this module and must start fast.
    from ingest.store import StoreUnavailable, describe_location

    where = describe_location(settings)
    body: dict[str, object] = {"status": "ok", "store": where, "collection": settings.collection}
    try:
        store = answerer.store(settings.collection)
        body["chunks"] = store.chunk_count()
        body["articles"] = store.article_count()
    except Exception as exc:  # whatever the store raises, the answer is "not healthy"
        detail = (
            str(exc)
            if isinstance(exc, StoreUnavailable)
            else (f"the Chroma store at {where} is not answering: {exc.__class__.__name__}: {exc}")
        )
        body["status"] = "error"
        body["error"] = redact_secrets(detail, settings)
        return 503, body
    return 200, body


def start_health_server(
    settings: Settings,
    answerer: _HasStore,
    *,
    port: int | None = None,
    host: str | None = None,
) -> HealthServer:
    """Serve `/healthz` in a daemon thread; returns at once with the bound port.

    `port`/`host` default to CITEBOT_HEALTH_PORT/CITEBOT_HEALTH_HOST. With CITEBOT_HEALTH_PORT=0
    (and no explicit `port`) nothing is started and the handle's `port` is None. A port that is
    taken is logged and the bot goes on without the endpoint (Docker then reports it unhealthy,
    with the reason in the log) rather than refusing to answer questions.
    """
    if port is None:
        if settings.health_port == 0:
            log.info("health endpoint off (CITEBOT_HEALTH_PORT=0)")
            return HealthServer(port=None)
        port = settings.health_port
    host = host if host is not None else settings.health_host

    class _Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != HEALTH_PATH:
                self._reply(404, {"status": "error", "error": f"not found; try {HEALTH_PATH}"})
                return
            status, body = health_report(settings, answerer)
            self._reply(status, body)

        def _reply(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("health: " + format, *args)

    try:
        server = ThreadingHTTPServer((host, port), _Handler)
    except OSError as exc:
        log.error("health endpoint not started: cannot listen on %s:%s (%s)", host, port, exc)
        return HealthServer(port=None, host=host)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.1},  # how fast close() returns
        name="citebot-health",
        daemon=True,
    )
    thread.start()
    bound = int(server.server_address[1])
    log.info("health endpoint on http://%s:%d%s", host, bound, HEALTH_PATH)
    return HealthServer(port=bound, host=host, _server=server, _thread=thread)


def check_health(settings: Settings, timeout_s: float = 4.0) -> tuple[bool, str]:
    """Ask the local endpoint (the one CITEBOT_HEALTH_PORT/HOST describe) whether all is ok."""
    if settings.health_port == 0:
        return True, "health endpoint off (CITEBOT_HEALTH_PORT=0): nothing to check"
    url = f"http://{_client_host(settings.health_host)}:{settings.health_port}{HEALTH_PATH}"
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return True, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return False, f"{exc.code}: {exc.read().decode('utf-8', 'replace')}"
    except OSError as exc:
        return False, f"cannot reach {url}: {exc}"


def _client_host(host: str) -> str:
    """Where a local client connects to reach a server bound to `host`."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def main() -> int:
    """`python -m bot.health`: the Docker HEALTHCHECK (exit 0 healthy, 1 not)."""
    from config import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"citebot health: {exc}", file=sys.stderr)
        return 1
    healthy, detail = check_health(settings)
    print(detail, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
