"""`citebot` in a subprocess, as a user runs it, with none of the developer's settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.settings import REPO

_OWN_PREFIXES = ("CITEBOT_", "SLACK_", "DISCORD_", "OPENAI_", "ANTHROPIC_")


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without citebot's variables, plus `extra`; the repository
    on PYTHONPATH so `python -m bot.cli` works from any directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def run_cli(
    *args: str,
    cwd: Path = REPO,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    module: str = "bot.cli",
) -> subprocess.CompletedProcess[str]:
    """`python -m bot.cli ARGS` (or another `module`), its output captured as text.

    `env` defaults to `clean_env()`; pass `clean_env(CITEBOT_…=…)` to set variables. A `cwd`
    outside the repository makes sure no `.env` of the developer's is read.
    """
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=clean_env() if env is None else env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
