"""`citebot serve slack` as a real process: configuration errors, the Events API over HTTP
against the sample store (the issue's "done when"), and Socket Mode with a clean shutdown."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.slack import serve_slack
from bot.slack_render import unescape
from config import Settings
from tests.support.cli import clean_env
from tests.support.fake_slack import (
    APP_TOKEN,
    BOT_USER,
    FakeSlack,
    bot_settings,
    event_body,
    mention,
    signed_post,
    wait_until,
)
from tests.support.net import free_port

REPO = Path(__file__).resolve().parents[2]
CHEN = "陈信翰拒绝了谁开出的天价薪酬？"
BROCKMAN = "Greg Brockman 认为 AI 发展的关键瓶颈是什么？"
BROCKMAN_URL = "https://www.36kr.com/p/3424967141690758"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack().start()
    yield slack
    slack.stop()


@pytest.mark.parametrize(
    ("http", "overrides", "variable"),
    [
        (True, {"slack_bot_token": None}, "SLACK_BOT_TOKEN"),
        (True, {"slack_signing_secret": None}, "SLACK_SIGNING_SECRET"),
        (False, {}, "SLACK_APP_TOKEN"),
        (False, {"slack_app_token": "xoxb-not-an-app-token"}, "SLACK_APP_TOKEN"),
    ],
)
def test_missing_configuration_names_the_variable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], http: bool, overrides: dict, variable: str
) -> None:
    settings = bot_settings(tmp_path, **overrides)
    assert serve_slack(settings, http=http, port=0) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"citebot: {variable}")
    assert "xoxb-" not in err.replace("(xoxb-…)", "")


def test_rejected_bot_token_exits_2(
    fake: FakeSlack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = bot_settings(tmp_path, slack_bot_token="xoxb-wrong", slack_api_url=fake.base_url)
    assert serve_slack(settings, http=True, port=0) == 2
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN" in err and "invalid_auth" in err and "xoxb-wrong" not in err



def _start(args: list[str], env: dict[str, str], tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    log_path = tmp_path / "serve.log"
    full_env = clean_env(
        **env,
        CITEBOT_HEALTH_PORT="0",
        CITEBOT_FEEDBACK_DB=str(tmp_path / "feedback.sqlite3"),
        CITEBOT_LOG_LEVEL="DEBUG",
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "slack", *args],
            cwd=tmp_path,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return process, log_path


async def _listening(port: int, process: subprocess.Popen) -> bool:
    async def attempt() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"citebot exited with {process.returncode}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return False
        writer.close()
        return True

    for _ in range(3000):
        if await attempt():
            return True
        await asyncio.sleep(0.05)
    return False


def _stop(process: subprocess.Popen) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise


def _quotes_and_sources(blocks: list[dict]) -> tuple[list[str], list[str]]:
    quotes = [
        unescape(b["text"]["text"].replace("\n> ", "\n")[2:])
        for b in blocks
        if b["type"] == "section" and b["text"]["text"].startswith("> ")
    ]
    sources = [
        e["text"]
        for b in blocks
        if b["type"] == "context"
        for e in b["elements"]
        if e["text"].startswith("[")
    ]
    return quotes, sources


def _article_texts(settings: Settings) -> list[str]:
    from ingest.store import ArticleStore

    store = ArticleStore(settings)
    ids = [r.article_id for r in store.articles()]
    return list(store.article_texts(ids).values())


@pytest.mark.slow
async def test_serve_slack_http_answers_a_signed_mention_about_the_samples(
    fake: FakeSlack, sample_store_copy: Settings, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        "SLACK_API_URL": fake.base_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "s",
        "CITEBOT_CHROMA_PATH": str(sample_store_copy.chroma_path),
    }
    process, log_path = _start(["--http", "--port", str(port)], env, tmp_path)
    try:
        assert await _listening(port, process), "the Events API endpoint never came up"
        url = f"http://127.0.0.1:{port}/slack/events"
        assert (await signed_post(url, event_body(mention("hi"))))[0] == 401  # unsigned by "s"
        for n, question in enumerate((CHEN, BROCKMAN)):
            event = mention(f"<@{BOT_USER}> {question}", ts=f"1700000{n}00.000100")
            status, _ = await signed_post(url, event_body(event), secret="s")
            assert status == 200
        answers = await wait_until(lambda: fake.posted() if len(fake.posted()) >= 2 else None, 120)
        assert answers, f"no answers; log:\n{log_path.read_text()[-3000:]}"
    finally:
        assert _stop(process) == 0
    chen = next(a for a in answers if a["thread_ts"] == "1700000000.000100")
    brockman = next(a for a in answers if a["thread_ts"] == "1700000100.000100")

    texts = _article_texts(sample_store_copy)
    chen_quotes, chen_sources = _quotes_and_sources(chen["blocks"])
    assert any("扎克伯格" in q and "10億美元" in q for q in chen_quotes)
    assert all(any(q in text for text in texts) for q in chen_quotes)  # verbatim
    # This sample article has no url: the heading is its title, each quote names the file.
    assert re.match(r"^\[1\] `[0-9a-f_]+\.txt`$", chen_sources[0]), chen_sources
    headings = [e["text"] for b in chen["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert headings[0].startswith("*OpenAI兩大90後"), headings
    brockman_quotes, brockman_sources = _quotes_and_sources(brockman["blocks"])
    assert all(any(q in text for text in texts) for q in brockman_quotes)
    assert any("关键瓶颈" in q for q in brockman_quotes)
    assert brockman_sources[0].startswith(f"[1] <{BROCKMAN_URL}#:~:text=")
    brockman_headings = [
        e["text"] for b in brockman["blocks"] if b["type"] == "context" for e in b["elements"]
    ]
    assert f"<{BROCKMAN_URL}|OpenAIGPT-6> · 2025-08-16" in brockman_headings

    log = log_path.read_text()
    assert "xoxb-test" not in log


@pytest.mark.slow
async def test_serve_slack_socket_mode_answers_and_stops_on_sigterm(
    fake: FakeSlack, sample_store_copy: Settings, tmp_path: Path
) -> None:
    env = {
        "SLACK_API_URL": fake.base_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_APP_TOKEN": APP_TOKEN,
        "CITEBOT_CHROMA_PATH": str(sample_store_copy.chroma_path),
    }
    process, log_path = _start([], env, tmp_path)
    try:
        connected = await asyncio.to_thread(fake.ws_connected.wait, 120)
        assert connected, f"no Socket Mode connection; log:\n{log_path.read_text()[-3000:]}"
        body = event_body(mention(f"<@{BOT_USER}> {BROCKMAN}", ts="1700000000.000100"))
        envelope = await asyncio.to_thread(fake.send_envelope, body)
        assert await wait_until(lambda: {"envelope_id": envelope} in fake.acks)
        answers = await wait_until(fake.posted, 120)
        assert answers and answers[0]["thread_ts"] == "1700000000.000100"
        _, sources = _quotes_and_sources(answers[0]["blocks"])
        assert sources[0].startswith(f"[1] <{BROCKMAN_URL}#:~:text=")
    finally:
        code = _stop(process)
    assert code == 0
    log = log_path.read_text()
    assert "xoxb-test" not in log and APP_TOKEN not in log


def test_manifest_grants_what_the_adapter_uses() -> None:
    import yaml

    manifest = yaml.safe_load((REPO / "bot" / "slack_manifest.yml").read_text(encoding="utf-8"))
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    # chat.postMessage/postEphemeral, reactions.*, conversations.replies/history, /citebot
    assert {
        "app_mentions:read",
        "chat:write",
        "commands",
        "reactions:write",
        "channels:history",
        "groups:history",
        "im:history",
    } <= scopes
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_mention", "message.channels", "message.groups", "message.im"} <= events
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/citebot"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
