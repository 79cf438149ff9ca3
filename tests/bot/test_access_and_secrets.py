"""Access and secrets: tokens never shown or logged, feedback keeps ids, admin commands refuse.

Admin-only `/ingest` being checked on every call is tested with the Discord adapter
(`tests/bot/test_discord.py::test_ingest_permission_is_checked_on_every_call`); Slack has no
admin commands. Here: `Settings.masked()`, `citebot doctor`, log redaction (tracebacks
included), the feedback database's contents, and `citebot forget` of an unknown id.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest

from bot.logs import configure_logging
from config import Settings
from tests.support.cli import clean_env, run_cli
from tests.support.embeddings import MODEL_NAME
from tests.support.fake_slack import (
    BOT_USER,
    FakeSlack,
    button_click,
    event_body,
    mention,
    start_http_bot,
    wait_until,
)
from tests.support.settings import make_settings

SLACK_BOT = "xoxb-1111111111-2222222222-AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_APP = "xapp-1-A0123456789-1234567890123-abcdef0123456789"
SIGNING = "8f14e45fceea167a5a36dedd4bea2543"  # not token-shaped: only known-value redaction finds it
DISCORD = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
SECRETS = (SLACK_BOT, SLACK_APP, SIGNING, DISCORD)


def _secret_settings(tmp_path: Path, **overrides: object) -> Settings:
    return make_settings(
        tmp_path,
        slack_bot_token=SLACK_BOT,
        slack_app_token=SLACK_APP,
        slack_signing_secret=SIGNING,
        discord_token=DISCORD,
        **overrides,
    )


def _assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text
        assert secret[-12:] not in text, "a recognisable part of a secret leaked"


def test_masked_settings_show_every_setting_but_no_secret(tmp_path: Path) -> None:
    settings = _secret_settings(tmp_path)
    shown = settings.masked()
    _assert_no_secret(json.dumps(shown))
    assert shown["SLACK_BOT_TOKEN"] == f"xoxb…({len(SLACK_BOT)} chars)"
    assert shown["SLACK_SIGNING_SECRET"] == f"…({len(SIGNING)} chars)"
    assert shown["DISCORD_TOKEN"].endswith(f"({len(DISCORD)} chars)")
    assert shown["CITEBOT_COLLECTION"] == "citebot"
    _assert_no_secret(repr(settings))
    _assert_no_secret(str(settings))
    _assert_no_secret(settings.model_dump_json())


def _cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        *args,
        cwd=tmp_path,  # no .env of the developer's is read
        env=clean_env(CITEBOT_CHROMA_PATH=str(tmp_path / "chroma"),
                      CITEBOT_EMBEDDING_MODEL=MODEL_NAME, **env),
    )


def test_doctor_prints_tokens_masked(tmp_path: Path) -> None:
    done = _cli(
        tmp_path, "doctor",
        SLACK_BOT_TOKEN=SLACK_BOT, SLACK_APP_TOKEN=SLACK_APP, SLACK_SIGNING_SECRET=SIGNING,
        DISCORD_TOKEN=DISCORD, CITEBOT_LOG_LEVEL="DEBUG",
    )
    output = done.stdout + done.stderr
    assert "SLACK_BOT_TOKEN" in output and "DISCORD_TOKEN" in output, output
    assert f"xoxb…({len(SLACK_BOT)} chars)" in output
    _assert_no_secret(output)


def test_forget_of_an_unknown_id_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    done = _cli(tmp_path, "forget", "0123456789abcdef")
    assert done.returncode == 2
    assert "no article with id 0123456789abcdef" in done.stderr
    assert "citebot sources" in done.stderr
    assert "Traceback" not in done.stderr




@pytest.mark.usefixtures("restore_root_logger")
@pytest.mark.parametrize("log_json", [False, True], ids=["plain", "json"])
def test_secrets_are_never_logged_even_in_tracebacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], log_json: bool
) -> None:
    configure_logging(_secret_settings(tmp_path, log_json=log_json))
    log = logging.getLogger("citebot.test")
    log.warning("connecting with %s and %s", SLACK_BOT, SIGNING)
    try:
        raise PermissionError(f"invalid_auth for token {DISCORD} (signing {SIGNING})")
    except PermissionError:
        log.exception("Discord login failed")
    log.error("again", stack_info=True, extra={"note": SLACK_APP})
    output = capsys.readouterr().err
    assert "PermissionError" in output and "Discord login failed" in output
    assert output.count("[redacted]") >= 4
    _assert_no_secret(output)


async def test_feedback_store_holds_the_user_id_not_the_name(tmp_path: Path) -> None:
    fake = FakeSlack().start()
    bot = await start_http_bot(fake, tmp_path)
    try:
        await bot.post(event_body(mention(f"<@{BOT_USER}> Was it useful?", user="U07QX9ZK")))
        posted = await wait_until(fake.posted)
        assert posted
        buttons = {
            e["action_id"]: e["value"]
            for block in posted[0]["blocks"] if block["type"] == "actions"
            for e in block["elements"]
        }
        action_id, value = next((k, v) for k, v in buttons.items() if "up" in k)
        # A real block_actions payload carries the clicker's names too.
        payload: dict[str, Any] = json.loads(
            parse_qs(button_click(action_id, value, user="U07QX9ZK"))["payload"][0]
        )
        payload["user"].update(
            {"username": "jane.doe", "name": "jane.doe", "real_name": "Jane Doe", "team_id": "T1"}
        )
        status, _ = await bot.post(urlencode({"payload": json.dumps(payload)}))
        assert status == 200
        assert await wait_until(lambda: fake.called("chat.postEphemeral"))
    finally:
        await bot.runner.cleanup()
        fake.stop()
    with sqlite3.connect(bot.settings.feedback_db) as db:
        rows = db.execute("SELECT * FROM feedback").fetchall()
        columns = [c[1] for c in db.execute("PRAGMA table_info(feedback)")]
    assert len(rows) == 1 and "U07QX9ZK" in rows[0]
    assert not {"name", "user_name", "username", "real_name"} & set(columns)
    raw = Path(bot.settings.feedback_db).read_bytes()
    assert b"jane" not in raw.lower() and b"Jane Doe" not in raw
