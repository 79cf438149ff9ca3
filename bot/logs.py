"""Logging set-up: one line per event, JSON lines when CITEBOT_LOG_JSON=1, secrets redacted."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

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


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RedactingFilter(settings))
    if settings.log_json:
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    import bm25s  # noqa: F401  (it sets its own logger to DEBUG when imported)

    for noisy in ("httpx", "chromadb", "urllib3", "jieba", "bm25s", "discord.gateway"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
