"""Shared fixtures. The sample articles are embedded once per test run (~45 s).

`make test` runs two pytest-xdist workers; a store both need is built by the first to ask
for it (`_built_once`) and copied by the other, so the model embeds each store once.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from config import Settings, load_settings
from tests.support.chroma import chroma_server  # noqa: F401  (a fixture for the tests)
from tests.support.settings import SAMPLE_ARTICLES, make_settings


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("CITEBOT_", "SLACK_", "DISCORD_", "OPENAI_", "ANTHROPIC_")):
            monkeypatch.delenv(name, raising=False)


def _built_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]
) -> Path:
    """This worker's own copy of the Chroma directory `build` writes, built by whichever
    xdist worker (or the only process) asks first, under a lock in the run's shared temp
    directory. A store is copied, not shared: Chroma does not promise two processes may
    open one directory."""
    own = tmp_path_factory.mktemp(name) / "chroma"
    if "PYTEST_XDIST_WORKER" not in os.environ:
        build(own)
        return own
    shared = tmp_path_factory.getbasetemp().parent / f"built-{name}"
    with (tmp_path_factory.getbasetemp().parent / f"built-{name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "done").exists():
            shutil.rmtree(shared, ignore_errors=True)  # a worker that failed midway
            build(shared / "chroma")
            (shared / "done").touch()
        shutil.copytree(shared / "chroma", own)
    return own


@pytest.fixture(scope="session")
def sample_store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Chroma directory holding the five sample articles (14 articles), built once."""

    def build(target: Path) -> None:
        from ingest import ArticleStore, ingest_paths

        cached = os.environ.get("TEST_SAMPLE_STORE_CACHE")  # developers only: skip embedding
        if cached and Path(cached).is_dir():
            shutil.copytree(cached, target)
            return
        settings = load_settings(chroma_path=target, _env_file=None)
        report = ingest_paths([SAMPLE_ARTICLES], ArticleStore(settings), show_progress=False)
        assert report.articles == 14 and not report.skipped

    return _built_once(tmp_path_factory, "sample-store", build)


@pytest.fixture(scope="session")
def sample_settings(sample_store_dir: Path) -> Settings:
    """Settings that point at the shared sample store. Do not write to it: copy it first."""
    return load_settings(chroma_path=sample_store_dir, _env_file=None)


@pytest.fixture(scope="session")
def sample_answerer(sample_settings: Settings):
    """An extractive `Answerer` over the sample store (read-only use)."""
    from retrieval import Answerer

    return Answerer(sample_settings)


@pytest.fixture
def sample_store_copy(sample_store_dir: Path, tmp_path: Path) -> Settings:
    """Settings for a private, writable copy of the sample store."""
    target = tmp_path / "chroma"
    shutil.copytree(sample_store_dir, target)
    return make_settings(tmp_path, chroma_path=target)


CONVERSATIONS = Path(__file__).resolve().parent / "fixtures" / "conversations"


@pytest.fixture(scope="session")
def conversation_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A store of the follow-up fixtures' articles (XQuAD en/zh, CMRC), built once.

    Do not write to it. The conversations asked on it are in `conversation_fixtures`.
    """

    def build(target: Path) -> None:
        from evaluation import load_eval_set
        from ingest import ArticleStore
        from ingest.pipeline import ingest_articles

        settings = load_settings(chroma_path=target, _env_file=None)
        articles = load_eval_set(CONVERSATIONS / "articles.json").articles
        report = ingest_articles(articles, ArticleStore(settings), show_progress=False)
        assert report.articles == len(articles) == 11

    store = _built_once(tmp_path_factory, "conversation-store", build)
    return load_settings(chroma_path=store, _env_file=None)


@pytest.fixture(scope="session")
def conversation_answerer(conversation_settings: Settings):
    """An extractive `Answerer` over the conversation store (read-only use)."""
    from retrieval import Answerer

    return Answerer(conversation_settings)


@pytest.fixture(scope="session")
def conversation_fixtures() -> list[dict]:
    """The follow-up conversations of tests/fixtures/conversations/conversations.json."""
    import json

    path = CONVERSATIONS / "conversations.json"
    return json.loads(path.read_text(encoding="utf-8"))["conversations"]

