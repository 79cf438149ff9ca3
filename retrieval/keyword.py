"""The keyword side of hybrid search: a BM25 index over the store's chunks.

Tokens are computed once at ingest (folded script, jieba words, English words) and kept in
the chunk metadata, so this index is rebuilt from Chroma in seconds, by any process, and is
rebuilt whenever the store's revision changes (an ingest or a forget, by any process).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import bm25s
import numpy as np

from ingest.store import ArticleStore
from ingest.text import keyword_tokens


@dataclass(frozen=True)
class KeywordHit:
    chunk_id: str
    article_id: str
    score: float


class KeywordIndex:
    """BM25 over one store's chunks, kept in step with the store's revision."""

    def __init__(self, store: ArticleStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._revision: str | None = None
        self._bm25: bm25s.BM25 | None = None
        self._chunk_ids: list[str] = []
        self._article_ids: list[str] = []

    def refresh(self) -> None:
        """Rebuild the index if the store changed since the last build."""
        revision = self._store.revision()
        if revision == self._revision:
            return
        with self._lock:
            if revision == self._revision:
                return
            chunk_ids: list[str] = []
            article_ids: list[str] = []
            corpus: list[list[str]] = []
            for chunk_id, meta in self._store.iter_chunk_metadatas():
                chunk_ids.append(chunk_id)
                article_ids.append(str(meta.get("article_id", "")))
                corpus.append(str(meta.get("tokens", "")).split() or ["∅"])
            bm25 = None
            if corpus:
                bm25 = bm25s.BM25()
                bm25.index(corpus, show_progress=False)
            self._bm25, self._chunk_ids, self._article_ids = bm25, chunk_ids, article_ids
            self._revision = revision

    def search(self, question: str, k: int) -> list[KeywordHit]:
        """The `k` best chunks for the question's keywords (score > 0 only)."""
        self.refresh()
        tokens = keyword_tokens(question)
        bm25, chunk_ids, article_ids = self._bm25, self._chunk_ids, self._article_ids
        if bm25 is None or not tokens:
            return []
        scores = bm25.get_scores(tokens)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [
            KeywordHit(chunk_ids[i], article_ids[i], float(scores[i])) for i in top if scores[i] > 0
        ]
