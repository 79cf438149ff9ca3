"""Installing citebot with the oldest pip the README supports (23.0, Debian 12's).

A fresh virtualenv gets pip 23.0.1 and resolves `pip install .` (dry run: the resolution and
the build of citebot's metadata are what differ between pip versions; installing the same
wheels would only cost minutes). It checks that
- HTML cleaning is installed: trafilatura → justext need `lxml[html_clean]`, an extra that
  this pip does not take from lxml 6, so citebot names `lxml_html_clean` itself;
- building the metadata prints no setuptools deprecation warning (the license is an SPDX
  string, not a table).
Needs the package index (the machines reach PyPI); slow (about 3 minutes on two busy cores).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
OLDEST_PIP = "23.0.1"


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=1200
    )


@pytest.mark.slow
def test_install_with_the_oldest_supported_pip(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    done = _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    python = venv / "bin" / "python"
    done = _run(python, "-m", "pip", "install", "--quiet", f"pip=={OLDEST_PIP}", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = tmp_path / "report.json"
    done = _run(
        python, "-m", "pip", "install", "-v", "--dry-run", "--ignore-installed",
        "--report", report, REPO, cwd=tmp_path,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-4000:]
    installed = {item["metadata"]["name"].lower().replace("_", "-")
                 for item in json.loads(report.read_text())["install"]}
    assert {"citebot", "trafilatura", "justext", "lxml", "lxml-html-clean"} <= installed
    assert "SetuptoolsDeprecationWarning" not in output, output
