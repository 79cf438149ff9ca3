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
    input: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """`python -m bot.cli ARGS` (or another `module`), its output captured as text.

    `env` defaults to `clean_env()`; pass `clean_env(CITEBOT_…=…)` to set variables. A `cwd`
    outside the repository makes sure no `.env` of the developer's is read. `input` is piped
    to its stdin.
    """
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=cwd,
        env=clean_env() if env is None else env,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def cli_command(*args: str, module: str = "bot.cli") -> list[str]:
    """The argv of `citebot ARGS` (for a test that starts it itself, e.g. on a terminal)."""
    return [sys.executable, "-m", module, *args]
