"""SQuAD-style QA files read as an evaluation set: one article per `data[]` entry.

Each entry's paragraphs, joined by a blank line and cleaned as ingestion cleans text, make one
article; its answerable questions keep the gold answers that occur in that cleaned text. The
language of each question (`lang` when the file gives it, else its script) and of each article
feed the per-language breakdown of the report.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ingest.cleaning import normalise
from ingest.models import Article
from ingest.text import Language, content_id, language_of


@dataclass(frozen=True)
class EvalQuestion:
    """One question; `gold_article_id` is None for a question with no answer in the corpus."""

    qid: str
    question: str
    answers: tuple[str, ...] = ()
    gold_article_id: str | None = None
    language: Language | None = None

    @property
    def question_language(self) -> Language:
        return self.language or language_of(self.question)


@dataclass
class EvalSet:
    name: str
    articles: list[Article]
    questions: list[EvalQuestion]
    skipped_questions: int = 0

    def article_languages(self) -> dict[str, Language]:
        return {a.article_id: language_of(a.text) for a in self.articles}


def _squad_entries(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    entries = data.get("data") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"{path}: not a SQuAD-style file (no data[] list)")
    return entries


def _squad_questions(entry: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for paragraph in entry.get("paragraphs", []):
        yield from paragraph.get("qas", [])


def _clean_answer(text: str) -> str:
    return " ".join(str(text).split())


def _declared_language(qa: dict[str, Any]) -> Language | None:
    lang = qa.get("lang")
    return lang if lang in ("en", "zh") else None


def load_eval_set(path: str | Path, limit: int | None = None) -> EvalSet:
    """The first `limit` articles of a SQuAD-style file and their answerable questions.

    Gold answers are located in the cleaned article text by string search (cleaning may move
    `answer_start`); a question none of whose answers is found there is skipped and counted.
    """
    path = Path(path)
    entries = _squad_entries(path)
    if limit is not None:
        entries = entries[: max(0, limit)]
    name = path.stem
    articles: list[Article] = []
    questions: list[EvalQuestion] = []
    skipped = 0
    for index, entry in enumerate(entries):
        contexts = [str(p.get("context", "")) for p in entry.get("paragraphs", [])]
        text = normalise("\n\n".join(contexts))
        if not text:
            continue
        title = str(entry.get("title") or "").strip() or f"{name} {index}"
        source = f"{name}#{index}"
        article = Article(
            article_id=content_id(text),
            title=title,
            text=text,
            source=source,
            source_key=source,
        )
        articles.append(article)
        for qa in _squad_questions(entry):
            answers = tuple(
                dict.fromkeys(
                    a for a in (_clean_answer(x.get("text", "")) for x in qa.get("answers", []))
                    if a and a in text
                )
            )
            if not answers:
                skipped += 1
                continue
            questions.append(
                EvalQuestion(str(qa.get("id", "")), str(qa.get("question", "")), answers,
                             article.article_id, _declared_language(qa))
            )
    return EvalSet(name, articles, questions, skipped)


def other_questions(path: str | Path) -> list[tuple[str, str]]:
    """(id, question) of every question of a SQuAD-style file, in file order."""
    return [(q.qid, q.question) for q in unanswerable_questions(path)]


def unanswerable_questions(path: str | Path) -> list[EvalQuestion]:
    """Every question of a SQuAD-style file as one with no answer here, in file order."""
    return [
        EvalQuestion(str(qa.get("id", "")), str(qa.get("question", "")),
                     language=_declared_language(qa))
        for entry in _squad_entries(Path(path))
        for qa in _squad_questions(entry)
    ]


def swap_questions(eval_set: EvalSet, path: str | Path) -> int:
    """Ask OTHER's questions (matched by id) instead of the set's own; gold answers stay.

    Questions without a match in OTHER are dropped; returns how many were dropped.
    """
    by_id = {q.qid: q for q in unanswerable_questions(path)}
    kept = [
        replace(q, question=by_id[q.qid].question, language=by_id[q.qid].language)
        for q in eval_set.questions
        if q.qid in by_id
    ]
    dropped = len(eval_set.questions) - len(kept)
    eval_set.questions = kept
    return dropped
