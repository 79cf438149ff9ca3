"""50 questions at once against one process: throughput, latency, and nobody's answer mixed up.

Not a test: a measurement, run by hand (see BENCHMARKS.md, "Concurrency"):

    .venv/bin/python benchmarks/concurrency.py

A bot answers many chat users from one process: `Answerer.aask` runs each question in a
worker thread. On the sample store (examples/articles; a copy of the prebuilt store in
$TEST_SAMPLE_STORE_CACHE or /work/cache/sample-chroma when there, else ingested into a
temporary directory), the same 50 questions are asked

1. one at a time (`Answerer.ask`, a fresh Answerer), then
2. all at once (`asyncio.gather` of `Answerer.aask`, another fresh Answerer, so both start
   with empty caches),

and every parallel answer is compared with the one-at-a-time answer to the same question:
same question text, the same `confident`, same quotes (article, offsets), distinct answer ids.
The questions are the first 40 characters of the articles' sentences (as in
tests/ingest/test_crash_safety.py), so each has a known source article.

Prints the figures and writes benchmarks/concurrency-results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import REPO, log, machine_info, peak_rss_mb, percentile_ms

from config import Settings, load_settings
from retrieval import Answerer
from retrieval.models import Answer

SAMPLE_ARTICLES = REPO / "examples" / "articles"
PREBUILT = Path(os.environ.get("TEST_SAMPLE_STORE_CACHE") or "/work/cache/sample-chroma")
RESULTS = REPO / "benchmarks" / "concurrency-results.json"


def _settings(chroma_path: Path) -> Settings:
    return load_settings(chroma_path=chroma_path, _env_file=None, chroma_url="", llm="",
                         collection="citebot")


def prepare_store(chroma_path: Path) -> str:
    """The sample store at `chroma_path`: copied when a prebuilt one exists, else ingested."""
    if (PREBUILT / "chroma.sqlite3").is_file():
        shutil.copytree(PREBUILT, chroma_path)
        return f"copy of {PREBUILT}"
    from ingest.pipeline import ingest_paths
    from ingest.store import ArticleStore

    started = time.perf_counter()
    report = ingest_paths([SAMPLE_ARTICLES], ArticleStore(_settings(chroma_path)),
                          show_progress=False)
    return f"ingested {report.chunks_added} chunks in {time.perf_counter() - started:.0f} s"


def questions_from(answerer: Answerer, n: int) -> list[tuple[str, str]]:
    """(question, source article id): sentence starts, taken across the articles in turn."""
    store = answerer.store()
    records = store.articles()
    texts = store.article_texts([r.article_id for r in records])
    questions: list[tuple[str, str]] = []
    seen: set[str] = set()
    for step in range(500):
        for record in records:
            lines = [s for s in texts[record.article_id].split("\n") if 25 <= len(s) <= 200]
            if step < len(lines) and lines[step][:40] not in seen:
                seen.add(lines[step][:40])
                questions.append((lines[step][:40], record.article_id))
            if len(questions) == n:
                return questions
    raise SystemExit(f"only {len(questions)} questions in the sample articles")


def _key(answer: Answer) -> tuple[Any, ...]:
    return (answer.confident, tuple((q.article_id, q.start, q.end) for q in answer.quotes))


async def _together(answerer: Answerer, questions: list[str]) -> tuple[list[Answer], list[float]]:
    latencies = [0.0] * len(questions)

    async def timed(i: int, question: str) -> Answer:
        asked = time.perf_counter()
        answer = await answerer.aask(question)
        latencies[i] = time.perf_counter() - asked
        return answer

    answers = await asyncio.gather(*(timed(i, q) for i, q in enumerate(questions)))
    return list(answers), latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=50)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    results: dict[str, Any] = {"machine": machine_info()}
    with tempfile.TemporaryDirectory(prefix="citebot-concurrency-") as tmp:
        chroma_path = Path(tmp) / "chroma"
        results["store"] = prepare_store(chroma_path)
        settings = _settings(chroma_path)

        alone_answerer = Answerer(settings)
        pairs = questions_from(alone_answerer, args.n)
        questions = [q for q, _ in pairs]
        alone_answerer.store().embeddings.embed_query("warm up")
        alone_answerer.ask("预热")  # builds the keyword index: the first-question cost is not at issue

        started = time.perf_counter()
        alone: list[Answer] = []
        alone_latencies: list[float] = []
        for question in questions:
            asked = time.perf_counter()
            alone.append(alone_answerer.ask(question))
            alone_latencies.append(time.perf_counter() - asked)
        alone_s = time.perf_counter() - started
        log(f"one at a time: {args.n} questions in {alone_s:.1f} s")

        parallel_answerer = Answerer(settings)
        parallel_answerer.ask("预热")
        started = time.perf_counter()
        together, latencies = asyncio.run(_together(parallel_answerer, questions))
        together_s = time.perf_counter() - started
        log(f"all at once: {args.n} questions in {together_s:.1f} s")
        chunks = parallel_answerer.store().chunk_count()

    mixed = [
        q for q, a, b in zip(questions, alone, together, strict=True)
        if b.question != q or _key(a) != _key(b)
    ]
    errors = sum(a.error is not None for a in together)
    top_from_source = sum(
        1 for (_, source), a in zip(pairs, together, strict=True)
        if a.quotes and a.quotes[0].article_id == source
    )
    results.update({
        "chunks": chunks,
        "questions": args.n,
        "sequential_s": round(alone_s, 2),
        "sequential_questions_per_s": round(args.n / alone_s, 2),
        "sequential_p50_ms": percentile_ms(alone_latencies, 50),
        "sequential_p95_ms": percentile_ms(alone_latencies, 95),
        "parallel_s": round(together_s, 2),
        "parallel_questions_per_s": round(args.n / together_s, 2),
        "parallel_p50_ms": percentile_ms(latencies, 50),
        "parallel_p95_ms": percentile_ms(latencies, 95),
        "parallel_max_ms": percentile_ms(latencies, 100),
        "mixed_up": len(mixed),
        "mixed_up_questions": mixed,
        "errors": errors,
        "distinct_answer_ids": len({a.answer_id for a in together}),
        "confident": sum(a.confident for a in together),
        "top_quote_from_source_article": top_from_source,
        "peak_rss_mb": peak_rss_mb(),
    })
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"{args.n} questions on {chunks} chunks ({results['store']})\n"
        f"one at a time: {results['sequential_questions_per_s']} q/s, "
        f"p50 {results['sequential_p50_ms']} ms, p95 {results['sequential_p95_ms']} ms\n"
        f"all at once:   {results['parallel_questions_per_s']} q/s, "
        f"p50 {results['parallel_p50_ms']} ms, p95 {results['parallel_p95_ms']} ms "
        f"(from submission to answer)\n"
        f"mixed up: {len(mixed)}, errors: {errors}, distinct answer ids: "
        f"{results['distinct_answer_ids']}, confident: {results['confident']}, top quote from "
        f"the question's own article: {top_from_source}/{args.n}\n"
        f"peak RSS {results['peak_rss_mb']} MB; wrote {args.out}"
    )
    return 1 if mixed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
