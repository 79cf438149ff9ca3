"""Running `citebot` as a user does: a subprocess, in a folder of its own, with a clean env.

The developer's `.env` and `CITEBOT_*`/`SLACK_*`/`DISCORD_*` variables never leak in: the
command runs in `cwd` (a temporary folder by default in tests) with only what the test gives.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_OWN_PREFIXES = ("CITEBOT_", "SLACK_", "DISCORD_", "OPENAI_", "ANTHROPIC_")


def cli_env(**env: str) -> dict[str, str]:
    """The process environment without citebot's variables, plus `env` and the repo on the path."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_OWN_PREFIXES)}
    return {**clean, "PYTHONPATH": str(REPO), **env}


def cli_command(*args: str) -> list[str]:
    """`citebot ARGS…` as an argv (the installed module, so it works without the script)."""
    return [sys.executable, "-m", "bot.cli", *args]


def run_cli(
    *args: str,
    cwd: Path,
    input: str | None = None,
    timeout: float = 300,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    """`citebot ARGS…` run to completion in `cwd`; stdout and stderr captured as text."""
    return subprocess.run(
        cli_command(*args),
        cwd=cwd,
        env=cli_env(**env),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
