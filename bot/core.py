"""What every chat adapter does the same way, written once: console, Slack and Discord.

An adapter translates a chat event into `(question, history, collection)` and an `Answer`
into chat markup. Everything between those two translations is the same on every platform
and lives here:

- `question_from_chat`: the plain question in a chat message (or one pasted from a chat into
  `citebot ask` and `chat`): mentions, channel names, emoji, links and entities as readable
  text, by the names the adapter knows (`NameOf`), never by ids.
- `ask`: ask the answerer and log what went wrong. It always returns an `Answer`; one with
  `error` set is an apology (the answerer's own words, or `apology` when answering raised),
  which every adapter shows as plain text: `answer.error` is the one check.
- `failure_text`: what a command with no question (`/sources`, `/ingest`) says when it
  raised: the store's failure as the store's, any other as that command's own failure.
- `refusal`: the rate-limit message, with one rounding rule for the wait.
- `asks_for_help`: a message that asks how to use citebot ("help", "帮助") instead of a
  question.
- `HISTORY_TURNS` / `conversation_after`: how much of a conversation is passed on.
- `record_feedback`: a 👍/👎 into the `FeedbackStore`, off the event loop.
"""

from __future__ import annotations

import asyncio
import html
import logging
import math
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from bot.answer_words import (
    RATE_LIMITED,
    STORE_UNREACHABLE,
    Voice,
    Wording,
    voice_of,
    worded,
    worded_as,
)
from bot.feedback import FeedbackStore, Vote
from bot.ratelimit import RateLimiter
from retrieval.answerer import INTERNAL_ERROR_TEXT
from retrieval.models import Answer, Turn

log = logging.getLogger(__name__)

APOLOGY = INTERNAL_ERROR_TEXT["en"]
# Turns of conversation an adapter passes on with a follow-up (user and assistant turns).
HISTORY_TURNS = 6
# What asks how to use citebot instead of asking it something (case and a closing "?" aside).
HELP_WORDS = frozenset("help 帮助 幫助 怎么用 怎麼用".split())

# Chat markup in a message's text. Slack's mrkdwn: `<@U1|alice>`, `<#C1|general>`,
# `<!here>`, `<!subteam^S1|@team>`, `<https://x|label>`, `<mailto:a@b.c>`. Discord's:
# `<@123>` / `<@!123>` (a user), `<@&123>` (a role), `<#123>` (a channel), `<:wave:1>` /
# `<a:wave:1>` (a custom emoji), `<t:1700000000:D>` (a moment, shown in the reader's time
# zone), `</ask:1>` (a command). A link's scheme has two letters or more, so an emoji
# (`<a:…>`) or a timestamp (`<t:…>`) is never read as a link.
_MARKUP = re.compile(
    r"<(?:t:(?P<time>-?[0-9]{1,12})(?::(?P<style>[tTdDfFR]))?"
    r"|/(?P<command>[\w -]+):[0-9]+"
    r"|@&(?P<role>[0-9]+)"
    r"|@!?(?P<user>[A-Za-z0-9]+)"
    r"|#(?P<channel>[A-Za-z0-9]+)"
    r"|!subteam\^(?P<group>[A-Za-z0-9]+)"
    r"|!(?P<special>[^>|]+)"
    r"|a?:(?P<emoji>\w+):[0-9]+"
    r"|(?P<link>[a-z][a-z0-9+.-]+:[^>|]+)"
    r")(?:\|(?P<label>[^>]*))?>"
)
_MENTION = r"<@!?([A-Za-z0-9]+)(?:\|[^>]*)?>"
_LEADING_MENTIONS = re.compile(rf"^(?:\s*{_MENTION})+")
# What a mention is read as when the platform does not say whose it is: the kind of thing,
# never its id (an id is noise to retrieval, and a number a follow-up would have to match).
MentionKind = Literal["user", "role", "channel", "group"]
_PREFIX: dict[MentionKind, str] = {"user": "@", "role": "@", "channel": "#", "group": "@"}
UNNAMED: dict[MentionKind, str] = {
    "user": "@user",
    "role": "@role",
    "channel": "#channel",
    "group": "@group",
}
# An adapter's lookup of a name it knows (from the event, or its platform's cache).
NameOf = Callable[[MentionKind, str], str | None]


class AsyncAnswerer(Protocol):
    """What the chat adapters use of `retrieval.Answerer`."""

    async def aask(
        self, question: str, history: Sequence[Turn] = (), *, collection: str | None = None
    ) -> Answer: ...

    def sources(self, collection: str | None = None) -> Any: ...

    def store(self, collection: str | None = None) -> Any: ...


def question_from_chat(text: str, bot_id: str | None = None, name_of: NameOf | None = None) -> str:
    """A chat message's text (or a question pasted from one) → the plain question.

    The bot's mention is dropped wherever it is. Without the bot's id (`citebot ask` and
    `chat`, where a question may be pasted from Slack) the mentions before the first word are
    dropped instead: they address the bot. The rest of the markup is read as a person reads
    it: a user, role, user group or channel by its name (the markup's own label, else
    `name_of`'s), else by what it is (`UNNAMED`: `@user`, `#channel`…), a custom emoji as
    `:wave:`, a Discord timestamp as its date (in UTC), a command as `/ask`, a link as its
    label (an e-mail address without `mailto:`). Entities are decoded and runs of spaces
    collapsed. `retrieval.clean_question` then does what every question needs.
    """
    if bot_id:
        text = re.sub(rf"<@!?{re.escape(bot_id)}(?:\|[^>]*)?>", " ", text)
    else:
        text = _LEADING_MENTIONS.sub(" ", text)
    text = _MARKUP.sub(lambda m: _readable(m, name_of), text)
    return " ".join(html.unescape(text).split())


