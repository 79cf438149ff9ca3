"""Keyword index engines compared: bm25s in memory (rebuilt) vs SQLite FTS5 on disk (updated).

Not a test: a measurement behind the choice in `retrieval/keyword.py` (BENCHMARKS.md, "Scale"):

    .venv/bin/python benchmarks/keyword_engines.py --sizes 10000,100000

Real tokens: the CMRC dev articles chunked as `citebot ingest` chunks them and tokenized with
`ingest.text.keyword_tokens`, repeated (new ids, same tokens) up to each size. Questions are
CMRC questions (tokenized again inside the timing, by both engines, as a question is). For each size, each engine in a fresh subprocess: build time, peak RSS
growth over the process before the build, query p50/p95 over 200 questions, and for FTS5
the time a question takes to find and add one new article, and the size on disk. FTS5 is
measured through `retrieval.keyword.KeywordIndex` itself, over a stand-in for the store;
its search includes re-tokenizing the question (as a question does). First, on the real
chunks alone, how far the two rankings agree (same best chunk, overlap of the top 30).

bm25s is no longer a citebot dependency (FTS5 replaced it): `pip install bm25s` into the
venv for the comparison, or `--engines fts5` to measure FTS5 alone.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import EVAL_DIR, REPO, log, peak_rss_mb, percentile_ms

from evaluation import load_eval_set
from ingest.chunking import chunk_article
from ingest.text import keyword_tokens


def _bm25s() -> Any:
    try:
        import bm25s
    except ImportError:
        raise SystemExit(
            "bm25s, the engine FTS5 is compared with, is not a citebot dependency any more: "
            "`.venv/bin/pip install bm25s` for the comparison, or run with --engines fts5"
        ) from None
    return bm25s


def corpus(cache: Path) -> dict[str, list]:
    if cache.is_file():
        return json.loads(cache.read_text(encoding="utf-8"))
    eval_set = load_eval_set(EVAL_DIR / "cmrc2018_dev.json", 400)
    docs = [
        " ".join(keyword_tokens(f"{a.title}\n{c.text}"))
        for a in eval_set.articles
        for c in chunk_article(a, 300)
    ]
    questions = [" ".join(keyword_tokens(q.question)) for q in eval_set.questions[:200]]
    data = {"docs": docs, "questions": questions}
    cache.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return data


def run_engine(engine: str, size: int, cache: Path) -> dict[str, float]:
    data = corpus(cache)
    docs = [data["docs"][i % len(data["docs"])] for i in range(size)]
    questions = [q.split() for q in data["questions"] if q]
    keyword_tokens("预热")  # jieba's dictionary is loaded once per process, by either engine
    before = peak_rss_mb()
    result: dict[str, float] = {}
    if engine == "bm25s":
        import numpy as np

        bm25s = _bm25s()

        started = time.perf_counter()
        index = bm25s.BM25()
        index.index([d.split() or ["∅"] for d in docs], show_progress=False)
        result["build_s"] = time.perf_counter() - started
        times, cpu = [], []
        for q in questions:
            t, c = time.perf_counter(), time.process_time()
            q = keyword_tokens(" ".join(q))  # as a question is tokenized before searching
            scores = index.get_scores(q)
            top = np.argpartition(-scores, 29)[:30]
            top[np.argsort(-scores[top])]
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
    else:
        from ingest.models import StoredChunk
        from retrieval.keyword import KeywordIndex

        class Store:
            """The part of `ArticleStore` the index reads, over the synthetic chunks."""

            name = "bench"
            settings = None

            def __init__(self) -> None:
                self.articles = {f"a{n}": range(n * 10, min(size, n * 10 + 10))
                                 for n in range((size + 9) // 10)}
                self.rev = 1

            def revision(self) -> str:
                return str(self.rev)

            def article_ids(self) -> list[str]:
                return list(self.articles)

            def chunks_of(self, ids: list[str]) -> list[StoredChunk]:
                return [StoredChunk(f"c{i}", a, docs[i % len(docs)])
                        for a in ids for i in self.articles[a]]

        folder = Path(tempfile.mkdtemp(prefix="citebot-fts-"))
        store = Store()
        index = KeywordIndex(store, path=folder / "index.sqlite3")  # type: ignore[arg-type]
        started = time.perf_counter()
        index.refresh()
        result["build_s"] = time.perf_counter() - started
        store.articles["new"] = range(size, size + 10)
        store.rev += 1
        started = time.perf_counter()
        index.search("x", 1)  # finds the new revision and adds the article before searching
        result["add_one_article_ms"] = (time.perf_counter() - started) * 1000
        reopened = KeywordIndex(store, path=folder / "index.sqlite3")  # type: ignore[arg-type]
        times, cpu = [], []
        for q in questions:
            t, c = time.perf_counter(), time.process_time()
            reopened.search(" ".join(q), 30)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        result["disk_mb"] = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
    # CPU time too: on a shared, overloaded CPU the wall time is mostly waiting for a core.
    result["query_cpu_p50_ms"] = percentile_ms(cpu, 50)
    result["query_cpu_p95_ms"] = percentile_ms(cpu, 95)
    result["query_p50_ms"] = percentile_ms(times, 50)
    result["query_p95_ms"] = percentile_ms(times, 95)
    result["rss_growth_mb"] = round(peak_rss_mb() - before, 1)
    return {k: round(v, 2) for k, v in result.items()}


def agreement(cache: Path) -> dict[str, float]:
    """How far the two engines' rankings agree on the real corpus (no copies): the share of
    questions with the same best chunk, and the mean overlap of their top 30."""
    import numpy as np

    from ingest.models import StoredChunk
    from retrieval.keyword import KeywordIndex

    data = corpus(cache)
    docs = data["docs"]
    old = _bm25s().BM25()
    old.index([d.split() or ["∅"] for d in docs], show_progress=False)

    class Store:
        name, settings = "agreement", None

        def revision(self) -> str:
            return "1"

        def article_ids(self) -> list[str]:
            return ["all"]

        def chunks_of(self, ids: list[str]) -> list[StoredChunk]:
            return [StoredChunk(f"c{i}", "all", d) for i, d in enumerate(docs)]

    folder = Path(tempfile.mkdtemp(prefix="citebot-fts-agreement-"))
    new = KeywordIndex(Store(), path=folder / "index.sqlite3")  # type: ignore[arg-type]
    same_top = overlap = asked = 0
    for question in data["questions"]:
        tokens = keyword_tokens(question)
        if not tokens:
            continue
        scores = old.get_scores(tokens)
        top = [f"c{i}" for i in np.argsort(-scores)[:30] if scores[i] > 0]
        hits = [h.chunk_id for h in new.search(question, 30)]
        if not top and not hits:
            continue
        asked += 1
        same_top += bool(top and hits and top[0] == hits[0])
        overlap += len(set(top) & set(hits)) / max(len(top), len(hits))
    return {"chunks": len(docs), "questions": asked,
            "same_best_chunk": round(same_top / asked, 3),
            "top30_overlap": round(overlap / asked, 3)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--engines", default="bm25s,fts5",
                        help="comma-separated; bm25s needs `pip install bm25s`")
    parser.add_argument("--run", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    cache = Path(tempfile.gettempdir()) / "citebot-keyword-corpus.json"
    if args.run:
        print(json.dumps(run_engine(args.run[0], int(args.run[1]), Path(args.run[2]))))
        return 0
    engines = args.engines.split(",")
    if "bm25s" in engines:
        _bm25s()  # before anything is built: the clear message, not a subprocess's traceback
    corpus(cache)
    if "bm25s" in engines:
        log(f"agreement on the real corpus: {json.dumps(agreement(cache))}")
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        for engine in engines:
            out = subprocess.run(
                [sys.executable, __file__, "--run", engine, str(size), str(cache)],
                cwd=REPO, capture_output=True, text=True, check=True,
            )
            row = {"engine": engine, "chunks": size, **json.loads(out.stdout.splitlines()[-1])}
            log(json.dumps(row))
            rows.append(row)
    print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
