"""Full article texts kept in memory for quoting, so a question does not re-read them.

Article ids are content hashes, so an entry never goes stale; the cache is bounded (least
recently used out first) so a long-running bot does not hold the whole store. The writer
adds what it stores and drops what it removes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

TEXT_CACHE_ARTICLES = 2048


class TextCache:
    """Article texts by id, at most `TEXT_CACHE_ARTICLES` of them; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._texts: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._texts)

    def get_many(self, article_ids: list[str]) -> dict[str, str]:
        """The cached texts of these articles (the others are simply absent)."""
        with self._lock:
            found = {a: self._texts[a] for a in article_ids if a in self._texts}
            for article_id in found:
                self._texts.move_to_end(article_id)
        return found

    def remember(self, texts: dict[str, str]) -> None:
        with self._lock:
            for article_id, text in texts.items():
                self._texts[article_id] = text
                self._texts.move_to_end(article_id)
            while len(self._texts) > TEXT_CACHE_ARTICLES:
                self._texts.popitem(last=False)

    def drop(self, article_ids: list[str]) -> None:
        with self._lock:
            for article_id in article_ids:
                self._texts.pop(article_id, None)
