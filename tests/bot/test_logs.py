"""bot/logs.py: one line per event, JSON lines with CITEBOT_LOG_JSON=1, secrets never printed."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bot.logs import configure_logging
from tests.support.settings import make_settings

SLACK_BOT = "xoxb-1111111111-2222222222-AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_APP = "xapp-1-A0123456789-1234567890123-abcdef0123456789"
# Not token-shaped: only the redaction of known configured values finds it.
SIGNING = "8f14e45fceea167a5a36dedd4bea2543"
DISCORD = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
OPENAI = "sk-proj-abcdefghijklmnop1234"


pytestmark = pytest.mark.usefixtures("restore_root_logger")


def _configure(tmp_path: Path, **overrides: object) -> None:
    settings = make_settings(
        tmp_path,
        slack_bot_token=SLACK_BOT,
        slack_app_token=SLACK_APP,
        slack_signing_secret=SIGNING,
        discord_token=DISCORD,
        **overrides,
    )
    configure_logging(settings)


def _lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return capsys.readouterr().err.splitlines()


def test_json_lines_one_object_per_event(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _configure(tmp_path, log_json=True)
    log = logging.getLogger("citebot.test")
    log.info("answered %s in %d ms", "q-1", 42)
    log.warning("a message\nspread over\nthree lines")
    try:
        raise ValueError("store is down")
    except ValueError:
        log.exception("answering failed")

    lines = _lines(capsys)
    assert len(lines) == 3
    entries = [json.loads(line) for line in lines]
    assert [e["level"] for e in entries] == ["info", "warning", "error"]
    assert all(e["logger"] == "citebot.test" for e in entries)
    assert entries[0]["message"] == "answered q-1 in 42 ms"
    assert entries[1]["message"] == "a message\nspread over\nthree lines"
    assert entries[2]["message"] == "answering failed"
    assert "ValueError: store is down" in entries[2]["error"]
    assert entries[0]["time"].endswith("+00:00")


def test_plain_lines_name_level_and_logger(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _configure(tmp_path, log_json=False)
    logging.getLogger("citebot.test").info("ingested %d articles", 2)
    lines = _lines(capsys)
    assert len(lines) == 1
    assert lines[0].endswith(" INFO citebot.test: ingested 2 articles")
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[0])


@pytest.mark.parametrize("log_json", [True, False])
def test_tokens_and_configured_secrets_are_redacted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], log_json: bool
) -> None:
    _configure(tmp_path, log_json=log_json)
    log = logging.getLogger("citebot.test")
    log.info("slack bot token %s", SLACK_BOT)
    log.info("app token in the message itself: " + SLACK_APP)
    log.info("signing secret %s and discord %s", SIGNING, DISCORD)
    log.info("an OpenAI key %s", OPENAI)
    log.info("an unknown Slack user token xoxp-9999-8888-7777-abcdef")

    output = capsys.readouterr().err
    for secret in (SLACK_BOT, SLACK_APP, SIGNING, DISCORD, OPENAI, "xoxp-9999-8888-7777-abcdef"):
        assert secret not in output
    assert output.count("[redacted]") == 6
    assert "slack bot token [redacted]" in output
    assert len(output.splitlines()) == 5


def test_level_setting_and_noisy_libraries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _configure(tmp_path, log_json=True, log_level="WARNING")
    logging.getLogger("citebot.test").info("not shown")
    logging.getLogger("citebot.test").warning("shown")
    assert [json.loads(line)["message"] for line in _lines(capsys)] == ["shown"]

    _configure(tmp_path, log_json=True, log_level="DEBUG")
    logging.getLogger("httpx").info("HTTP Request: GET http://chroma:8000/api/v2/heartbeat")
    logging.getLogger("citebot.test").debug("debug shown")
    assert [json.loads(line)["message"] for line in _lines(capsys)] == ["debug shown"]


def test_secrets_in_exception_text_are_redacted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _configure(tmp_path, log_json=True)
    try:
        raise RuntimeError(f"auth failed for {SLACK_BOT}")
    except RuntimeError:
        logging.getLogger("citebot.test").exception("posting failed")
    assert SLACK_BOT not in capsys.readouterr().err
