"""A fake Slack for the Slack adapter's tests: Web API, Socket Mode websocket, response_url.

The real `slack_sdk` / `slack_bolt` clients talk to it over real sockets on 127.0.0.1. It runs
an aiohttp server in its own thread and event loop, so it serves the bot whether the bot runs
in the test's event loop or in another process. It is strict where Slack is: a message with
more than 50 blocks or a section over 3,000 characters is refused with `invalid_blocks`.

Also here: request builders (signed events, slash commands, button clicks), a stub answerer,
and `start_http_bot`, which serves `build_slack_app` on an ephemeral port.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import WSMsgType, web
from slack_sdk.signature import SignatureVerifier

from config import Settings, load_settings
from tests.support.answers import StubAnswerer
from tests.support.net import serve_on_loopback

SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test"
APP_TOKEN = "xapp-test"
BOT_USER = "UBOT"
BOT_ID = "BBOT"
TEAM = "T1"

Call = tuple[str, dict[str, str], dict[str, Any]]


class FakeSlack:
    """Records every call as `(method, headers, params)`; remembers messages per channel so
    `conversations.replies` / `conversations.history` return real threads."""

    def __init__(self, token: str = BOT_TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.responses: list[tuple[str, dict[str, Any]]] = []  # response_url posts
        self.acks: list[dict[str, Any]] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.not_in: set[str] = set()  # channels the bot was not invited to: it may not post
        self.ws: web.WebSocketResponse | None = None
        self.ws_connected = threading.Event()
        self.port = 0
        self._ts = itertools.count(1)

    # --- Web API ----------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        raw = await request.text()
        if request.content_type == "application/json":
            params: dict[str, Any] = json.loads(raw or "{}")
        else:
            params = dict(parse_qsl(raw))
        params.update(request.query)
        for key in ("blocks",):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        self.calls.append((method, dict(request.headers), params))
        auth = request.headers.get("Authorization", "")
        if method != "apps.connections.open" and auth != f"Bearer {self.token}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        return web.json_response(handler(params))

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "team_id": TEAM,
            "url": "https://fake.slack.com/",
        }

    def _chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        problem = _check_message(params) or self._not_in(params)
        if problem:
            return {"ok": False, "error": problem}
        # As Slack's, a message's ts is when it was posted: after every message already there
        # (a test may have added the asker's message with a ts of its choosing).
        ts = self.next_ts()
        before = [Decimal(m["ts"]) for m in self.messages.get(params["channel"], [])]
        if before and max(before) >= Decimal(ts):
            ts = str(max(before) + Decimal("0.000001"))
        self.add_message(
            params["channel"],
            ts,
            text=params.get("text", ""),
            thread_ts=params.get("thread_ts"),
            user=BOT_USER,
            bot_id=BOT_ID,
        )
        return {"ok": True, "channel": params["channel"], "ts": ts}

    def _chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        problem = (
            _check_message(params)
            or self._not_in(params)
            or ("" if params.get("user") else "user_not_found")
        )
        if problem:
            return {"ok": False, "error": problem}
        return {"ok": True, "message_ts": self.next_ts()}

    def _not_in(self, params: dict[str, Any]) -> str:
        return "not_in_channel" if params.get("channel") in self.not_in else ""

    def _reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    def _reactions_remove(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True}

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        root = params.get("ts")
        thread = [
            m
            for m in self.messages.get(params.get("channel", ""), [])
            if m["ts"] == root or m.get("thread_ts") == root
        ]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        # As Slack: oldest first, `limit` (at most 1,000) a page, then a cursor to the next.
        thread.sort(key=lambda m: float(m["ts"]))
        start = int(params.get("cursor") or 0)
        end = start + min(int(params.get("limit") or 1000), 1000)
        more = end < len(thread)
        return {
            "ok": True,
            "messages": thread[start:end],
            "has_more": more,
            "response_metadata": {"next_cursor": str(end) if more else ""},
        }

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        latest = float(params.get("latest") or 1e12)
        oldest = float(params.get("oldest") or 0)
        top = [
            m
            for m in self.messages.get(params.get("channel", ""), [])
            if not m.get("thread_ts") or m["thread_ts"] == m["ts"]
        ]
        found = [m for m in top if oldest <= float(m["ts"]) < latest]
        found.sort(key=lambda m: -float(m["ts"]))
        return {"ok": True, "messages": found[: int(params.get("limit") or 100)]}

    def _apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link?ticket=t1"}

    async def _respond(self, request: web.Request) -> web.Response:
        self.responses.append((request.match_info["hook"], json.loads(await request.text())))
        return web.Response(text="ok")

    # --- Socket Mode --------------------------------------------------------------------------

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.ws = ws
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": 1,
                "connection_info": {"app_id": "A1"},
                "debug_info": {"host": "fake"},
            }
        )
        self.ws_connected.set()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.acks.append(json.loads(msg.data))
        return ws

    def send_envelope(
        self, payload: dict[str, Any], type_: str = "events_api", retry_attempt: int = 0
    ) -> str:
        assert self.ws is not None, "no Socket Mode client connected"
        envelope = {
            "envelope_id": str(uuid.uuid4()),
            "type": type_,
            "payload": payload,
            "accepts_response_payload": False,
            "retry_attempt": retry_attempt,
            "retry_reason": "timeout" if retry_attempt else "",
        }
        asyncio.run_coroutine_threadsafe(self.ws.send_json(envelope), self.loop).result(5)
        return str(envelope["envelope_id"])

    # --- state ----------------------------------------------------------------------------------

    def next_ts(self) -> str:
        return f"1700000{next(self._ts):03d}.000100"

    def add_message(
        self,
        channel: str,
        ts: str,
        text: str,
        *,
        user: str = "U1",
        thread_ts: str | None = None,
        bot_id: str | None = None,
    ) -> None:
        message: dict[str, Any] = {"type": "message", "ts": ts, "user": user, "text": text}
        if thread_ts:
            message["thread_ts"] = thread_ts
        if bot_id:
            message["bot_id"] = bot_id
        self.messages.setdefault(channel, []).append(message)

    def called(self, method: str) -> list[dict[str, Any]]:
        return [params for name, _, params in list(self.calls) if name == method]

    def posted(self) -> list[dict[str, Any]]:
        return self.called("chat.postMessage")

    def response_url(self, hook: str = "hook1") -> str:
        return f"http://127.0.0.1:{self.port}/respond/{hook}"

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        async def boot() -> None:
            app = web.Application()
            app.router.add_post("/api/{method}", self._api)
            app.router.add_get("/api/{method}", self._api)  # conversations.* are GETs
            app.router.add_get("/link", self._link)
            app.router.add_post("/respond/{hook}", self._respond)
            self.runner = web.AppRunner(app, access_log=None)
            await self.runner.setup()
            self.port = await serve_on_loopback(self.runner)
            ready.set()

        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        asyncio.run_coroutine_threadsafe(boot(), self.loop)
        assert ready.wait(10), "fake Slack did not start"
        self.base_url = f"http://127.0.0.1:{self.port}/api/"
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            if self.ws is not None:
                await self.ws.close()
            await self.runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def _check_message(params: dict[str, Any]) -> str:
    """Slack's limits on a message (the ones citebot must respect)."""
    if not params.get("channel"):
        return "channel_not_found"
    blocks = params.get("blocks") or []
    if not blocks and not params.get("text"):
        return "no_text"
    if len(blocks) > 50:
        return "invalid_blocks"
    for block in blocks:
        if block.get("type") == "section" and len(block["text"]["text"]) > 3000:
            return "invalid_blocks"
        if block.get("type") == "context" and len(block["elements"]) > 10:
            return "invalid_blocks"
        for element in block.get("elements", []):
            if len(element.get("value", "")) > 2000:
                return "invalid_blocks"
    if len(params.get("text", "")) > 40000:
        return "msg_too_long"
    return ""


