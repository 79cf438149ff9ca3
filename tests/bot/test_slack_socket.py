"""Socket Mode: the real aiohttp Socket Mode client against the fake's local websocket."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import build_slack_app
from tests.support.answers import StubAnswerer
from tests.support.fake_slack import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER,
    FakeSlack,
    bot_settings,
    event_body,
    mention,
    wait_until,
)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack().start()
    yield slack
    slack.stop()


async def test_socket_mode_event_is_acked_and_answered_once(
    fake: FakeSlack, tmp_path: Path
) -> None:
    settings = bot_settings(tmp_path, slack_signing_secret=None, slack_app_token=APP_TOKEN)
    answerer = StubAnswerer()
    app = build_slack_app(
        settings, answerer, AsyncWebClient(token=BOT_TOKEN, base_url=fake.base_url)
    )
    handler = AsyncSocketModeHandler(app, app_token=APP_TOKEN)
    await handler.connect_async()
    try:
        assert await asyncio.to_thread(fake.ws_connected.wait, 10)
        body = event_body(mention(f"<@{BOT_USER}> via socket?", ts="1700000000.000100"))
        envelope = await asyncio.to_thread(fake.send_envelope, body)
        assert await wait_until(lambda: {"envelope_id": envelope} in fake.acks)
        posted = await wait_until(fake.posted)
        assert posted and posted[0]["thread_ts"] == "1700000000.000100"
        assert any(
            b.get("text", {}).get("text") == "> Brockman said compute is the bottleneck."
            for b in posted[0]["blocks"]
        )
        # Slack's redelivery of the same event (retry_attempt=1) is acked but not answered
        retry = await asyncio.to_thread(fake.send_envelope, body, "events_api", 1)
        assert await wait_until(lambda: {"envelope_id": retry} in fake.acks)
        sentinel = event_body(mention(f"<@{BOT_USER}> after?", ts="1700000002.000100"))
        await asyncio.to_thread(fake.send_envelope, sentinel)
        assert await wait_until(lambda: len(fake.posted()) == 2)
        assert [q for q, _, _ in answerer.asked] == ["via socket?", "after?"]
        opened = [h for m, h, _ in fake.calls if m == "apps.connections.open"]
        assert opened[0]["Authorization"] == f"Bearer {APP_TOKEN}"
    finally:
        await handler.close_async()
