"""Answers without retrieval: quote and answer factories and the one stub answerer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ingest.store import ArticleRecord
from retrieval.models import Answer, Quote, Turn


def make_quote(
    text: str,
    *,
    title: str = "An article",
    url: str | None = "https://example.com/a",
    published: str | None = "2025-08-16",
    source: str = "a.txt",
    **fields: Any,
) -> Quote:
    """A quote of `text`, the whole of its article (one article per title and link, so
    quotes with another title are from another article); `fields` override any other field."""
    values: dict[str, Any] = {
        "text": text,
        "title": title,
        "url": url,
        "published": published,
        "source": source,
        "article_id": f"{title}|{url}",
        "start": 0,
        "end": len(text),
        "score": 0.9,
    }
    values.update(fields)
    return Quote(**values)


def make_answer(
    question: str = "",
    text: str = "Here is what the article says:",
    quotes: Sequence[Quote] | None = None,
    **fields: Any,
) -> Answer:
    """A confident answer with one quote (unless `quotes` says otherwise)."""
    values: dict[str, Any] = {
        "confident": True,
        "answer_id": "ans1",
        "sources_searched": 14,
    }
    values.update(fields)
    chosen = [make_quote("Brockman said compute is the bottleneck.")] if quotes is None else quotes
    return Answer(question=question, text=text, quotes=list(chosen), **values)


Reply = Callable[[str, Sequence[Turn]], Answer]


def _default_reply(question: str, history: Sequence[Turn], number: int) -> Answer:
    return make_answer(question, f"About {question}:", answer_id=f"ans{number}")


@dataclass
class StubAnswerer:
    """Stands in for `retrieval.Answerer` (`ask`, `aask`, `sources`, `store`) and records
    what it was asked: `(question, history, collection)` in `asked`, collections in `stores`.

    It answers with `answer` (its question replaced), else `reply(question, history)`, else
    "About <question>:" with one quote; `fail` is raised instead when set (also by `sources`).
    `aask` answers in a worker thread, as the real one does.
    """

    answer: Answer | None = None
    reply: Reply | None = None
    records: list[ArticleRecord] = field(default_factory=list)
    fail: BaseException | None = None
    store_object: Any = None
    asked: list[tuple[str, tuple[Turn, ...], str | None]] = field(default_factory=list)
    stores: list[str | None] = field(default_factory=list)

    def ask(
        self, question: str, history: Sequence[Turn] = (), *, collection: str | None = None
    ) -> Answer:
        self.asked.append((question, tuple(history), collection))
        if self.fail is not None:
            raise self.fail
        if self.answer is not None:
            return replace(self.answer, question=question)
        if self.reply is not None:
            return self.reply(question, history)
        return _default_reply(question, history, len(self.asked))

    async def aask(
        self, question: str, history: Sequence[Turn] = (), *, collection: str | None = None
    ) -> Answer:
        return await asyncio.to_thread(self.ask, question, history, collection=collection)

    def sources(self, collection: str | None = None) -> list[ArticleRecord]:
        if self.fail is not None:
            raise self.fail
        return self.records

    def store(self, collection: str | None = None) -> Any:
        self.stores.append(collection)
        return self.store_object if self.store_object is not None else object()
