"""Instant, deterministic stand-in embeddings for tests about the store, not about relevance.

Ingest tests that check bookkeeping (what was skipped, orphan chunks, duplicates, crash
recovery) do not need the real model, which embeds ~20 passages/s on a shared 2-core machine.
Selected with `CITEBOT_EMBEDDING_MODEL=tests.support.embeddings.HashEmbeddings` (the
store records the name, so every process that opens such a store must use the same name).

`GatedHashEmbeddings` lets a crash test stop an ingest at a known point: after
`TEST_INGEST_GATE_AFTER` calls it creates `$TEST_INGEST_GATE_DIR/blocked` and waits, so the
test can SIGKILL the process with some but not all of the chunks written — or do something
else (stop the Chroma server) and create `$TEST_INGEST_GATE_DIR/release` to let it go on.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import threading
from pathlib import Path

from langchain_core.embeddings import Embeddings

MODEL_NAME = "tests.support.embeddings.HashEmbeddings"
GATED_MODEL_NAME = "tests.support.embeddings.GatedHashEmbeddings"
_DIMENSIONS = 64


@functools.lru_cache(maxsize=1 << 16)
def _bucket(bigram: str) -> int:
    digest = hashlib.blake2b(bigram.encode("utf-8", "surrogatepass"), digest_size=2)
    return int.from_bytes(digest.digest(), "big") % _DIMENSIONS


def _vector(text: str) -> list[float]:
    """Character bigrams hashed into a unit vector: similar texts get similar vectors."""
    counts = [0.0] * _DIMENSIONS
    padded = f" {text} "
    for i in range(len(padded) - 1):
        counts[_bucket(padded[i : i + 2])] += 1.0
    norm = math.sqrt(sum(c * c for c in counts)) or 1.0
    return [c / norm for c in counts]


class HashEmbeddings(Embeddings):
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [_vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return _vector(text)


class GatedHashEmbeddings(HashEmbeddings):
    def __init__(self) -> None:
        self._calls = 0
        self._after = int(os.environ.get("TEST_INGEST_GATE_AFTER", "0"))
        self._gate_dir = os.environ.get("TEST_INGEST_GATE_DIR", "")

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self._calls += 1
        if self._gate_dir and self._after and self._calls > self._after:
            Path(self._gate_dir, "blocked").write_text(str(self._calls - 1))
            release = Path(self._gate_dir, "release")
            while not release.exists():  # or until the test kills this process
                threading.Event().wait(0.05)
            self._after = 0  # released: no second gate
        return super().embed_documents(texts)


class BrokenEmbeddings(HashEmbeddings):
    """A model that cannot run (as the bilingual one in a process out of memory)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise MemoryError("no room for the model")

    def embed_query(self, text: str) -> list[float]:
        raise MemoryError("no room for the model")
