"""Turning a question into an `Answer`: the LangChain runnable chain behind every adapter.

    read in conversation (alone, or with the history when the question depends on it:
      condense → retrieve (dense + BM25, fused) → select quotes, once or twice)
    → write (extractive or LLM) → verify (every quote is the article as stored, at its offsets)

Each step is a function of retrieval/steps.py from one typed value to the next; this module
composes them, holds what they share (stores, keyword indexes, sentence-vector caches, the
LLM writer), and is the public face: `ask`, `aask` and `explain`. Adapters call `ask` /
`aask` and render the returned `Answer`; nothing else crosses into `bot/`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from config import Settings
from ingest.cleaning import strip_markup
from ingest.store import ArticleStore, StoreUnavailable
from ingest.text import in_script_of, is_chinese
from retrieval import translation
from retrieval.bilingual import BilingualEncoder
from retrieval.conversation import read_in_conversation
from retrieval.keyword import KeywordIndex
from retrieval.languages import LanguageGate
from retrieval.models import Answer, ArticleRecord, Turn
from retrieval.quotes import Candidate, QuoteSpan, SentenceCosines
from retrieval.relevance import DEFAULT_MIN_CONFIDENCE, Decision, RelevanceFeatures
from retrieval.steps import (
    NOT_FOUND,
    Draft,
    Question,
    Retrieved,
    Search,
    Selection,
    Writer,
    condense,
    retrieve,
    select,
    verify,
    write,
)

__all__ = [
    "DEFAULT_MIN_CONFIDENCE",
    "EMPTY_TEXT",
    "ERROR_TEXT",
    "INTERNAL_ERROR_TEXT",
    "MAX_QUESTION_CHARS",
    "NOT_FOUND",
    "Answerer",
    "Explanation",
    "clean_question",
]

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000
# A mark stripped just before punctuation ("about __GPT-6__?") leaves no space before it; a
# word that starts with a stop (".NET") keeps its space.
_SPACE_BEFORE_PUNCTUATION = re.compile(r" ([?!.,;:？！。，；：])(?=\s|$)")

# The apology when the store cannot be searched (`StoreUnavailable`) ...
ERROR_TEXT = {
    "zh": "抱歉，现在无法检索文章库，请稍后再试。",
    "en": "Sorry, I can't search the articles right now. Please try again in a moment.",
}
# ... and when answering failed on citebot's side (a bug: the log has the traceback).
INTERNAL_ERROR_TEXT = {
    "zh": "抱歉，回答时出了问题，请稍后再试。",
    "en": "Sorry, something went wrong while answering. Please try again in a moment.",
}
LONG_QUESTION_NOTE = {
    "zh": f"你的问题太长，我只用了前 {MAX_QUESTION_CHARS} 个字。",
    "en": f"Your question was long; I used its first {MAX_QUESTION_CHARS} characters.",
}
# The hint for an empty question: worded for any store, so it names no one from any article.
EMPTY_TEXT = (
    "Ask me a question about the ingested articles: I answer with verbatim quotes from them "
    "and a link to each source."
)


@dataclass(frozen=True)
class Explanation:
    """Everything behind one decision: what was searched, found, quoted, and why.

    `candidates` are the chunks retrieval ranked (best first, scores 0..1), `spans` the quotes
    selection chose, `features` the relevance signals and `decision` the confidence against
    the threshold. `citebot ask --explain` prints `as_json()`.
    """

    question: str
    search_text: str
    candidates: tuple[Candidate, ...]
    spans: tuple[QuoteSpan, ...]
    texts: dict[str, str]
    features: RelevanceFeatures
    decision: Decision
    gate: LanguageGate | None = None
    # the question's words and their translations (retrieval/translation.py), when searched
    translations: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def confident(self) -> bool:
        return bool(self.spans) and self.decision.confident

    def as_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "search_text": self.search_text,
            "candidates": [
                {
                    "article_id": c.article_id,
                    "start": c.start,
                    "end": c.end,
                    "score": round(c.score, 4),
                    "cosine": round(c.cosine, 4),
                }
                for c in self.candidates
            ],
            "quotes": [
                {
                    "article_id": s.article_id,
                    "start": s.start,
                    "end": s.end,
                    "text": self.texts.get(s.article_id, "")[s.start : s.end],
                    "score": round(s.score, 4),
                    "lexical": round(s.lexical, 4),
                    "cosine": round(s.cosine, 4),
                }
                for s in self.spans
            ],
            "features": self.features.as_json(),
            "language_gate": self.gate.as_json() if self.gate else None,
            "translations": {word: list(found) for word, found in self.translations},
            **self.decision.as_json(),
        }


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
        self._cosines: dict[str, SentenceCosines] = {}
        self._bilingual: dict[str, BilingualEncoder] = {}
        self._lock = threading.Lock()
        if store is not None:
            self._stores[store.name] = store
        self.min_confidence = (
            settings.min_confidence
            if settings.min_confidence is not None
            else DEFAULT_MIN_CONFIDENCE
        )
        translation.warm()  # the dictionary a cross-language question needs, in the background
        self._writer: Writer | None = None
        if chat_model is not None or settings.llm:
            from retrieval.llm import LLMWriter

            self._writer = LLMWriter(settings, chat_model)
        # One reading of a question: condense → retrieve → select. The conversation rule
        # (retrieval/conversation.py) runs it alone, and again with the history when the
        # question may depend on it, and keeps the reading the evidence supports.
        self.reading_chain: Runnable = (
            RunnableLambda(lambda pair: condense(*pair), name="condense")
            | RunnableLambda(self._retrieve, name="retrieve")
            | RunnableLambda(self._select, name="select_quotes")
        )
        self.selection_chain: Runnable = RunnableLambda(
            self._read_in_conversation, name="read_in_conversation"
        )
        self.chain: Runnable = self.selection_chain | RunnableLambda(
            self._write_and_verify, name="write_and_verify"
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
                question=cleaned,
                text=EMPTY_TEXT,
                confident=False,
                notes=notes,
                answer_id=uuid.uuid4().hex[:12],
            )
        try:
            answer = self.chain.invoke(
                Question(cleaned, tuple(history), collection, tuple(notes))
            )
        except StoreUnavailable as exc:
            log.error("store unavailable: %s", exc)
            answer = self._error_answer(cleaned, ERROR_TEXT, str(exc))
        except Exception as exc:  # a chat must never see a stack trace
            log.exception("answering failed")
            detail = f"{exc.__class__.__name__}: {exc}"
            answer = self._error_answer(cleaned, INTERNAL_ERROR_TEXT, detail)
        answer.question = cleaned  # the question as it was used: cleaned and trimmed
        answer.notes = answer.notes or list(notes)  # the apology keeps the notes too
        return answer

    async def aask(
        self, question: str, history: Sequence[Turn] = (), *, collection: str | None = None
    ) -> Answer:
        """`ask` for asyncio adapters (runs in a worker thread; embedding is CPU work)."""
        return await asyncio.to_thread(self.ask, question, history, collection=collection)

    def explain(
        self, question: str, history: Sequence[Turn] = (), *, collection: str | None = None
    ) -> Explanation:
        """The candidates, relevance features and decision `ask` would act on (no LLM call).

        Raises `StoreUnavailable` when the store cannot be searched.
        """
        cleaned, notes = clean_question(question)
        if not cleaned:
            nothing = RelevanceFeatures()
            decision = Decision(0.0, self.min_confidence)
            return Explanation(question, "", (), (), {}, nothing, decision)
        selection: Selection = self.selection_chain.invoke(
            Question(cleaned, tuple(history), collection, tuple(notes))
        )
        retrieved = selection.retrieved
        return Explanation(
            question=question,
            search_text=retrieved.search.text,
            candidates=retrieved.candidates,
            spans=selection.spans,
            texts=dict(retrieved.texts),
            features=selection.features,
            decision=selection.decision,
            gate=retrieved.gate,
            translations=tuple(retrieved.translations),
        )

    # --- the steps, bound to this answerer's stores, indexes and writer ------------------------

    def _read_in_conversation(self, question: Question) -> Selection:
        return read_in_conversation(
            question, lambda reading, text: self.reading_chain.invoke((reading, text))
        )

    def _retrieve(self, search: Search) -> Retrieved:
        store = self.store(search.question.collection)
        return retrieve(search, store, self._index(store), self._bilingual_encoder(store))

    def _select(self, retrieved: Retrieved) -> Selection:
        store = self.store(retrieved.search.question.collection)
        return select(
            retrieved,
            self._sentence_cosines(store),
            self.settings.max_quotes,
            self.min_confidence,
            self._bilingual_encoder(store),
        )

    def _write_and_verify(self, selection: Selection) -> Answer:
        draft: Draft = write(selection, self._writer)
        return verify(selection, draft, self.store(selection.question.collection), self._writer)

    # --- helpers ---------------------------------------------------------------------------------

    def _sentence_cosines(self, store: ArticleStore) -> SentenceCosines:
        with self._lock:
            if store.name not in self._cosines:
                self._cosines[store.name] = SentenceCosines(store.sentence_vectors)
            return self._cosines[store.name]

    def _bilingual_encoder(self, store: ArticleStore) -> BilingualEncoder:
        with self._lock:
            if store.name not in self._bilingual:
                self._bilingual[store.name] = BilingualEncoder(store.bilingual_embeddings)
            return self._bilingual[store.name]

    def _index(self, store: ArticleStore) -> KeywordIndex:
        with self._lock:
            if store.name not in self._indexes:
                self._indexes[store.name] = KeywordIndex(store)
            return self._indexes[store.name]

    def _error_answer(self, question: str, apology: dict[str, str], detail: str) -> Answer:
        language = "zh" if is_chinese(question) else "en"
        return Answer(
            question=question,
            text=in_script_of(question, apology[language]),
            confident=False,
            answer_id=uuid.uuid4().hex[:12],
            error=detail,
        )


def clean_question(question: str) -> tuple[str, list[str]]:
    """Strip control characters and markup noise; trim over-long questions with a note."""
    notes: list[str] = []
    cleaned = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in question or "")
    cleaned = strip_markup(cleaned)
    cleaned = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", " ".join(cleaned.split()))
    if len(cleaned) > MAX_QUESTION_CHARS:
        cleaned = cleaned[:MAX_QUESTION_CHARS]
        notes.append(
            in_script_of(cleaned, LONG_QUESTION_NOTE["zh"])
            if is_chinese(cleaned)
            else LONG_QUESTION_NOTE["en"]
        )
    if cleaned and not any(ch.isalnum() for ch in cleaned):
        return "", notes
    return cleaned, notes
