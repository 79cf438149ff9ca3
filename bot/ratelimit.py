"""A per-user limit on questions (sliding one-minute window), shared by the chat adapters."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable


class RateLimiter:
    """`allow(user)` is True while the user asked fewer than `per_minute` questions in the
    last 60 s. `per_minute=0` means unlimited. The clock is injectable for tests."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._asked: defaultdict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, user_id: str) -> bool:
        if self.per_minute <= 0:
            return True
        now = self._clock()
        with self._lock:
            asked = self._asked[user_id]
            while asked and now - asked[0] >= 60:
                asked.popleft()
            if len(asked) >= self.per_minute:
                return False
            asked.append(now)
            return True

    def retry_after(self, user_id: str) -> float:
        """Seconds until the user may ask again (0 when they may now)."""
        with self._lock:
            asked = self._asked.get(user_id)
            if not asked or len(asked) < self.per_minute:
                return 0.0
            return max(0.0, 60 - (self._clock() - asked[0]))
