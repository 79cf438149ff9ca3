"""citebot's own answer chain over a temporary store of the evaluation articles.

Every question goes through `Answerer.ask`, exactly as a chat question does (with a history
when the run asks it after an earlier exchange). The ranking scored for recall is the quotes'
articles in order; when they name fewer than 5 distinct articles it is extended with the
articles of a separate dense + keyword retrieval (reciprocal-rank fusion, as the chain fuses
them) for the same question.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from config import Settings
from evaluation.metrics import RANK_DEPTH, extend_ranking, fuse_rankings
from evaluation.vectors import EvalEmbeddings
from ingest.models import Article
from retrieval import Turn

FALLBACK_K = 30


@dataclass
class Asked:
    """What one system showed for one question, and how long it took."""

    confident: bool
    error: bool
    shown: list[tuple[str, str]]
    ranked: list[str]
    seconds: float
    titles: list[str] = field(default_factory=list)
    text: str = ""


class CitebotChain:
    """citebot's chain (store, answerer, keyword index) over the evaluation articles."""

    def __init__(self, settings: Settings, embeddings: EvalEmbeddings) -> None:
        from ingest.store import ArticleStore
        from retrieval import Answerer
        from retrieval.keyword import KeywordIndex

        self.embeddings = embeddings
        self.store = ArticleStore(settings, embeddings=embeddings)
        self.answerer = Answerer(settings, store=self.store)
        self._keyword = KeywordIndex(self.store)

    def ingest(self, articles: list[Article], show: bool) -> tuple[int, float]:
        """(chunks stored, seconds it took)."""
        from ingest.pipeline import ingest_articles

        started = time.perf_counter()
        report = ingest_articles(articles, self.store, show_progress=show)
        elapsed = time.perf_counter() - started
        return report.chunks_added + report.chunks_unchanged, elapsed

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Asked:
        from retrieval import clean_question

        started = time.perf_counter()
        answer = self.answerer.ask(question, history)
        seconds = time.perf_counter() - started
        shown = [(q.article_id, q.text) for q in answer.quotes]
        ranked = [a for a, _ in shown]
        if answer.confident and len(set(ranked)) < RANK_DEPTH:
            ranked = extend_ranking(ranked, self._retrieved_articles(clean_question(question)[0]))
        return Asked(answer.confident, answer.error is not None, shown, ranked, seconds,
                     [q.title for q in answer.quotes], answer.text)

    def _retrieved_articles(self, search_text: str) -> list[str]:
        """Articles of the chunks that dense and keyword search rank best, fused."""
        if not search_text:
            return []
        dense = self.store.dense_search(self.embeddings.query_vector(search_text), FALLBACK_K)
        keyword = self._keyword.search(search_text, FALLBACK_K)
        article_of = {h.chunk_id: h.article_id for h in dense}
        article_of.update({h.chunk_id: h.article_id for h in keyword})
        fused = fuse_rankings([h.chunk_id for h in dense], [h.chunk_id for h in keyword])
        return list(dict.fromkeys(article_of[c] for c in fused))
