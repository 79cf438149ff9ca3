"""The Slack adapter: mentions, DMs, thread follow-ups, `/citebot`, feedback and sharing.

It only translates: a Slack event becomes `(question, history, collection)` for the
`Answerer`, and the `Answer` becomes Block Kit (`bot/slack_render.py`). Built on slack-bolt's
`AsyncApp`: Bolt acknowledges every request at once (Slack's 3-second rule) and runs the
listener as a task; the answer is computed in a worker thread (`Answerer.aask`), so a slow
question never holds up the others.

`build_slack_app` wires the listeners onto a client (tests pass one pointed at a local fake
Slack); `serve_slack` is `citebot serve slack`: Socket Mode by default, or the Events API over
HTTP (`--http --port N`), where Bolt rejects requests without a valid signature with 401.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import math
import re
import signal
import sys
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

from aiohttp import ClientError, web
from slack_bolt import BoltResponse
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.feedback import FeedbackStore
from bot.logs import log_store_size
from bot.ratelimit import RateLimiter
from bot.slack_render import (
    APOLOGY,
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    SHARE,
    SlackMessage,
    parse_feedback_value,
    render_answer,
    render_help,
    render_sources,
    render_text,
    unescape,
)
from config import Settings
from retrieval.models import Answer, Turn

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HOURGLASS = "hourglass_flowing_sand"
SEEN_TTL_S = 3600.0  # Slack retries for about 5 minutes
ANSWERED_THREAD_TTL_S = 7 * 24 * 3600.0
QUIET_THREAD_TTL_S = 600.0
SHARE_TTL_S = 24 * 3600.0
HISTORY_TURNS = 6
DM_HISTORY_S = 900
TURN_CHARS = 1000
EXIT_OK = 0
EXIT_CONFIG = 2

V = TypeVar("V")


class _Expiring(Generic[V]):
    """A bounded map whose entries expire: seen events, answered threads, shareable answers."""

    def __init__(
        self, ttl_s: float, max_items: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_s = ttl_s
        self.max_items = max_items
        self._clock = clock
        self._items: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def get(self, key: str) -> V | None:
        item = self._items.get(key)
        if item is None or item[0] <= self._clock():
            self._items.pop(key, None)
            return None
        return item[1]

    def put(self, key: str, value: V) -> None:
        self._items.pop(key, None)
        self._items[key] = (self._clock() + self.ttl_s, value)
        while len(self._items) > self.max_items:
            self._items.popitem(last=False)

    def pop(self, key: str) -> None:
        self._items.pop(key, None)

    def claim(self, key: str, value: V) -> bool:
        """True the first time `key` is seen within the TTL (then it is taken), else False."""
        if self.get(key) is not None:
            return False
        self.put(key, value)
        return True


def question_from_slack(text: str, bot_user_id: str | None) -> str:
    """Slack mrkdwn → the plain question: the bot's mention removed, other mentions, channel
    names and links as readable text, entities decoded."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    text = re.sub(r"<@([A-Z0-9]+)(?:\|([^>]*))?>", lambda m: "@" + (m.group(2) or m.group(1)), text)
    text = re.sub(r"<#([A-Z0-9]+)(?:\|([^>]*))?>", lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = re.sub(r"<!([^>|]+)(?:\|([^>]*))?>", lambda m: m.group(2) or "@" + m.group(1), text)
    text = re.sub(
        r"<([a-z][a-z0-9+.-]*:[^>|]+)(?:\|([^>]*))?>", lambda m: m.group(2) or m.group(1), text
    )
    return " ".join(unescape(text).split())


def _mentions(text: str, bot_user_id: str | None) -> bool:
    return bool(bot_user_id) and f"<@{bot_user_id}" in text


def _later(ts: str, than: str) -> bool:
    try:
        return float(ts) > float(than)
    except ValueError:
        return ts > than


class _SlackBot:
    """The listeners and the little state they share (all touched from one event loop)."""

    def __init__(
        self,
        settings: Settings,
        answerer: Any,
        feedback: FeedbackStore,
        limiter: RateLimiter,
    ) -> None:
        self.settings = settings
        self.answerer = answerer
        self.feedback = feedback
        self.limiter = limiter
        self.answer_channels = set(settings.slack_answer_channels)
        self.seen_events: _Expiring[bool] = _Expiring(SEEN_TTL_S)
        self.claimed_messages: _Expiring[bool] = _Expiring(SEEN_TTL_S)
        self.answered_threads: _Expiring[bool] = _Expiring(ANSWERED_THREAD_TTL_S)
        self.quiet_threads: _Expiring[bool] = _Expiring(QUIET_THREAD_TTL_S)
        self.shareable: _Expiring[tuple[Answer, str, str | None, str]] = _Expiring(SHARE_TTL_S)

    def register(self, app: AsyncApp) -> None:
        @app.middleware
        async def dedupe_retries(
            body: dict[str, Any], next_: Callable[[], Awaitable[BoltResponse]]
        ) -> BoltResponse:
            event_id = body.get("event_id") if isinstance(body, dict) else None
            if event_id and not self.seen_events.claim(str(event_id), True):
                log.info("ignoring a repeat of Slack event %s", event_id)
                return BoltResponse(status=200, body="")
            return await next_()

        @app.event("app_mention")
        async def on_mention(
            event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
        ) -> None:
            if event.get("bot_id"):  # another bot: answering bots is how loops start
                return
            root = event.get("thread_ts")
            await self.handle_question(
                client,
                context,
                event,
                reply_thread=root or event["ts"],
                dm=str(event.get("channel", "")).startswith("D"),
            )

        @app.event("message")
        async def on_message(
            event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
        ) -> None:
            await self.on_message(event, context, client)

        @app.command("/citebot")
        async def on_command(
            ack: Callable[..., Awaitable[Any]],
            command: dict[str, Any],
            respond: AsyncRespond,
            context: AsyncBoltContext,
        ) -> None:
            await ack()
            await self.on_command(command, respond, context)

        @app.action(re.compile(f"^({FEEDBACK_UP}|{FEEDBACK_DOWN})$"))
        async def on_feedback(
            ack: Callable[..., Awaitable[Any]],
            body: dict[str, Any],
            action: dict[str, Any],
            client: AsyncWebClient,
            respond: AsyncRespond,
        ) -> None:
            await ack()
            await self.on_feedback(body, action, client, respond)

        @app.action(SHARE)
        async def on_share(
            ack: Callable[..., Awaitable[Any]],
            body: dict[str, Any],
            action: dict[str, Any],
            client: AsyncWebClient,
            respond: AsyncRespond,
        ) -> None:
            await ack()
            await self.on_share(body, action, client, respond)

    # --- events -----------------------------------------------------------------------------------

    async def on_message(
        self, event: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        """DMs always; in channels, follow-ups in citebot's threads and top-level messages of
        the answer channels. Messages that mention the bot are left to `app_mention`."""
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return
        if event["user"] == context.bot_user_id:
            return
        channel, ts, root = event.get("channel", ""), event["ts"], event.get("thread_ts")
        in_thread = bool(root) and root != ts
        if event.get("channel_type") == "im":
            await self.handle_question(
                client, context, event, reply_thread=root if in_thread else None, dm=True
            )
            return
        if _mentions(event.get("text") or "", context.bot_user_id):
            return
        if in_thread:
            replies = await self._follow_up_replies(client, context, channel, root)
            if replies is not None:
                await self.handle_question(
                    client, context, event, reply_thread=root, dm=False, replies=replies
                )
        elif channel in self.answer_channels:
            await self.handle_question(client, context, event, reply_thread=ts, dm=False)

    async def handle_question(
        self,
        client: AsyncWebClient,
        context: AsyncBoltContext,
        event: dict[str, Any],
        *,
        reply_thread: str | None,
        dm: bool,
        replies: list[dict[str, Any]] | None = None,
    ) -> None:
        channel, ts, user = event.get("channel", ""), event["ts"], event.get("user", "")
        # app_mention and message events for one message (and their retries) answer once
        if not self.claimed_messages.claim(f"{channel}:{ts}", True):
            return
        question = question_from_slack(event.get("text") or "", context.bot_user_id)
        if not question:
            await self._post(client, channel, reply_thread, [render_help(context.bot_user_id)])
            return
        if not self.limiter.allow(user):
            wait = max(1, math.ceil(self.limiter.retry_after(user)))
            await self._tell(client, channel, user, reply_thread, _slow_down(wait))
            return
        reacted = await self._react(client, "add", channel, ts)
        try:
            history = await self._history(client, context, event, dm=dm, replies=replies)
            collection = self.settings.channel_collections.get(channel)
            log.info("question from %s in %s (%d earlier turns)", user, channel, len(history))
            answer = await self._ask(question, history, collection)
            await self._deliver(client, channel, user, reply_thread, answer)
        except Exception:
            log.exception("handling a Slack message in %s failed", channel)
            with contextlib.suppress(Exception):
                await self._post(client, channel, reply_thread, [render_text(APOLOGY)])
        finally:
            if reacted:
                await self._react(client, "remove", channel, ts)

    async def on_command(
        self, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
    ) -> None:
        """`/citebot <question>` (ephemeral answer), `/citebot sources`, `/citebot help`."""
        text = (command.get("text") or "").strip()
        channel, user = command.get("channel_id", ""), command.get("user_id", "")
        collection = self.settings.channel_collections.get(channel)
        question = question_from_slack(text, context.bot_user_id)
        if question.lower() in ("", "help"):
            await _respond(respond, render_help(context.bot_user_id))
            return
        if question.lower() == "sources":
            try:
                records = await asyncio.to_thread(self.answerer.sources, collection)
            except Exception:
                log.exception("listing the sources for /citebot failed")
                await _respond(respond, render_text(APOLOGY))
                return
            await _respond(respond, render_sources(records))
            return
        if not self.limiter.allow(user):
            wait = max(1, math.ceil(self.limiter.retry_after(user)))
            await _respond(respond, render_text(_slow_down(wait)))
            return
        log.info("/citebot question from %s in %s", user, channel)
        answer = await self._ask(question, (), collection)
        if answer is None or answer.error:
            await _respond(respond, render_text(answer.text if answer else APOLOGY))
            return
        self.shareable.put(answer.answer_id, (answer, channel, None, user))
        for message in render_answer(answer, share=True):
            await _respond(respond, message)

    async def on_feedback(
        self,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        vote = "up" if action.get("action_id") == FEEDBACK_UP else "down"
        parsed = parse_feedback_value(str(action.get("value", "")))
        user = str((body.get("user") or {}).get("id", ""))
        channel, thread = _action_place(body)
        if parsed is None or not user:
            log.warning("ignored a feedback click without an answer id or user")
            return
        answer_id, question = parsed
        try:
            await asyncio.to_thread(self.feedback.record, "slack", answer_id, question, user, vote)
        except Exception:
            log.exception("recording feedback on answer %s failed", answer_id)
            text = "Sorry, I could not record your feedback."
        else:
            log.info("feedback %s on answer %s from %s", vote, answer_id, user)
            text = (
                "Thanks! Your 👍 is recorded." if vote == "up" else "Thanks! Your 👎 is recorded."
            )
        await self._tell(client, channel, user, thread, text, respond)

    async def on_share(
        self,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        """Post an ephemeral answer for everyone (only the asker may), then remove the copy."""
        user = str((body.get("user") or {}).get("id", ""))
        here, thread_here = _action_place(body)
        entry = self.shareable.get(str(action.get("value", "")))
        if entry is None or entry[3] != user:
            await self._tell(
                client,
                here,
                user,
                thread_here,
                "That answer can no longer be shared; please ask again.",
                respond,
            )
            return
        answer, channel, thread, _ = entry
        if await self._post(client, channel, thread, render_answer(answer, shared_by=user)):
            self.shareable.pop(answer.answer_id)
            try:
                await respond(delete_original=True)
            except Exception as exc:  # the ephemeral copy stays; nothing else is affected
                log.debug("could not delete the ephemeral answer: %s", exc.__class__.__name__)
        else:
            await self._tell(
                client,
                here,
                user,
                thread_here,
                "I could not post in this channel. Invite me first (`/invite @citebot`).",
                respond,
            )

    # --- helpers ----------------------------------------------------------------------------------

    async def _ask(
        self, question: str, history: Sequence[Turn], collection: str | None
    ) -> Answer | None:
        try:
            answer: Answer = await self.answerer.aask(question, history, collection=collection)
        except Exception:
            log.exception("answering a Slack question failed")
            return None
        if answer.error:
            log.error("answer %s failed: %s", answer.answer_id, answer.error)
        return answer

    async def _deliver(
        self,
        client: AsyncWebClient,
        channel: str,
        user: str,
        thread: str | None,
        answer: Answer | None,
    ) -> None:
        if answer is None or answer.error:
            await self._post(
                client, channel, thread, [render_text(answer.text if answer else APOLOGY)]
            )
            return
        if self.settings.slack_ephemeral:
            self.shareable.put(answer.answer_id, (answer, channel, thread, user))
            for message in render_answer(answer, share=True):
                try:
                    await client.chat_postEphemeral(
                        channel=channel,
                        user=user,
                        thread_ts=thread,
                        text=message.text,
                        blocks=message.blocks,
                    )
                except SlackApiError as exc:
                    log.error("chat.postEphemeral failed in %s: %s", channel, _error_code(exc))
                    return
        elif not await self._post(client, channel, thread, render_answer(answer)):
            return
        if thread:
            self.answered_threads.put(f"{channel}:{thread}", True)
            self.quiet_threads.pop(f"{channel}:{thread}")

    async def _post(
        self,
        client: AsyncWebClient,
        channel: str,
        thread: str | None,
        messages: list[SlackMessage],
    ) -> bool:
        """Post the messages in order; a message Slack refuses is retried as plain text."""
        for message in messages:
            try:
                await client.chat_postMessage(
                    channel=channel,
                    thread_ts=thread,
                    text=message.text,
                    blocks=message.blocks,
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except SlackApiError as exc:
                code = _error_code(exc)
                log.error("chat.postMessage failed in %s: %s", channel, code)
                if code not in ("invalid_blocks", "msg_too_long", "msg_blocks_too_long"):
                    return False
                try:
                    await client.chat_postMessage(
                        channel=channel, thread_ts=thread, text=message.text
                    )
                except SlackApiError as again:
                    log.error("plain-text retry failed in %s: %s", channel, _error_code(again))
                    return False
        return True

    async def _tell(
        self,
        client: AsyncWebClient,
        channel: str,
        user: str,
        thread: str | None,
        text: str,
        respond: AsyncRespond | None = None,
    ) -> None:
        """A short note only `user` sees (rate limit, feedback thanks)."""
        message = render_text(text)
        try:
            await client.chat_postEphemeral(
                channel=channel,
                user=user,
                thread_ts=thread,
                text=message.text,
                blocks=message.blocks,
            )
            return
        except SlackApiError as exc:
            log.warning("chat.postEphemeral failed in %s: %s", channel, _error_code(exc))
        if respond is not None and respond.response_url:
            try:
                await respond(
                    text=message.text,
                    blocks=message.blocks,
                    response_type="ephemeral",
                    replace_original=False,
                )
            except Exception as exc:
                log.warning("response_url failed: %s", exc.__class__.__name__)

    async def _react(self, client: AsyncWebClient, how: str, channel: str, ts: str) -> bool:
        """Show (or clear) the "working on it" reaction; failing to is never fatal."""
        call = client.reactions_add if how == "add" else client.reactions_remove
        try:
            await call(channel=channel, timestamp=ts, name=HOURGLASS)
            return True
        except SlackApiError as exc:
            log.debug("reactions.%s failed: %s", how, _error_code(exc))
            return False

    async def _follow_up_replies(
        self, client: AsyncWebClient, context: AsyncBoltContext, channel: str, root: str
    ) -> list[dict[str, Any]] | None:
        """The thread's messages if citebot has answered in it, else None (not a follow-up)."""
        key = f"{channel}:{root}"
        if self.quiet_threads.get(key) and not self.answered_threads.get(key):
            return None
        replies = await self._replies(client, channel, root)
        if self.answered_threads.get(key) or any(_is_own(m, context) for m in replies):
            self.answered_threads.put(key, True)
            return replies
        self.quiet_threads.put(key, True)
        return None

    async def _replies(
        self, client: AsyncWebClient, channel: str, root: str
    ) -> list[dict[str, Any]]:
        try:
            response = await client.conversations_replies(channel=channel, ts=root, limit=100)
        except SlackApiError as exc:
            log.warning("conversations.replies failed in %s: %s", channel, _error_code(exc))
            return []
        return list(response.get("messages") or [])

    async def _history(
        self,
        client: AsyncWebClient,
        context: AsyncBoltContext,
        event: dict[str, Any],
        *,
        dm: bool,
        replies: list[dict[str, Any]] | None,
    ) -> list[Turn]:
        """The conversation before this message: its thread, or a DM's last few minutes."""
        channel, ts, root = event.get("channel", ""), event["ts"], event.get("thread_ts")
        if root and root != ts:
            messages = (
                replies if replies is not None else await self._replies(client, channel, root)
            )
        elif dm:
            try:
                response = await client.conversations_history(
                    channel=channel,
                    latest=ts,
                    inclusive=False,
                    limit=HISTORY_TURNS,
                    oldest=f"{max(0.0, float(ts) - DM_HISTORY_S):.6f}",
                )
            except (SlackApiError, ValueError) as exc:
                log.warning(
                    "conversations.history failed in %s: %s", channel, exc.__class__.__name__
                )
                return []
            messages = list(reversed(response.get("messages") or []))
        else:
            return []
        turns: list[Turn] = []
        for message in messages:
            if not _later(ts, str(message.get("ts", ""))):
                continue
            own = _is_own(message, context)
            if not own and (message.get("bot_id") or message.get("subtype")):
                continue
            text = message.get("text") or ""
            text = unescape(text) if own else question_from_slack(text, context.bot_user_id)
            if text.strip():
                turns.append(Turn("assistant" if own else "user", text[:TURN_CHARS]))
        return turns[-HISTORY_TURNS:]


def _is_own(message: dict[str, Any], context: AsyncBoltContext) -> bool:
    bot_id, bot_user_id = context.bot_id, context.bot_user_id
    return bool(
        (bot_id and message.get("bot_id") == bot_id)
        or (bot_user_id and message.get("user") == bot_user_id)
    )


def _action_place(body: dict[str, Any]) -> tuple[str, str | None]:
    """The channel and thread of the message whose button was clicked."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
    return str(channel), message.get("thread_ts") or container.get("thread_ts")


async def _respond(respond: AsyncRespond, message: SlackMessage) -> None:
    try:
        await respond(
            text=message.text,
            blocks=message.blocks,
            response_type="ephemeral",
            replace_original=False,
        )
    except Exception as exc:
        log.error("responding to /citebot failed: %s", exc.__class__.__name__)


def _slow_down(wait_s: int) -> str:
    return f"You're asking faster than I can keep up. Please wait {wait_s} s and ask again."


def _error_code(exc: SlackApiError) -> str:
    data = getattr(getattr(exc, "response", None), "data", None)
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return f"HTTP {status}" if status else "unknown"


# --- building and serving ---------------------------------------------------------------------


def build_slack_app(
    settings: Settings,
    answerer: Any,
    client: AsyncWebClient | None = None,
    *,
    feedback: FeedbackStore | None = None,
    limiter: RateLimiter | None = None,
) -> AsyncApp:
    """citebot's Bolt app. `answerer` needs `aask(question, history, collection=)` and
    `sources(collection)`; `client` defaults to one for SLACK_BOT_TOKEN at SLACK_API_URL."""
    if client is None:
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        client = AsyncWebClient(token=token, base_url=settings.slack_api_url)
    secret = settings.slack_signing_secret
    app = AsyncApp(
        client=client,
        signing_secret=secret.get_secret_value() if secret else "",
        # Socket Mode needs no signing secret; over HTTP serve_slack insists on one.
        request_verification_enabled=secret is not None,
    )
    bot = _SlackBot(
        settings,
        answerer,
        feedback or FeedbackStore(settings.feedback_db),
        limiter or RateLimiter(settings.rate_limit_per_minute),
    )
    bot.register(app)
    return app


def build_web_app(app: AsyncApp, path: str = EVENTS_PATH) -> web.Application:
    """The Events API endpoint (events, slash commands and interactivity share one URL)."""

    async def handle(request: web.Request) -> web.Response:
        response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    web_app = web.Application()
    web_app.router.add_post(path, handle)
    return web_app


def _missing_configuration(settings: Settings, http: bool) -> str | None:
    if settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value():
        return (
            "SLACK_BOT_TOKEN is not set: set it to the app's bot token (xoxb-…); see README, Slack."
        )
    if http:
        if (
            settings.slack_signing_secret is None
            or not settings.slack_signing_secret.get_secret_value()
        ):
            return (
                "SLACK_SIGNING_SECRET is not set: --http needs the app's signing secret "
                "(Basic Information → App Credentials)."
            )
        return None
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    if not app_token:
        return (
            "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-…) with "
            "connections:write, or run `citebot serve slack --http --port N`."
        )
    if not app_token.startswith("xapp-"):
        return "SLACK_APP_TOKEN must be an app-level token starting with xapp-."
    return None


def serve_slack(settings: Settings, http: bool, port: int) -> int:
    """`citebot serve slack [--http --port N]`: run until SIGINT/SIGTERM; 2 on bad configuration."""
    problem = _missing_configuration(settings, http)
    if problem:
        print(f"citebot: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    from retrieval import Answerer

    return asyncio.run(_serve(settings, Answerer(settings), http, port))


async def _serve(settings: Settings, answerer: Any, http: bool, port: int) -> int:
    assert settings.slack_bot_token is not None
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )
    try:
        auth = await client.auth_test()
    except SlackApiError as exc:
        print(f"citebot: Slack rejected SLACK_BOT_TOKEN ({_error_code(exc)})", file=sys.stderr)
        return EXIT_CONFIG
    except (TimeoutError, ClientError, OSError) as exc:
        print(
            f"citebot: cannot reach Slack at SLACK_API_URL={settings.slack_api_url} "
            f"({exc.__class__.__name__})",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    log.info("signed in to Slack as %s (team %s)", auth.get("user_id"), auth.get("team_id"))
    await log_store_size(settings, answerer)
    health = await _start_health(settings, answerer)

    app = build_slack_app(settings, answerer, client)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
            loop.add_signal_handler(signum, stop.set)
    if http:
        runner = web.AppRunner(build_web_app(app), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "0.0.0.0", port)
        await site.start()
        log.info("Slack Events API endpoint on http://0.0.0.0:%d%s", port, EVENTS_PATH)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
    else:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        assert settings.slack_app_token is not None
        handler = AsyncSocketModeHandler(app, app_token=settings.slack_app_token.get_secret_value())
        await handler.connect_async()
        log.info("connected to Slack in Socket Mode")
        try:
            await stop.wait()
        finally:
            await handler.close_async()
    close = getattr(health, "close", None)
    if callable(close):
        close()
    log.info("Slack adapter stopped")
    return EXIT_OK


async def _start_health(settings: Settings, answerer: Any) -> Any:
    """The /healthz endpoint when bot/health.py is there (it is optional); its handle."""
    try:
        from bot.health import start_health_server
    except ImportError:
        return None
    try:
        started = start_health_server(settings, answerer)
        if inspect.isawaitable(started):
            started = await started
    except OSError as exc:
        log.warning("health endpoint not started: %s", exc)
        return None
    return started
