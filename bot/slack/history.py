"""What came before a Slack message, read back from Slack.

Slack keeps the conversation, so the adapter needs no memory of its own to answer a
follow-up: a thread is re-read with `conversations.replies`, a DM's last minutes with
`conversations.history`, and the bot's own messages there are its earlier answers. A long
answer is posted as several messages (`slack_render.render_answer`): citebot's messages in a
row are one turn, so they do not crowd the earlier questions out of the turns passed on.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import HISTORY_TURNS, question_from_chat
from bot.slack.delivery import error_code
from bot.slack.state import Expiring
from bot.slack_render import MAX_MESSAGES, unescape
from retrieval.models import Turn

log = logging.getLogger(__name__)

DM_HISTORY_S = 900
TURN_CHARS = 1000
REPLIES_LIMIT = 200  # messages a page (Slack's recommended maximum)
REPLIES_PAGES = 10


def mentions(text: str, bot_user_id: str | None) -> bool:
    return bool(bot_user_id) and f"<@{bot_user_id}" in text


def is_own(message: dict[str, Any], context: AsyncBoltContext) -> bool:
    """Whether citebot wrote `message` (as its bot or as its bot user)."""
    bot_id, bot_user_id = context.bot_id, context.bot_user_id
    return bool(
        (bot_id and message.get("bot_id") == bot_id)
        or (bot_user_id and message.get("user") == bot_user_id)
    )


def _later(ts: str, than: str) -> bool:
    try:
        return float(ts) > float(than)
    except ValueError:
        return ts > than


async def thread_replies(
    client: AsyncWebClient, channel: str, root: str
) -> list[dict[str, Any]]:
    """The messages of a thread, oldest first; what was read (logged) when Slack refuses.

    Slack pages a thread oldest first, so its latest messages (the conversation a follow-up
    continues, and citebot's answers in it) are on the last page: every page is read, up to
    `REPLIES_PAGES`.
    """
    messages: dict[str, dict[str, Any]] = {}  # by ts: a page may repeat the thread's root
    cursor: str | None = None
    for _ in range(REPLIES_PAGES):
        try:
            response = await client.conversations_replies(
                channel=channel, ts=root, limit=REPLIES_LIMIT, cursor=cursor
            )
        except SlackApiError as exc:
            log.warning("conversations.replies failed in %s: %s", channel, error_code(exc))
            break
        for message in response.get("messages") or []:
            messages.setdefault(str(message.get("ts", "")), message)
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not response.get("has_more") or not cursor:
            break
    return list(messages.values())


async def follow_up_replies(
    client: AsyncWebClient,
    context: AsyncBoltContext,
    channel: str,
    root: str,
    *,
    answered: Expiring[bool],
    quiet: Expiring[bool],
) -> list[dict[str, Any]] | None:
    """The thread's messages if citebot has answered in it, else None (not a follow-up).

    `answered` and `quiet` only save a `conversations.replies` call per message in threads
    citebot is known to be in, or known to be out of, for a while.
    """
    key = f"{channel}:{root}"
    if quiet.get(key) and not answered.get(key):
        return None
    replies = await thread_replies(client, channel, root)
    if answered.get(key) or any(is_own(m, context) for m in replies):
        answered.put(key, True)
        return replies
    quiet.put(key, True)
    return None


async def conversation_before(
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
        messages = replies if replies is not None else await thread_replies(client, channel, root)
    elif dm:
        try:
            response = await client.conversations_history(
                channel=channel,
                latest=ts,
                inclusive=False,
                limit=HISTORY_TURNS * MAX_MESSAGES,  # an answer may take MAX_MESSAGES
                oldest=f"{max(0.0, float(ts) - DM_HISTORY_S):.6f}",
            )
        except (SlackApiError, ValueError) as exc:
            log.warning("conversations.history failed in %s: %s", channel, exc.__class__.__name__)
            return []
        messages = list(reversed(response.get("messages") or []))
    else:
        return []
    turns: list[Turn] = []
    for message in messages:
        if not _later(ts, str(message.get("ts", ""))):
            continue
        own = is_own(message, context)
        if not own and (message.get("bot_id") or message.get("subtype")):
            continue
        text = message.get("text") or ""
        text = unescape(text) if own else question_from_chat(text, context.bot_user_id)
        if not text.strip():
            continue
        if own and turns and turns[-1].role == "assistant":  # the next part of its answer
            text = f"{turns.pop().quoted[0]}\n\n{text}"
        # an answer's whole text shows its quotes: a request for more quotes others
        quoted = (text,) if own else ()
        turns.append(Turn("assistant" if own else "user", text[:TURN_CHARS], quoted))
    return turns[-HISTORY_TURNS:]
