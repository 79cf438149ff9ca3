"""A local fake of Discord for the adapter tests: the HTTP API and the gateway websocket.

It runs on 127.0.0.1 (port 0) in the test's event loop and speaks enough of Discord for a
real discord.py `Client` to log in, receive READY and a GUILD_CREATE, sync its commands,
and answer interactions and messages. It is strict where Discord is: responses after the
3 s interaction window fail with 10062, a second response with 40060, and over-limit
messages (content, embeds, fields, components) with 400 / 50035 "Invalid Form Body". Like
Discord, its message ids grow with time, it pages a channel's messages (`before`/`after`),
and an interaction's later follow-ups name its original response in `interaction_metadata`.
Everything it receives is kept in `calls` for the tests to inspect.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

from aiohttp import WSMsgType, web

from tests.support.net import serve_on_loopback

APP_ID = "1000000000000000001"
BOT_ID = "1000000000000000002"
GUILD_ID = "1100000000000000001"
CHANNEL_ID = "1200000000000000001"
OTHER_CHANNEL_ID = "1200000000000000002"
ADMIN_ROLE_ID = "1300000000000000001"
MEMBER_ROLE_ID = "1300000000000000002"
ADMIN_ROLE_NAME = "citebot-admins"
MANAGE_GUILD = 1 << 5
SEND_MESSAGES = 1 << 11
EPHEMERAL = 1 << 6

BOT_USER = {"id": BOT_ID, "username": "citebot", "discriminator": "0", "avatar": None,
            "global_name": None, "bot": True}


def json_response(data: Any, status: int = 200) -> web.Response:
    # discord.py parses a body as JSON only when Content-Type is exactly "application/json"
    # (web.json_response would add "; charset=utf-8").
    return web.Response(body=json.dumps(data).encode(), status=status,
                        content_type="application/json")


def _error(status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return json_response(body, status)


def _channel(channel_id: str, name: str, position: int) -> dict[str, Any]:
    return {"id": channel_id, "type": 0, "guild_id": GUILD_ID, "name": name, "position": position,
            "nsfw": False, "permission_overwrites": [], "parent_id": None, "topic": None,
            "rate_limit_per_user": 0, "flags": 0, "last_message_id": None}


def _role(role_id: str, name: str, position: int, permissions: int) -> dict[str, Any]:
    return {"id": role_id, "name": name, "color": 0, "hoist": False, "position": position,
            "permissions": str(permissions), "managed": False, "mentionable": False,
            "icon": None, "unicode_emoji": None, "flags": 0}


GUILD = {
    "id": GUILD_ID, "name": "Test guild", "icon": None, "splash": None, "discovery_splash": None,
    "owner_id": "9", "afk_channel_id": None, "afk_timeout": 300, "verification_level": 0,
    "default_message_notifications": 0, "explicit_content_filter": 0, "features": [],
    "mfa_level": 0, "application_id": None, "system_channel_id": None, "system_channel_flags": 0,
    "rules_channel_id": None, "vanity_url_code": None, "description": None, "banner": None,
    "premium_tier": 0, "preferred_locale": "en-US", "public_updates_channel_id": None,
    "nsfw_level": 0, "premium_progress_bar_enabled": False, "emojis": [], "stickers": [],
    "roles": [
        _role(GUILD_ID, "@everyone", 0, SEND_MESSAGES),
        _role(ADMIN_ROLE_ID, ADMIN_ROLE_NAME, 2, SEND_MESSAGES),
        _role(MEMBER_ROLE_ID, "members", 1, SEND_MESSAGES),
    ],
    "channels": [_channel(CHANNEL_ID, "general", 0), _channel(OTHER_CHANNEL_ID, "random", 1)],
    "threads": [], "members": [], "voice_states": [], "presences": [], "stage_instances": [],
    "guild_scheduled_events": [], "soundboard_sounds": [], "member_count": 3, "large": False,
    "unavailable": False, "joined_at": "2024-01-01T00:00:00+00:00", "lazy": True,
}


class FakeDiscord:
    """Discord's REST API under /api/v10 and its gateway at /gateway-ws, on one aiohttp app."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, str], Any]] = []
        self.gateway_received: list[dict[str, Any]] = []
        self.identify: dict[str, Any] | None = None
        self.files: dict[str, bytes] = {}
        self.messages: list[dict[str, Any]] = []  # every message object it handed out
        self.received: dict[str, dict[str, Any]] = {}  # users' messages it dispatched, by id
        self.reject_token = False
        self.ack_window = 3.0  # Discord: the first response within 3 s
        self.token_ttl = 15 * 60.0  # Discord: follow-ups for 15 minutes
        self._issued: dict[str, float] = {}
        self._acked: set[str] = set()
        self._last_id = 1400000000000000000  # ids grow with time, as Discord's snowflakes do
        self._interactions: dict[str, dict[str, Any]] = {}  # by token: id, user, original
        self._ws: web.WebSocketResponse | None = None
        self._seq = 0
        self.ready = asyncio.Event()
        self.guild_locale = "en-US"  # the guild's preferred_locale (its "Server Primary Language")

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway-ws", self._gateway)
        app.router.add_get("/attachments/{name}", self._attachment)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        self.port = await serve_on_loopback(self._runner)
        self.base = f"http://127.0.0.1:{self.port}"
        self.api_url = f"{self.base}/api/v10"
        self.gateway_url = f"ws://127.0.0.1:{self.port}/gateway-ws"
        return self

    async def stop(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        await self._runner.cleanup()

    # --- what the tests look at ---------------------------------------------------------------

    def find(self, method: str, pattern: str) -> list[tuple[str, str, dict[str, str], Any]]:
        """Calls whose method matches and whose path matches the regex `pattern` entirely."""
        return [c for c in self.calls if c[0] == method and re.fullmatch(pattern, c[1])]

    def callbacks(self, token: str) -> list[Any]:
        return [c[3] for c in self.find("POST", rf"/interactions/\d+/{re.escape(token)}/callback")]

    def followups(self, token: str) -> list[Any]:
        return [c[3] for c in self.find("POST", rf"/webhooks/{APP_ID}/{re.escape(token)}")]

    def channel_messages(self, channel_id: str = CHANNEL_ID) -> list[Any]:
        return [c[3] for c in self.find("POST", rf"/channels/{channel_id}/messages")]

    # --- REST ---------------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body = await request.json() if request.can_read_body else None
        self.calls.append((request.method, path, dict(request.query), body))
        method = request.method
        if path == "/users/@me":
            if self.reject_token:
                return _error(401, 0, "401: Unauthorized")
            return json_response(BOT_USER)
        if path == "/oauth2/applications/@me":
            return json_response({
                "id": APP_ID, "name": "citebot", "description": "", "icon": None,
                "bot_public": True, "bot_require_code_grant": False,
                "owner": {**BOT_USER, "id": "9", "bot": False}, "team": None,
                "verify_key": "00", "flags": 0})
        if path in ("/gateway", "/gateway/bot"):
            return json_response({"url": self.gateway_url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}})
        if method == "PUT" and re.fullmatch(rf"/applications/{APP_ID}(/guilds/\d+)?/commands", path):
            return json_response([{**c, "id": str(2000 + i), "application_id": APP_ID,
                                   "version": "1"} for i, c in enumerate(body)])
        match = re.fullmatch(r"/interactions/(\d+)/([^/]+)/callback", path)
        if match and method == "POST":
            return self._callback(match.group(1), body)
        match = re.fullmatch(rf"/webhooks/{APP_ID}/([^/]+)(/messages/@original)?", path)
        if match:
            return self._webhook(method, match.group(1), bool(match.group(2)), body)
        match = re.fullmatch(r"/channels/(\d+)/messages/(\d+)", path)
        if match and method == "GET":
            return self._get_message(match.group(1), match.group(2))
        match = re.fullmatch(r"/channels/(\d+)/messages", path)
        if match and method == "GET":
            return json_response(self._history(match.group(1), request.query))
        match = re.fullmatch(r"/channels/(\d+)/(messages|typing)", path)
        if match and method == "POST":
            if match.group(2) == "typing":
                return web.Response(status=204)
            return self._limits(body) or json_response(self.message(body, match.group(1)))
        return _error(404, 0, "404: Not Found")

    def _callback(self, interaction_id: str, body: dict[str, Any]) -> web.Response:
        if interaction_id in self._acked:
            return _error(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - self._issued.get(interaction_id, -1e9) > self.ack_window:
            return _error(404, 10062, "Unknown interaction")
        if (error := self._limits(body.get("data") or {})) is not None:
            return error
        self._acked.add(interaction_id)
        flags = (body.get("data") or {}).get("flags", 0)
        return json_response({"interaction": {
            "id": interaction_id, "type": 2,
            "response_message_loading": body["type"] == 5,
            "response_message_ephemeral": bool(flags & EPHEMERAL)}})

    def _webhook(self, method: str, token: str, original: bool, body: Any) -> web.Response:
        if time.monotonic() - self._issued.get(token, -1e9) > self.token_ttl:
            return _error(401, 50027, "Invalid Webhook Token")
        if method == "DELETE" and original:
            return web.Response(status=204)
        if method in ("POST", "PATCH"):
            if (error := self._limits(body or {})) is not None:
                return error
            return json_response(self._interaction_message(token, body or {}, original))
        return _error(405, 0, "405: Method Not Allowed")

    def _get_message(self, channel_id: str, message_id: str) -> web.Response:
        """GET a message: one it handed out or one a user sent (10008 for any other)."""
        found = self.received.get(message_id) or next(
            (m for m in self.messages if m["id"] == message_id), None)
        if found is None or found["channel_id"] != channel_id:
            return _error(404, 10008, "Unknown Message")
        return json_response(found)

    def _history(self, channel_id: str, query: Any) -> list[dict[str, Any]]:
        """GET a channel's messages, as Discord pages them: `limit` (at most 100) of them right
        after `after`, else right before `before` (else the newest), always newest first."""
        limit = min(int(query.get("limit", 50)), 100)
        after, before = int(query.get("after", 0)), int(query.get("before", 1 << 64))
        known = {m["id"]: m for m in [*self.received.values(), *self.messages]
                 if m["channel_id"] == channel_id and after < int(m["id"]) < before}
        ordered = sorted(known.values(), key=lambda m: int(m["id"]))
        page = ordered[:limit] if "after" in query else ordered[-limit:]
        return page[::-1]

    def _interaction_message(self, token: str, body: dict[str, Any], original: bool) -> dict[str, Any]:
        """A message sent with an interaction's token. As on Discord, the first follow-up of a
        deferred interaction is its original response, and the later ones name it in their
        `interaction_metadata` (`original_response_message_id`)."""
        interaction = self._interactions.get(token)
        if interaction is None:  # a token the test issued itself
            return self.message(body)
        message = self.message(body)
        metadata = {"id": interaction["id"], "type": 2, "user": interaction["user"]}
        if original or interaction.setdefault("original", message["id"]) == message["id"]:
            message["interaction_metadata"] = metadata
        else:
            message["interaction_metadata"] = {
                **metadata, "original_response_message_id": interaction["original"]}
        return message

    async def _attachment(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.files:
            return web.Response(status=404)
        kind = "text/html" if name.endswith((".html", ".htm")) else "application/octet-stream"
        return web.Response(body=self.files[name], content_type=kind)

    def message(self, body: dict[str, Any], channel_id: str = CHANNEL_ID) -> dict[str, Any]:
        """A full message object, as Discord returns for a message it accepted."""
        message = {
            "id": self.next_id(), "channel_id": channel_id, "type": 0,
            "content": body.get("content") or "", "author": dict(BOT_USER),
            "timestamp": "2024-01-01T00:00:00+00:00", "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
            "embeds": body.get("embeds") or [], "components": body.get("components") or [],
            "pinned": False, "flags": body.get("flags", 0),
        }
        reference = body.get("message_reference")
        if reference:  # a reply, as Discord records it
            message["type"] = 19
            message["message_reference"] = {"message_id": str(reference["message_id"]),
                                            "channel_id": channel_id, "guild_id": GUILD_ID}
        self.messages.append(message)
        return message

    @staticmethod
    def _limits(message: dict[str, Any]) -> web.Response | None:
        """Discord's documented message limits, answered like Discord (400, code 50035)."""
        problems: dict[str, Any] = {}
        if len(message.get("content") or "") > 2000:
            problems["content"] = "Must be 2000 or fewer in length."
        embeds = message.get("embeds") or []
        if len(embeds) > 10:
            problems["embeds"] = "Must be 10 or fewer in length."
        total = 0
        for index, embed in enumerate(embeds):
            fields = embed.get("fields") or []
            sizes = {
                "title": (len(embed.get("title") or ""), 256),
                "description": (len(embed.get("description") or ""), 4096),
                "footer.text": (len((embed.get("footer") or {}).get("text") or ""), 2048),
                "author.name": (len((embed.get("author") or {}).get("name") or ""), 256),
            }
            for name, (size, limit) in sizes.items():
                if size > limit:
                    problems[f"embeds.{index}.{name}"] = f"Must be {limit} or fewer in length."
            if len(fields) > 25:
                problems[f"embeds.{index}.fields"] = "Must be 25 or fewer in length."
            for f in fields:
                if len(f.get("name") or "") > 256 or len(f.get("value") or "") > 1024:
                    problems[f"embeds.{index}.fields"] = "Field name > 256 or value > 1024."
            total += sum(size for size, _ in sizes.values())
            total += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields)
        if total > 6000:
            problems["embeds"] = "Embed size exceeds maximum size of 6000"
        for row in message.get("components") or []:
            for component in row.get("components") or []:
                if len(component.get("custom_id") or "") > 100:
                    problems["components"] = "custom_id must be 100 or fewer in length."
        if not problems:
            return None
        errors = {key: {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": text}]}
                  for key, text in problems.items()}
        return _error(400, 50035, "Invalid Form Body", errors)

    # --- gateway ------------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._ws = ws
        # TEXT frames: the client decompresses only binary ones, so no zlib is needed.
        await self._send({"op": 10, "d": {"heartbeat_interval": 45000}})
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            payload = json.loads(msg.data)
            self.gateway_received.append(payload)
            if payload["op"] == 1:
                await self._send({"op": 11})
            elif payload["op"] == 2:
                self.identify = payload["d"]
                await self.dispatch("READY", {
                    "v": 10, "user": BOT_USER, "session_id": "session-1",
                    "guilds": [{"id": GUILD_ID, "unavailable": True}],
                    "resume_gateway_url": self.gateway_url,
                    "application": {"id": APP_ID, "flags": 0}})
                await self.dispatch("GUILD_CREATE", {**GUILD, "preferred_locale": self.guild_locale})
                self.ready.set()
        return ws

    async def _send(self, payload: dict[str, Any]) -> None:
        assert self._ws is not None
        await self._ws.send_str(json.dumps(payload))

    def issue(self, interaction_id: str, token: str) -> None:
        """Start the response windows of an interaction (dispatching one does this)."""
        self._issued[interaction_id] = self._issued[token] = time.monotonic()

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        if event == "INTERACTION_CREATE":
            self.issue(data["id"], data["token"])
            who = data.get("user") or (data.get("member") or {}).get("user")
            self._interactions[data["token"]] = {"id": data["id"], "user": who}
        if event == "MESSAGE_CREATE":
            self.received[data["id"]] = data
            self._last_id = max(self._last_id, int(data["id"]))
        self._seq += 1
        await self._send({"op": 0, "t": event, "s": self._seq, "d": data})

    # --- payloads -----------------------------------------------------------------------------

    def next_id(self) -> str:
        """A new id, later than every message it has seen: ids are snowflakes, which count
        milliseconds from bit 22 on. One millisecond on, so the ids a test picks for its own
        messages (…01, …02) never meet one handed out here."""
        self._last_id += 1 << 22
        return str(self._last_id)


def user(user_id: str = "1500000000000000001", name: str = "alice") -> dict[str, Any]:
    return {"id": user_id, "username": name, "discriminator": "0", "avatar": None,
            "global_name": name.title()}


def member(user_id: str = "1500000000000000001", roles: list[str] | None = None,
           permissions: int = SEND_MESSAGES) -> dict[str, Any]:
    return {"user": user(user_id), "roles": roles or [], "joined_at": "2024-01-01T00:00:00+00:00",
            "deaf": False, "mute": False, "flags": 0, "nick": None, "avatar": None,
            "premium_since": None, "pending": False, "permissions": str(permissions)}


def _interaction(kind: int, data: dict[str, Any], token: str, interaction_id: str,
                 channel_id: str, who: dict[str, Any] | None, locale: str) -> dict[str, Any]:
    """Discord sends the user's client language (`locale`) with every interaction, and the
    guild's (`guild_locale`) with one in a guild."""
    return {
        "id": interaction_id, "application_id": APP_ID, "type": kind, "token": token,
        "version": 1, "data": data, "guild_id": GUILD_ID, "channel_id": channel_id,
        "channel": _channel(channel_id, "general", 0), "member": who or member(),
        "locale": locale, "guild_locale": "en-US", "app_permissions": str(SEND_MESSAGES),
        "entitlements": [], "attachment_size_limit": 8388608,
        "authorizing_integration_owners": {"0": GUILD_ID}, "context": 0,
    }


def slash(name: str, options: list[dict[str, Any]] | None = None, *, token: str,
          interaction_id: str, channel_id: str = CHANNEL_ID, who: dict[str, Any] | None = None,
          resolved: dict[str, Any] | None = None, locale: str = "en-US") -> dict[str, Any]:
    """An INTERACTION_CREATE payload for a slash command in the test guild, from a user whose
    Discord client is in `locale` ("zh-CN", "zh-TW")."""
    data: dict[str, Any] = {"id": "2000", "name": name, "type": 1, "options": options or []}
    if resolved:
        data["resolved"] = resolved
    return _interaction(2, data, token, interaction_id, channel_id, who, locale)


def button_click(custom_id: str, message: dict[str, Any], *, token: str, interaction_id: str,
                 who: dict[str, Any] | None = None, locale: str = "en-US") -> dict[str, Any]:
    """An INTERACTION_CREATE payload for a click on a button of `message`."""
    payload = _interaction(3, {"custom_id": custom_id, "component_type": 2}, token,
                           interaction_id, message.get("channel_id", CHANNEL_ID), who, locale)
    payload["message"] = message
    return payload


def guild_message(content: str, *, message_id: str, author: dict[str, Any] | None = None,
                  mentions: list[dict[str, Any]] | None = None,
                  reply_to: str | None = None) -> dict[str, Any]:
    """A MESSAGE_CREATE payload in the test guild's #general."""
    who = author or user()
    payload: dict[str, Any] = {
        "id": message_id, "channel_id": CHANNEL_ID, "guild_id": GUILD_ID, "type": 0,
        "content": content, "author": who, "member": {k: v for k, v in member(who["id"]).items()
                                                      if k not in {"user", "permissions"}},
        "timestamp": "2024-01-01T00:00:00+00:00", "edited_timestamp": None, "tts": False,
        "mention_everyone": False, "mentions": mentions or [], "mention_roles": [],
        "attachments": [], "embeds": [], "pinned": False, "flags": 0,
    }
    if reply_to:
        payload["type"] = 19
        payload["message_reference"] = {"message_id": reply_to, "channel_id": CHANNEL_ID,
                                        "guild_id": GUILD_ID}
    return payload


def custom_ids(message_body: dict[str, Any]) -> list[str]:
    return [c["custom_id"] for row in message_body.get("components") or []
            for c in row.get("components") or [] if "custom_id" in c]


def embed_text(message_body: dict[str, Any]) -> str:
    return "\n".join((e.get("description") or "") for e in message_body.get("embeds") or [])
