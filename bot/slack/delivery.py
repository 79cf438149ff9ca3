"""Getting citebot's messages into Slack: posts, ephemeral notes, reactions, responses.

Every call to Slack that posts something is here, with what to do when Slack refuses it:
a message Slack rejects as too large or malformed is retried as plain text, an ephemeral
note that cannot be posted falls back to the interaction's `response_url`, and failing to
add a reaction is never fatal. Callers get True/False, never a `SlackApiError`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_render import SlackMessage, render_text

log = logging.getLogger(__name__)

HOURGLASS = "hourglass_flowing_sand"
# Slack's refusals of the blocks themselves: the same message as plain text gets through.
_RETRY_AS_TEXT = ("invalid_blocks", "msg_too_long", "msg_blocks_too_long")


def error_code(exc: SlackApiError) -> str:
    """Slack's error code (`channel_not_found`, …), or the HTTP status when there is none."""
    data = getattr(getattr(exc, "response", None), "data", None)
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return f"HTTP {status}" if status else "unknown"


async def post(
    client: AsyncWebClient, channel: str, thread: str | None, messages: Sequence[SlackMessage]
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
            code = error_code(exc)
            log.error("chat.postMessage failed in %s: %s", channel, code)
            if code not in _RETRY_AS_TEXT:
                return False
            try:
                await client.chat_postMessage(channel=channel, thread_ts=thread, text=message.text)
            except SlackApiError as again:
                log.error("plain-text retry failed in %s: %s", channel, error_code(again))
                return False
    return True


async def post_ephemeral(
    client: AsyncWebClient,
    channel: str,
    user: str,
    thread: str | None,
    messages: Sequence[SlackMessage],
) -> bool:
    """Post the messages so only `user` sees them; False at the first one Slack refuses."""
    for message in messages:
        try:
            await client.chat_postEphemeral(
                channel=channel,
                user=user,
                thread_ts=thread,
                text=message.text,
                blocks=message.blocks,
            )
        except SlackApiError as exc:
            log.error("chat.postEphemeral failed in %s: %s", channel, error_code(exc))
            return False
    return True


async def tell(
    client: AsyncWebClient,
    channel: str,
    user: str,
    thread: str | None,
    text: str,
    respond: AsyncRespond | None = None,
) -> None:
    """A short note only `user` sees (rate limit, feedback thanks); through the interaction's
    `response_url` when Slack refuses the ephemeral post."""
    message = render_text(text)
    if await post_ephemeral(client, channel, user, thread, [message]):
        return
    if respond is not None and respond.response_url:
        await respond_privately(respond, message)


async def respond_privately(respond: AsyncRespond, message: SlackMessage) -> None:
    """Reply through an interaction's `response_url`, for the caller only."""
    try:
        await respond(
            text=message.text,
            blocks=message.blocks,
            response_type="ephemeral",
            replace_original=False,
        )
    except Exception as exc:
        log.error("response_url failed: %s", exc.__class__.__name__)


async def react(client: AsyncWebClient, how: str, channel: str, ts: str) -> bool:
    """Show (or clear) the "working on it" reaction; failing to is never fatal."""
    call = client.reactions_add if how == "add" else client.reactions_remove
    try:
        await call(channel=channel, timestamp=ts, name=HOURGLASS)
        return True
    except SlackApiError as exc:
        log.debug("reactions.%s failed: %s", how, error_code(exc))
        return False


def action_place(body: dict[str, Any]) -> tuple[str, str | None]:
    """The channel and thread of the message whose button was clicked."""
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
    return str(channel), message.get("thread_ts") or container.get("thread_ts")