# --- requests to the bot --------------------------------------------------------------------


def event_body(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "token": "legacy",
        "team_id": TEAM,
        "api_app_id": "A1",
        "type": "event_callback",
        "event": event,
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10]}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
    }


def mention(
    text: str,
    *,
    ts: str = "1700000000.000100",
    thread_ts: str | None = None,
    channel: str = "C1",
    user: str = "U123",
) -> dict[str, Any]:
    event = {
        "type": "app_mention",
        "user": user,
        "text": text,
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
        "client_msg_id": str(uuid.uuid4()),
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message(
    text: str,
    *,
    ts: str,
    thread_ts: str | None = None,
    channel: str = "C1",
    user: str = "U123",
    channel_type: str = "channel",
) -> dict[str, Any]:
    event = mention(text, ts=ts, thread_ts=thread_ts, channel=channel, user=user)
    event.update(type="message", channel_type=channel_type)
    return event


def slash_command(text: str, response_url: str, *, channel: str = "C1", user: str = "U123") -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": TEAM,
            "channel_id": channel,
            "user_id": user,
            "command": "/citebot",
            "text": text,
            "response_url": response_url,
            "trigger_id": "t.1",
            "api_app_id": "A1",
        }
    )


def button_click(
    action_id: str,
    value: str,
    *,
    user: str = "U123",
    channel: str = "C1",
    message_ts: str = "1700000001.000100",
    thread_ts: str | None = None,
    response_url: str | None = None,
) -> str:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": TEAM},
        "user": {"id": user},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "t.2",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
        "channel": {"id": channel},
        "message": {
            "type": "message",
            "ts": message_ts,
            "text": "answer",
            **({"thread_ts": thread_ts} if thread_ts else {}),
        },
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "citebot_actions",
                "value": value,
                "action_ts": str(time.time()),
            }
        ],
    }
    if response_url:
        payload["response_url"] = response_url
    return urlencode({"payload": json.dumps(payload)})


