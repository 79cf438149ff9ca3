"""Question latency with an ingest running beside the bot, and what the OpenMP wait policy does.

Not a test: a measurement, run by hand (see BENCHMARKS.md, "Scale"):

    .venv/bin/python benchmarks/neighbour_load.py -n 20

For each OpenMP wait policy (PASSIVE, citebot's default since #18, then ACTIVE, the engine's
own default) a fresh process opens a copy of the sample store (see benchmarks/concurrency.py),
asks `-n` questions one at a time ("beside nothing": whatever else the machine runs), then
starts `citebot ingest` of eval articles into another store beside it and asks `-n` other
questions while it runs ("beside an ingest"). Questions are sentence starts of the sample
articles, each asked once. Reports p50/p95 of each and the ratio loaded/quiet (target ≤ 2),
the sentences embedded per question (0 on a store built with sentence vectors, the current
format: `TEST_SAMPLE_STORE_CACHE=/work/cache/sample-store`, or none prebuilt, so the sample
is ingested) and the 1-minute load average at the start and end of each half.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import EVAL_DIR, REPO, log, machine_info, percentile_ms
from concurrency import _settings, prepare_store, questions_from

from retrieval import Answerer

RESULTS = REPO / "benchmarks" / "neighbour-load-results.json"


def measure(n: int) -> dict[str, Any]:
    """Runs in a subprocess whose environment carries the wait policy under test."""
    with tempfile.TemporaryDirectory(prefix="citebot-neighbour-") as tmp:
        chroma_path = Path(tmp) / "chroma"
        prepare_store(chroma_path)
        answerer = Answerer(_settings(chroma_path))
        pairs = questions_from(answerer, 2 * n)
        model = answerer.store().embeddings
        model.embed_query("warm up")
        answerer.ask("预热")
        embed_documents = model.embed_documents
        embedded = [0]

        def counting(texts: list[str]) -> list[list[float]]:
            embedded[0] += len(texts)
            return embed_documents(texts)

        model.embed_documents = counting  # type: ignore[method-assign]
        loads = [os.getloadavg()[0]]
        quiet = _ask_all(answerer, [q for q, _ in pairs[:n]])
        loads.append(os.getloadavg()[0])

        articles = Path(tmp) / "articles"
        articles.mkdir()
        data = json.loads((EVAL_DIR / "cmrc2018_dev.json").read_text(encoding="utf-8"))
        for i, entry in enumerate(data["data"][400:440]):
            for j, paragraph in enumerate(entry["paragraphs"]):
                (articles / f"{i:03d}-{j}.txt").write_text(
                    f"{entry.get('title', 'untitled')}\n\n{paragraph['context']}\n",
                    encoding="utf-8",
                )
        env = {**os.environ, "CITEBOT_CHROMA_PATH": str(Path(tmp) / "other"),
               "CITEBOT_LLM": ""}
        ingest = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "ingest", str(articles)],
            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(5)  # let the neighbour load its model and start embedding
            assert ingest.poll() is None, "the ingest ended before the questions"
            loads.append(os.getloadavg()[0])
            loaded = _ask_all(answerer, [q for q, _ in pairs[n:]])
            loads.append(os.getloadavg()[0])
            still_running = ingest.poll() is None
        finally:
            ingest.kill()
            ingest.wait()
    return {
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "quiet_p50_ms": percentile_ms(quiet, 50),
        "quiet_p95_ms": percentile_ms(quiet, 95),
        "loaded_p50_ms": percentile_ms(loaded, 50),
        "loaded_p95_ms": percentile_ms(loaded, 95),
        "p95_ratio": round(percentile_ms(loaded, 95) / percentile_ms(quiet, 95), 2),
        "ingest_ran_throughout": still_running,
        "sentences_embedded_per_question": round(embedded[0] / (2 * n), 1),
        "load_average_1m_quiet_start_end": [round(x, 2) for x in loads[:2]],
        "load_average_1m_loaded_start_end": [round(x, 2) for x in loads[2:]],
        "load_average_1m": round(os.getloadavg()[0], 2),
    }


def _ask_all(answerer: Answerer, questions: list[str]) -> list[float]:
    latencies = []
    for question in questions:
        started = time.perf_counter()
        answer = answerer.ask(question)
        latencies.append(time.perf_counter() - started)
        assert answer.error is None, answer.error
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=20)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.n)))
        return 0
    rows = []
    for policy in ("PASSIVE", "ACTIVE"):
        out = subprocess.run(
            [sys.executable, __file__, "--measure", "-n", str(args.n)],
            cwd=REPO, env={**os.environ, "OMP_WAIT_POLICY": policy},
            capture_output=True, text=True, check=False,
        )
        if out.returncode != 0:
            raise SystemExit(out.stderr[-3000:])
        rows.append(json.loads(out.stdout.splitlines()[-1]))
        log(json.dumps(rows[-1]))
    args.out.write_text(json.dumps({"machine": machine_info(), "runs": rows}, indent=2) + "\n",
                        encoding="utf-8")
    print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
