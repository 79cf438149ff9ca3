"""Turning a question into an `Answer`: the LangChain runnable chain behind every adapter.

    condense → retrieve (dense + BM25, fused) → select quotes → write (extractive or LLM)
             → verify (every quote is the stored article's text at its offsets)

Adapters call `Answerer.ask` / `Answerer.aask` and render the returned `Answer`; nothing
else crosses into `bot/`.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from config import Settings
from ingest.store import ArticleRecord, ArticleStore, StoreUnavailable
from ingest.text import has_cjk, keyword_tokens
from retrieval.keyword import KeywordIndex
from retrieval.models import Answer, Quote, Turn
from retrieval.quotes import (
    Candidate,
    QuoteSpan,
    SentenceSimilarity,
    is_verbatim,
    quote_url,
    select_quotes,
)

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
DENSE_K = 30
KEYWORD_K = 30
CANDIDATE_CHUNKS = 8
RRF_K = 60
ARTICLE_SCAN = 1
ARTICLE_DISCOUNT = 0.5
# Calibrated on the public QA sets with `citebot eval` (see BENCHMARKS.md).
DEFAULT_MIN_CONFIDENCE = 0.5

NOT_FOUND = {
    "zh": "抱歉，我在已收录的文章中没有找到与这个问题相关的内容。",
    "en": "I don't know: I found nothing about that in the articles I have.",
}
ERROR_TEXT = {
    "zh": "抱歉，现在无法检索文章库，请稍后再试。",
    "en": "Sorry, I can't search the articles right now. Please try again in a moment.",
}
EMPTY_TEXT = (
    "Ask me a question about the ingested articles, e.g. `What did Greg Brockman say about GPT-6?`"
)


@dataclass
class _State:
    """What flows through the chain for one question."""

    question: str
    history: Sequence[Turn] = ()
    collection: str | None = None
    search_text: str = ""
    store: ArticleStore | None = None
    candidates: list[Candidate] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    spans: list[QuoteSpan] = field(default_factory=list)
    confidence: float = 0.0
    dense_similarities: list[float] = field(default_factory=list)
    query_vector: list[float] = field(default_factory=list)
    answer_text: str = ""
    notes: list[str] = field(default_factory=list)


class Answerer:
    """Answers questions from one or more Chroma collections (one store per collection)."""

    def __init__(
        self,
        settings: Settings,
        store: ArticleStore | None = None,
        chat_model: Any = None,
    ) -> None:
        self.settings = settings
        self._stores: dict[str, ArticleStore] = {}
        self._indexes: dict[str, KeywordIndex] = {}
        self._similarities: dict[str, SentenceSimilarity] = {}
        self._lock = threading.Lock()
        if store is not None:
            self._stores[store.name] = store
        self.min_confidence = (
            settings.min_confidence
            if settings.min_confidence is not None
            else DEFAULT_MIN_CONFIDENCE
        )
        self._writer = None
        if chat_model is not None or settings.llm:
            from retrieval.llm import LLMWriter

            self._writer = LLMWriter(settings, chat_model)
        self.chain: Runnable = (
            RunnableLambda(self._condense, name="condense")
            | RunnableLambda(self._retrieve, name="retrieve")
            | RunnableLambda(self._select, name="select_quotes")
            | RunnableLambda(self._write, name="write_answer")
            | RunnableLambda(self._verify, name="verify_quotes")
        )

    # --- public API -----------------------------------------------------------------------------

    def store(self, collection: str | None = None) -> ArticleStore:
        """The store of a collection (default: CITEBOT_COLLECTION), opened once."""
        name = collection or self.settings.collection
        with self._lock:
            if name not in self._stores:
                self._stores[name] = ArticleStore(self.settings, collection=name)
            return self._stores[name]

    def sources(self, collection: str | None = None) -> list[ArticleRecord]:
        return self.store(collection).articles()

    def ask(
        self, question: str, history: Sequence[Turn] = (), *, collection: str | None = None
    ) -> Answer:
        """Answer one question; never raises for a bad question or a store that is down."""
        cleaned, notes = clean_question(question)
        if not cleaned:
            return Answer(
                question=question,
                text=EMPTY_TEXT,
                confident=False,
                notes=notes,
                answer_id=uuid.uuid4().hex[:12],
            )
        try:
            answer = self.chain.invoke(
                _State(question=cleaned, history=history, collection=collection, notes=notes)
            )
        except StoreUnavailable as exc:
            log.error("store unavailable: %s", exc)
            answer = self._error_answer(cleaned, str(exc))
        except Exception as exc:  # a chat must never see a stack trace
            log.exception("answering failed")
            answer = self._error_answer(cleaned, f"{exc.__class__.__name__}: {exc}")
        answer.question = question
        return answer

    async def aask(
        self, question: str, history: Sequence[Turn] = (), *, collection: str | None = None
    ) -> Answer:
        """`ask` for asyncio adapters (runs in a worker thread; embedding is CPU work)."""
        return await asyncio.to_thread(self.ask, question, history, collection=collection)

    # --- chain steps ----------------------------------------------------------------------------

    def _condense(self, state: _State) -> _State:
        """A standalone search text: follow-ups borrow the previous question's keywords."""
        state.search_text = state.question
        previous = [t.text for t in state.history if t.role == "user"]
        if previous and len(keyword_tokens(state.question)) <= 6:
            state.search_text = f"{previous[-1]}\n{state.question}"
        return state

    def _retrieve(self, state: _State) -> _State:
        store = self.store(state.collection)
        state.store = store
        try:
            store.heartbeat()
            index = self._index(store)
            query_vector = store.embeddings.embed_query(state.search_text)
            dense = store.dense_search(query_vector, DENSE_K)
            keyword = index.search(state.search_text, KEYWORD_K)
        except StoreUnavailable:
            raise
        except Exception as exc:
            raise StoreUnavailable(f"search failed: {exc.__class__.__name__}: {exc}") from exc
        state.dense_similarities = [hit.similarity for hit in dense]
        state.query_vector = query_vector
        fused: dict[str, float] = {}
        for rank, hit in enumerate(dense):
            fused[hit.chunk_id] = fused.get(hit.chunk_id, 0.0) + 1.0 / (RRF_K + rank)
        for rank, hit in enumerate(keyword):
            fused[hit.chunk_id] = fused.get(hit.chunk_id, 0.0) + 1.0 / (RRF_K + rank)
        best_ids = sorted(fused, key=lambda c: -fused[c])[:CANDIDATE_CHUNKS]
        dense_by_id = {h.chunk_id: h for h in dense}
        missing = [c for c in best_ids if c not in dense_by_id]
        extra = store.chunks_by_id(missing) if missing else {}
        top = fused[best_ids[0]] if best_ids else 1.0
        candidates = []
        for chunk_id in best_ids:
            if chunk_id in dense_by_id:
                hit = dense_by_id[chunk_id]
                article_id, start, end, similarity = (
                    hit.article_id,
                    hit.start,
                    hit.end,
                    hit.similarity,
                )
            elif chunk_id in extra:
                meta = extra[chunk_id][1]
                article_id, start, end = (
                    str(meta["article_id"]),
                    int(meta["start"]),
                    int(meta["end"]),
                )
                similarity = 0.0
            else:
                continue
            candidates.append(Candidate(article_id, start, end, fused[chunk_id] / top, similarity))
        state.texts = store.article_texts([c.article_id for c in candidates])
        # The answer may sit in a chunk of the best article that ranked lower: its whole text
        # is searched too, at a discount, so the sentence scorer can still find it there.
        for article_id in list(dict.fromkeys(c.article_id for c in candidates))[:ARTICLE_SCAN]:
            best = max(c.score for c in candidates if c.article_id == article_id)
            text = state.texts.get(article_id, "")
            candidates.append(Candidate(article_id, 0, len(text), best * ARTICLE_DISCOUNT, 0.0))
        state.candidates = candidates
        return state

    def _select(self, state: _State) -> _State:
        assert state.store is not None
        state.spans = select_quotes(
            state.search_text,
            state.candidates,
            state.texts,
            self.settings.max_quotes,
            similarity=self._similarity(state.store),
            query_vector=state.query_vector,
        )
        if state.spans:
            best = state.spans[0]
            quoted = state.texts.get(best.article_id, "")[best.start : best.end]
            state.confidence = relevance(
                state.dense_similarities,
                best.lexical,
                max(span.similarity for span in state.spans),
                cross_language=has_cjk(state.question) != has_cjk(quoted),
            )
        return state

    def _write(self, state: _State) -> _State:
        if self._writer is not None and state.spans and state.confidence >= self.min_confidence:
            state.answer_text = self._writer.write(state)
        return state

    def _verify(self, state: _State) -> Answer:
        store = state.store
        assert store is not None
        language = "zh" if _is_chinese(state.question) else "en"
        searched = store.article_count()
        answer_id = uuid.uuid4().hex[:12]
        if not state.spans or state.confidence < self.min_confidence:
            return Answer(
                question=state.question,
                text=NOT_FOUND[language],
                confident=False,
                answer_id=answer_id,
                sources_searched=searched,
                notes=state.notes,
            )
        records = {}
        quotes: list[Quote] = []
        for span in state.spans:
            text = state.texts.get(span.article_id, "")
            quote_text = text[span.start : span.end]
            stored = store.article_texts([span.article_id]).get(span.article_id, "")
            if not is_verbatim(quote_text, stored, span.start, span.end):
                log.warning("dropped a quote that is not verbatim in %s", span.article_id)
                continue
            record = records.get(span.article_id) or store.article(span.article_id)
            if record is None:
                continue
            records[span.article_id] = record
            page = record.page_at(span.start)
            quotes.append(
                Quote(
                    text=quote_text,
                    title=record.title,
                    url=(
                        quote_url(record.url, quote_text, record.file_format, page)
                        if record.url
                        else None
                    ),
                    published=record.published,
                    source=record.source,
                    article_id=span.article_id,
                    start=span.start,
                    end=span.end,
                    score=round(span.score, 4),
                    page=page,
                )
            )
        if not quotes:
            return Answer(
                state.question,
                NOT_FOUND[language],
                False,
                [],
                answer_id,
                searched,
                notes=state.notes,
            )
        text = state.answer_text or _extractive_lead(quotes, language)
        if self._writer is not None and state.answer_text:
            text = self._writer.keep_cited(text, len(quotes))
        return Answer(state.question, text, True, quotes, answer_id, searched, notes=state.notes)

    # --- helpers ---------------------------------------------------------------------------------

    def _similarity(self, store: ArticleStore) -> SentenceSimilarity:
        with self._lock:
            if store.name not in self._similarities:
                self._similarities[store.name] = SentenceSimilarity(store.embeddings.embed_documents)
            return self._similarities[store.name]

    def _index(self, store: ArticleStore) -> KeywordIndex:
        with self._lock:
            if store.name not in self._indexes:
                self._indexes[store.name] = KeywordIndex(store)
            return self._indexes[store.name]

    def _error_answer(self, question: str, detail: str) -> Answer:
        language = "zh" if _is_chinese(question) else "en"
        return Answer(
            question=question,
            text=ERROR_TEXT[language],
            confident=False,
            answer_id=uuid.uuid4().hex[:12],
            error=detail,
        )


