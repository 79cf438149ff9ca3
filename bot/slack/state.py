"""The little the Slack adapter remembers: bounded maps whose entries expire.

Nothing here is needed to answer correctly: follow-ups re-read their thread from Slack
(`conversations.replies`), feedback buttons carry what they record. These maps only save
calls and drop Slack's retries: seen events, answered or quiet threads, shareable answers.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

SEEN_TTL_S = 3600.0  # Slack retries for about 5 minutes
ANSWERED_THREAD_TTL_S = 7 * 24 * 3600.0
QUIET_THREAD_TTL_S = 600.0
SHARE_TTL_S = 24 * 3600.0

V = TypeVar("V")


class Expiring(Generic[V]):
    """A bounded map whose entries expire: seen events, answered threads, shareable answers."""

    def __init__(
        self, ttl_s: float, max_items: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self.max_items = max_items
        self._clock = clock
        self._items: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def get(self, key: str) -> V | None:
        item = self._items.get(key)
        if item is None or item[0] <= self._clock():
            self._items.pop(key, None)
            return None
        return item[1]

    def put(self, key: str, value: V) -> None:
        self._items.pop(key, None)
        self._items[key] = (self._clock() + self.ttl_s, value)
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)

    def pop(self, key: str) -> None:
        self._items.pop(key, None)

    def claim(self, key: str, value: V) -> bool:
        """True the first time `key` is seen within the TTL (then it is taken), else False."""
        if self.get(key) is not None:
            return False
        self.put(key, value)
        return True
