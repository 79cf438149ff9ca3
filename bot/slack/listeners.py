"""The Slack listeners: one per event, with the little state they share.

Mentions, DMs, thread follow-ups, `/citebot`, 👍/👎 and "share in channel". Each listener
turns its event into a question for `bot.core.ask` and hands the answer to
`bot.slack.delivery`; Bolt has acknowledged the request before a listener runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import core
from bot.answer_words import (
    CANNOT_POST,
    FEEDBACK_NOT_RECORDED,
    FEEDBACK_RECORDED,
    NOT_SHAREABLE,
    SOURCES_FAILED,
    worded,
)
from bot.feedback import FeedbackStore
from bot.ratelimit import RateLimiter
from bot.slack.delivery import (
    action_place,
    post,
    post_ephemeral,
    react,
    respond_privately,
    tell,
)
from bot.slack.history import conversation_before, follow_up_replies, mentions
from bot.slack.state import (
    ANSWERED_THREAD_TTL_S,
    QUIET_THREAD_TTL_S,
    SEEN_TTL_S,
    SHARE_TTL_S,
    Expiring,
)
from bot.slack_render import (
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    SHARE,
    parse_feedback_value,
    render_answer,
    render_help,
    render_sources,
    render_text,
)
from config import Settings
from retrieval.models import Answer

log = logging.getLogger(__name__)

PLATFORM = "slack"


class SlackBot:
    """The listeners and the little state they share (all touched from one event loop)."""

    def __init__(
        self,
        settings: Settings,
        answerer: core.AsyncAnswerer,
        feedback: FeedbackStore,
        limiter: RateLimiter,
    ) -> None:
        self.settings = settings
        self.answerer = answerer
        self.feedback = feedback
        self.limiter = limiter
        self.answer_channels = set(settings.slack_answer_channels)
        self.seen_events: Expiring[bool] = Expiring(SEEN_TTL_S)
        self.claimed_messages: Expiring[bool] = Expiring(SEEN_TTL_S)
        self.answered_threads: Expiring[bool] = Expiring(ANSWERED_THREAD_TTL_S)
        self.quiet_threads: Expiring[bool] = Expiring(QUIET_THREAD_TTL_S)
        self.shareable: Expiring[tuple[Answer, str, str | None, str]] = Expiring(SHARE_TTL_S)

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
        if mentions(event.get("text") or "", context.bot_user_id):
            return
        if in_thread:
            replies = await follow_up_replies(
                client,
                context,
                channel,
                root,
                answered=self.answered_threads,
                quiet=self.quiet_threads,
            )
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
        question = core.question_from_chat(event.get("text") or "", context.bot_user_id)
        if not question or core.asks_for_help(question):
            await post(client, channel, reply_thread, [render_help(context.bot_user_id, question)])
            return
        refused = core.refusal(self.limiter, user, question)
        if refused:
            await tell(client, channel, user, reply_thread, refused)
            return
        reacted = await react(client, "add", channel, ts)
        try:
            history = await conversation_before(client, context, event, dm=dm, replies=replies)
            collection = self.settings.channel_collections.get(channel)
            log.info("question from %s in %s (%d earlier turns)", user, channel, len(history))
            answer = await core.ask(self.answerer, question, history, collection)
            await self.deliver(client, channel, user, reply_thread, answer)
        except Exception:
            log.exception("handling a Slack message in %s failed", channel)
            with contextlib.suppress(Exception):
                await post(client, channel, reply_thread, [render_text(core.apology(question))])
        finally:
            if reacted:
                await react(client, "remove", channel, ts)

    async def on_command(
        self, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
    ) -> None:
        """`/citebot <question>` (ephemeral answer), `/citebot sources`, `/citebot help`."""
        text = (command.get("text") or "").strip()
        channel, user = command.get("channel_id", ""), command.get("user_id", "")
        collection = self.settings.channel_collections.get(channel)
        question = core.question_from_chat(text, context.bot_user_id)
        if not question or core.asks_for_help(question):
            await respond_privately(respond, render_help(context.bot_user_id, question))
            return
        if question.lower() == "sources":
            try:
                records = await asyncio.to_thread(self.answerer.sources, collection)
            except Exception as exc:
                log.exception("listing the sources for /citebot failed")
                # no question to word it by, and Slack does not say the reader's language
                apology = core.failure_text(exc, "en", SOURCES_FAILED)
                await respond_privately(respond, render_text(apology))
                return
            await respond_privately(respond, render_sources(records))
            return
        refused = core.refusal(self.limiter, user, question)
        if refused:
            await respond_privately(respond, render_text(refused))
            return
        log.info("/citebot question from %s in %s", user, channel)
        answer = await core.ask(self.answerer, question, (), collection)
        if answer.error:
            await respond_privately(respond, render_text(answer.text))
            return
        self.shareable.put(answer.answer_id, (answer, channel, None, user))
        for message in render_answer(answer, share=True):
            await respond_privately(respond, message)

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
        channel, thread = action_place(body)
        if parsed is None or not user:
            log.warning("ignored a feedback click without an answer id or user")
            return
        answer_id, question = parsed
        # The reply is in the language of the question answered, which the button carries.
        if await core.record_feedback(self.feedback, PLATFORM, answer_id, question, user, vote):
            text = worded(question, FEEDBACK_RECORDED, vote="👍" if vote == "up" else "👎")
        else:
            text = worded(question, FEEDBACK_NOT_RECORDED)
        await tell(client, channel, user, thread, text, respond)

    async def on_share(
        self,
        body: dict[str, Any],
        action: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
    ) -> None:
        """Post an ephemeral answer for everyone (only the asker may), then remove the copy.
        The notes are in the answered question's language, which the button carries too (a
        button from before it did holds the bare answer id: English once it is forgotten)."""
        user = str((body.get("user") or {}).get("id", ""))
        here, thread_here = action_place(body)
        value = str(action.get("value", ""))
        answer_id, question = parse_feedback_value(value) or (value, "")
        entry = self.shareable.get(answer_id)
        if entry is None or entry[3] != user:
            text = worded(entry[0].question if entry else question, NOT_SHAREABLE)
            await tell(client, here, user, thread_here, text, respond)
            return
        answer, channel, thread, _ = entry
        if await post(client, channel, thread, render_answer(answer, shared_by=user)):
            self.shareable.pop(answer.answer_id)
            try:
                await respond(delete_original=True)
            except Exception as exc:  # the ephemeral copy stays; nothing else is affected
                log.debug("could not delete the ephemeral answer: %s", exc.__class__.__name__)
        else:
            text = worded(answer.question, CANNOT_POST)
            await tell(client, here, user, thread_here, text, respond)

    async def deliver(
        self,
        client: AsyncWebClient,
        channel: str,
        user: str,
        thread: str | None,
        answer: Answer,
    ) -> None:
        """The answer in the thread (or only for the asker with SLACK_EPHEMERAL)."""
        if answer.error:
            await post(client, channel, thread, [render_text(answer.text)])
            return
        if self.settings.slack_ephemeral:
            self.shareable.put(answer.answer_id, (answer, channel, thread, user))
            if not await post_ephemeral(
                client, channel, user, thread, render_answer(answer, share=True)
            ):
                return
        elif not await post(client, channel, thread, render_answer(answer)):
            return
        if thread:
            self.answered_threads.put(f"{channel}:{thread}", True)
            self.quiet_threads.pop(f"{channel}:{thread}")
