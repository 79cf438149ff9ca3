"""Logging set-up: one line per event, JSON lines when CITEBOT_LOG_JSON=1, secrets redacted."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from config import Settings, redact_secrets


class _RedactingFilter(logging.Filter):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self._settings = settings

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_secrets(message, self._settings)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # Exception messages carry secrets too (an auth error quoting the token): format
            # the traceback once here, redacted; formatters use `exc_text` when it is set.
            record.exc_text = redact_secrets(
                _TRACEBACKS.formatException(record.exc_info), self._settings
            )
        if record.stack_info:
            record.stack_info = redact_secrets(record.stack_info, self._settings)
        return True


_TRACEBACKS = logging.Formatter()


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _ConsoleFormatter(logging.Formatter):
    """For commands people run by hand: `citebot: warning: …`, no timestamp, no traceback
    (the message names the problem; `-v` shows the details)."""

    def __init__(self, tracebacks: bool) -> None:
        super().__init__("citebot: %(levelname)s: %(message)s")
        self._tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        record = logging.makeLogRecord(record.__dict__)
        record.levelname = record.levelname.lower()
        if not self._tracebacks:
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        return super().format(record)


def configure_logging(
    settings: Settings,
    *,
    level: str | None = None,
    default_level: str = "INFO",
    console: bool = False,
) -> None:
    """Route every log record to stderr, redacted, one line per event.

    The level is `level` (from `-v`), else CITEBOT_LOG_LEVEL, else `default_level` (INFO for
    services, WARNING for commands). `console` output is short lines for people; services
    keep timestamps and logger names (or JSON lines with CITEBOT_LOG_JSON).
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RedactingFilter(settings))
    chosen = level or settings.log_level or default_level
    if settings.log_json:
        handler.setFormatter(_JsonFormatter())
    elif console:
        handler.setFormatter(_ConsoleFormatter(tracebacks=chosen in ("DEBUG", "INFO")))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(chosen)
    for noisy in ("httpx", "chromadb", "urllib3", "jieba", "discord.gateway"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


async def log_store_size(settings: Settings, answerer: Any) -> None:
    """The bots' start-up line about the store: its size, or (once) that it is empty and
    where it is, since every answer would then be "I don't know"."""
    import asyncio

    from ingest.store import empty_store_message

    log = logging.getLogger("bot")
    try:
        count = len(await asyncio.to_thread(answerer.sources))
    except Exception as exc:  # answers will apologise until the store is back
        log.warning("the store is not available yet: %s", exc)
        return
    if count:
        log.info("%d article%s in the store", count, "" if count == 1 else "s")
    else:
        log.warning(empty_store_message(settings))
