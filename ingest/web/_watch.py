"""Refreshing CITEBOT_FEEDS on a schedule (`citebot watch`): the loop, without its words.

What a refresh reports goes to `on_refresh`; printing and exit codes are the CLI's. A
refresh interrupted half-way (Ctrl-C) is finished by the next one, since records are written
only after their article is stored; SIGTERM (docker stop) or `stop` being set ends the loop
after the current refresh.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

from config import Settings
from ingest.fetch import GuardedClient
from ingest.models import IngestReport
from ingest.store import ArticleStore, StoreUnavailable
from ingest.web._walk import ingest_urls

log = logging.getLogger("ingest.web")  # log lines name the package, not its parts


def watch_feeds(
    settings: Settings,
    *,
    once: bool,
    on_refresh: Callable[[IngestReport], None],
    store: ArticleStore | None = None,
    stop: threading.Event | None = None,
    client_factory: Callable[[], GuardedClient] | None = None,
) -> IngestReport | None:
    """Refresh the feeds now and every CITEBOT_WATCH_INTERVAL_MIN until stopped (then None),
    or once (then that refresh's report). A store that fails mid-loop is retried at the next
    interval; with `once` its `StoreUnavailable` is raised."""
    stop = stop or threading.Event()
    store = store or ArticleStore(settings)
    with _stop_on_sigterm(stop):
        while True:
            client = client_factory() if client_factory else None
            try:
                report = ingest_urls(settings.feeds, store, allow_private=True, client=client)
            except StoreUnavailable as exc:
                if once:
                    raise
                log.error("refresh failed, retrying at the next interval: %s", exc)
            else:
                on_refresh(report)
                if once:
                    return report
            finally:
                if client is not None:
                    client.close()
            if stop.wait(settings.watch_interval_min * 60):
                return None


@contextlib.contextmanager
def _stop_on_sigterm(stop: threading.Event) -> Iterator[None]:
    """SIGTERM (docker stop) sets `stop`; only the main thread may install signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