def clean_question(question: str) -> tuple[str, list[str]]:
    """Strip control characters and markup noise; trim over-long questions with a note."""
    notes: list[str] = []
    cleaned = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in question or "")
    cleaned = _strip_markup(cleaned)
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > MAX_QUESTION_CHARS:
        cleaned = cleaned[:MAX_QUESTION_CHARS]
        notes.append(f"Your question was long; I used its first {MAX_QUESTION_CHARS} characters.")
    if cleaned and not any(ch.isalnum() for ch in cleaned):
        return "", notes
    return cleaned, notes


_SCRIPT_BLOCK = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.I | re.S)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)\s]*\)")
_MD_MARK = re.compile(r"\*\*|__|~~|`+|(?<!\w)\*|\*(?!\w)|^\s*(?:>+|#{1,6}|[-+])\s+", re.M)


def _strip_markup(text: str) -> str:
    """Pasted HTML and markdown: keep the words, drop tags, scripts and emphasis marks."""
    text = _SCRIPT_BLOCK.sub(" ", html.unescape(text))
    text = _HTML_TAG.sub(" ", text)
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    return _MD_MARK.sub(" ", text)


def relevance(
    dense_similarities: Sequence[float],
    lexical: float,
    sentence_similarity: float = 0.0,
    cross_language: bool = False,
) -> float:
    """How sure we are that the store holds an answer, 0..1 (0.5 = the default threshold).

    Any of four signals suffices. They were chosen with benchmarks/calibrate_confidence.py
    on CMRC, DRCD and XQuAD (answerable questions against questions from another set),
    see BENCHMARKS.md:
    - a quoted sentence is very close to the question (cosine ≥ 0.89),
    - the best chunk is close (cosine ≥ 0.86) and the quote shares the question's rarer
      words (coverage ≥ 0.1): a same-language match,
    - the best chunk stands out from the chunks ranked 6-30 (margin ≥ 0.04): holds across
      languages, where cosines are lower, in a store of varied topics,
    - a quoted sentence is fairly close (≥ 0.81) and shares names or numbers (≥ 0.15),
    - across languages only (an English question, a Chinese quote), where cosines run lower:
      a quoted sentence ≥ 0.78 and a margin ≥ 0.025 (on XQuAD en→zh this answers 70% of the
      questions instead of 55%, while 86% of unrelated English questions still get
      "I don't know", down from 97%).
    """
    if not dense_similarities:
        return 0.0
    top = dense_similarities[0]
    rest = dense_similarities[5:30] if len(dense_similarities) > 10 else dense_similarities[1:]
    margin = top - sum(rest) / len(rest) if rest else 0.0
    score = max(
        0.5 + (sentence_similarity - 0.89) * 5,
        min(0.5 + (top - 0.86) * 5, 0.5 + (lexical - 0.1)),
        0.5 + (margin - 0.04) * 10,
        min(0.5 + (sentence_similarity - 0.81) * 5, 0.5 + (lexical - 0.15)),
    )
    if cross_language:
        score = max(
            score, min(0.5 + (sentence_similarity - 0.78) * 5, 0.5 + (margin - 0.025) * 10)
        )
    return min(1.0, max(0.0, score))


def _is_chinese(text: str) -> bool:
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    return cjk >= max(1, len(text.strip()) // 5)


def _extractive_lead(quotes: list[Quote], language: str) -> str:
    titles = list(dict.fromkeys(q.title for q in quotes))
    if language == "zh":
        return f"以下摘录来自《{titles[0]}》" + (
            f"等 {len(titles)} 篇文章：" if len(titles) > 1 else "："
        )
    if len(titles) == 1:
        return f"Here is what “{titles[0]}” says:"
    return f"Here is what {len(titles)} articles say:"
