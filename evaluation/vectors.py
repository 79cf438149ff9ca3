"""Document vectors cached on disk, so a tuning run re-embeds only what changed.

Embedding is the slow part of an evaluation (~1,200 tokens/s here). Vectors are kept per
dataset and model in SQLite, keyed by a hash of the embedded text: a run that changes only the
answer chain embeds nothing, one that changes chunking embeds only the new chunks. Queries are
never cached, so latency figures always include embedding the question.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.text import content_id

DEFAULT_CACHE_DIR = Path("./data/eval-cache")


class VectorCache:
    """Document vectors on disk (SQLite), keyed by a hash of the embedded text."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (hash TEXT PRIMARY KEY, vector BLOB)")

    @staticmethod
    def key(text: str) -> str:
        return content_id(text, length=32)

    def get_many(self, texts: Sequence[str]) -> dict[str, list[float]]:
        keys = {self.key(t): t for t in texts}
        found: dict[str, list[float]] = {}
        items = list(keys)
        for start in range(0, len(items), 500):
            batch = items[start : start + 500]
            marks = ",".join("?" * len(batch))
            for key, blob in self._db.execute(
                f"SELECT hash, vector FROM vectors WHERE hash IN ({marks})", batch
            ):
                found[keys[key]] = np.frombuffer(blob, dtype=np.float32).tolist()
        return found

    def put_many(self, pairs: Sequence[tuple[str, list[float]]]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
            [(self.key(t), np.asarray(v, dtype=np.float32).tobytes()) for t, v in pairs],
        )
        self._db.commit()

    def close(self) -> None:
        self._db.close()


def cache_for(cache_dir: Path | None, dataset: Path, model: str) -> VectorCache | None:
    """The cache of one dataset's vectors under one model (None: no caching)."""
    if cache_dir is None:
        return None
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model)
    return VectorCache(Path(cache_dir) / f"{dataset.stem}.{slug}.sqlite")


class EvalEmbeddings(Embeddings):
    """The real model behind a document cache; remembers query vectors for reuse.

    `embed_query` always runs the model (latency figures include it) and keeps the vector,
    so the separate ranking and the recipe reuse the question's vector instead of
    embedding it again.
    """

    def __init__(self, base: Embeddings, cache: VectorCache | None = None) -> None:
        self.base = base
        self.cache = cache
        self.queries: dict[str, list[float]] = {}
        self.embedded = 0
        self.reused = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        known = self.cache.get_many(texts) if self.cache else {}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        self.reused += len(texts) - len(missing)
        for start in range(0, len(missing), 32):
            batch = missing[start : start + 32]
            vectors = self.base.embed_documents(batch)
            known.update(zip(batch, vectors, strict=True))
            if self.cache:
                self.cache.put_many(list(zip(batch, vectors, strict=True)))
            self.embedded += len(batch)
        return [known[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        vector = self.base.embed_query(text)
        self.queries[text] = vector
        return vector

    def query_vector(self, text: str) -> list[float]:
        return self.queries.get(text) or self.embed_query(text)