def signed_headers(
    raw: str, *, secret: str = SECRET, ts: int | None = None, content_type: str = "application/json"
) -> dict[str, str]:
    stamp = str(int(time.time()) if ts is None else ts)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": SignatureVerifier(secret).generate_signature(
            timestamp=stamp, body=raw
        ),
    }


async def signed_post(
    url: str,
    body: dict[str, Any] | str,
    *,
    secret: str = SECRET,
    ts: int | None = None,
    headers: dict[str, str] | None = None,
    tamper: bool = False,
) -> tuple[int, str]:
    """POST like Slack does: JSON events, form-encoded commands and interactions."""
    raw = body if isinstance(body, str) else json.dumps(body)
    content_type = (
        "application/x-www-form-urlencoded" if isinstance(body, str) else "application/json"
    )
    sent = signed_headers(raw, secret=secret, ts=ts, content_type=content_type)
    if tamper:
        sent["X-Slack-Signature"] = sent["X-Slack-Signature"][:-4] + "0000"
    sent.update(headers or {})
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=raw.encode(), headers=sent) as response,
    ):
        return response.status, await response.text()


async def wait_until(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll `predicate` until it returns something truthy; that value, or None at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.02)
    return None


# --- the bot under test ---------------------------------------------------------------------


def bot_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "_env_file": None,
        "chroma_path": tmp_path / "chroma",
        "feedback_db": tmp_path / "feedback.sqlite3",
        "rate_limit_per_minute": 0,
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SECRET,
    }
    values.update(overrides)
    return load_settings(**values)


@dataclass
class HttpBot:
    fake: FakeSlack
    answerer: StubAnswerer
    settings: Settings
    url: str
    runner: web.AppRunner

    async def post(self, body: dict[str, Any] | str, **kwargs: Any) -> tuple[int, str]:
        return await signed_post(self.url, body, **kwargs)


async def start_http_bot(
    fake: FakeSlack, tmp_path: Path, answerer: StubAnswerer | None = None, **overrides: object
) -> HttpBot:
    """`build_slack_app` behind `build_web_app` on 127.0.0.1 (ephemeral port), in this loop."""
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.slack import build_slack_app, build_web_app

    settings = bot_settings(tmp_path, slack_api_url=fake.base_url, **overrides)
    answerer = answerer or StubAnswerer()
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.base_url)
    app = build_slack_app(settings, answerer, client)
    runner = web.AppRunner(build_web_app(app, signing_secret=SECRET))
    await runner.setup()
    port = await serve_on_loopback(runner)
    return HttpBot(fake, answerer, settings, f"http://127.0.0.1:{port}/slack/events", runner)