def _readable(markup: re.Match[str], name_of: NameOf | None) -> str:
    """One piece of chat markup (`_MARKUP`) as a person reads it."""
    label = markup["label"]
    if markup["time"]:
        return _moment(int(markup["time"]), markup["style"])
    if markup["command"]:
        return "/" + markup["command"]
    if markup["emoji"]:
        return f":{markup['emoji']}:"
    if markup["special"]:  # `<!here>`, `<!date^…|fallback>`
        return label or "@" + markup["special"]
    if markup["link"]:
        return label or re.sub(r"^(?:mailto|tel):", "", markup["link"])
    kind: MentionKind = next(k for k in _PREFIX if markup[k])
    name = label or (name_of(kind, markup[kind]) if name_of else None)
    name = (name or "").strip()
    if not name:
        return UNNAMED[kind]
    return name if name.startswith(_PREFIX[kind]) else _PREFIX[kind] + name


def _moment(seconds: int, style: str | None) -> str:
    """A Discord timestamp as a date (`2023-11-14`), with the time in UTC unless it is shown
    as a date only (styles d and D); a question's date is what retrieval can match."""
    try:
        moment = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return ""
    return f"{moment:%Y-%m-%d}" if style in ("d", "D") else f"{moment:%Y-%m-%d %H:%M} UTC"


async def ask(
    answerer: AsyncAnswerer, question: str, history: Sequence[Turn], collection: str | None
) -> Answer:
    """The answer; when answering raised, an apology in its place. Failures are logged here.

    Whatever went wrong, the result is an `Answer`: one with `error` set is an apology, and
    an adapter shows its `text` plainly (no quotes, no feedback buttons).
    """
    try:
        answer: Answer = await answerer.aask(question, history, collection=collection)
    except Exception as exc:
        log.exception("answering a question failed")
        return Answer(question, apology(question), confident=False, error=exc.__class__.__name__)
    if answer.error:
        log.error("answer %s failed: %s", answer.answer_id, answer.error)
    return answer


def apology(question: str, voice: Voice | None = None) -> str:
    """The apology for a question answering failed on, in the question's language and
    script, as the answerer words its own (`APOLOGY` is the English). Without a question, in
    `voice` (the reader's language, where the platform tells it), else English."""
    if voice is None or question.strip():
        voice = voice_of(question)
    return worded_as(voice, INTERNAL_ERROR_TEXT)


def failure_text(exc: BaseException, voice: Voice, otherwise: Wording) -> str:
    """What a command with no question tells its user when it raised `exc`, worded in `voice`:
    "can't reach the article store" when the store failed (try again later helps), else
    `otherwise` (e.g. `INGEST_FAILED`: the reason is in the log, never in the chat)."""
    from ingest.store import StoreUnavailable, is_store_error

    if isinstance(exc, StoreUnavailable) or is_store_error(exc):
        return worded_as(voice, STORE_UNREACHABLE)
    return worded_as(voice, otherwise)


def asks_for_help(question: str) -> bool:
    """`question` (from `question_from_chat`) asks how to use citebot: "help", "帮助?"; the
    help is then worded in its language and script (`answer_words.voice_of`)."""
    return question.strip().rstrip("?？!！.。").strip().lower() in HELP_WORDS


def refusal(limiter: RateLimiter, user_id: str, question: str = "") -> str | None:
    """The polite refusal when `user_id` asked too often, else None (and the question counts),
    in the language and script of the `question` refused.

    The wait is rounded up: told "wait 3 s", the asker is never refused again after 3 s.
    """
    if limiter.allow(user_id):
        return None
    wait = max(1, math.ceil(limiter.retry_after(user_id)))
    count = limiter.per_minute
    asked = f"{count} question{'s' if count != 1 else ''}"
    return worded(question, RATE_LIMITED, asked=asked, count=count, wait=wait)


def conversation_after(
    history: Sequence[Turn], question: str, reply: str, quoted: Sequence[str] = ()
) -> list[Turn]:
    """The conversation after one more question and reply (and the quotes it showed), cut to
    the last `HISTORY_TURNS`."""
    turns = [*history, Turn("user", question), Turn("assistant", reply, tuple(quoted))]
    return turns[-HISTORY_TURNS:]


async def record_feedback(
    store: FeedbackStore, platform: str, answer_id: str, question: str, user_id: str, vote: Vote
) -> bool:
    """Record a vote (SQLite, in a worker thread); False, logged, when it could not be."""
    try:
        await asyncio.to_thread(store.record, platform, answer_id, question, user_id, vote)
    except Exception:
        log.exception("recording feedback on answer %s failed", answer_id)
        return False
    log.info("feedback %s on answer %s from %s", vote, answer_id, user_id)
    return True
