"""👍/👎 feedback from Slack and Discord, recorded in one small SQLite file.

Only ids are stored (user id, answer id), never names: enough to learn which answers help.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Vote = Literal["up", "down"]


@dataclass(frozen=True)
class FeedbackRecord:
    platform: str
    answer_id: str
    question: str
    user_id: str
    vote: Vote
    recorded_at: float


class FeedbackStore:
    """Append-only votes; a user's second click on the same answer replaces the first."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS feedback ("
                " platform TEXT NOT NULL, answer_id TEXT NOT NULL, question TEXT NOT NULL,"
                " user_id TEXT NOT NULL, vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),"
                " recorded_at REAL NOT NULL, PRIMARY KEY (platform, answer_id, user_id))"
            )

    def record(
        self, platform: str, answer_id: str, question: str, user_id: str, vote: Vote
    ) -> None:
        if vote not in ("up", "down"):
            raise ValueError(f"vote must be 'up' or 'down', not {vote!r}")
        with self._lock, self._connect() as db:
            db.execute(
                "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?, ?, ?)",
                (platform, answer_id, question[:2000], user_id, vote, time.time()),
            )

    def all(self) -> list[FeedbackRecord]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM feedback ORDER BY recorded_at").fetchall()
        return [FeedbackRecord(*row) for row in rows]

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)
