"""Settings for tests: isolated from the developer's `.env` and environment."""

from __future__ import annotations

from pathlib import Path

from config import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent.parent
SAMPLE_ARTICLES = REPO / "examples" / "articles"
FIXTURES = REPO / "tests" / "fixtures"


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings isolated from the developer's `.env` and environment."""
    values: dict[str, object] = {"chroma_path": tmp_path / "chroma", "_env_file": None}
    values.update(overrides)
    return load_settings(**values)
