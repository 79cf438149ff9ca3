"""The conversation before a Discord message, read back from Discord's reply chain.

Like Slack's threads, Discord keeps the conversation, so the adapter keeps none: a reply to
one of citebot's messages is a follow-up, and the turns before it are found by walking the
chain of replies (`message.reference`) back through Discord's API. An answer to a mention
replies to the question; an answer to `/ask` replies to nothing, so its question is read
from its 👍/👎 buttons, which carry it (`bot.discord.buttons`).

A long answer is split over several messages (`bot.discord.delivery`), and a reply may
answer any of them, most often the last (it holds the buttons). The answer's text is in its
first message, so that is what the conversation reads (`first_part`), whichever part was
replied to; an `/ask`'s question is on the buttons of its last (`question_of_ask`). What the
answer showed, which a request for more must not show again, is read from the first part and
the part replied to (an answer of quotes rarely needs a third message).
"""

from __future__ import annotations

import logging
import re

import discord

from bot.core import HISTORY_TURNS, question_from_chat
from bot.discord.buttons import FeedbackButton
from bot.discord.mentions import names_in
from retrieval.models import Turn

log = logging.getLogger(__name__)

TURN_CHARS = 1000
# Messages read after a mention's question to find the first part of its answer: the parts
# follow the question within seconds, other people's messages between them included.
PARTS_SEARCHED = 50
_ESCAPED = re.compile(r"\\(.)")
_ZWSP = "\u200b"


def answer_text(message: discord.Message) -> str:
    """What citebot said in `message`: its answer's text (the first paragraph of the first
    embed, markdown escapes undone), or its plain content (help, refusals, apologies)."""
    for embed in message.embeds:
        if embed.description:
            first = embed.description.split("\n\n", 1)[0]
            return _unescaped(first)[:TURN_CHARS]
    return message.content[:TURN_CHARS]


def shown_text(message: discord.Message) -> str:
    """All that citebot showed in `message` (every embed's description, markdown escapes
    undone, or its plain content): the quotes a request for more must not repeat."""
    described = [embed.description for embed in message.embeds if embed.description]
    return _unescaped("\n\n".join(described)) if described else message.content


def _unescaped(markdown: str) -> str:
    return _ESCAPED.sub(r"\1", markdown).replace(_ZWSP, "")


def question_on_buttons(message: discord.Message) -> str:
    """The question an answer's 👍/👎 buttons carry ("" when it has none)."""
    pattern = FeedbackButton.__discord_ui_compiled_template__
    for row in message.components:
        for component in getattr(row, "children", ()):
            match = pattern.fullmatch(getattr(component, "custom_id", None) or "")
            if match and match["question"]:
                return match["question"]
    return ""


async def referenced(message: discord.Message) -> discord.Message | None:
    """The message `message` replies to, from the event or Discord's API; None if none."""
    reference = message.reference
    if reference is None or reference.message_id is None:
        return None
    if isinstance(reference.resolved, discord.Message):
        return reference.resolved
    try:
        return await message.channel.fetch_message(reference.message_id)
    except discord.HTTPException as exc:  # deleted, or no access: the chain ends here
        log.debug("could not fetch message %s: %s", reference.message_id, exc)
        return None


async def first_part(answer: discord.Message, bot_id: int) -> discord.Message:
    """The first message of the answer `answer` is a part of (`answer` itself for an answer
    in one message, or when Discord cannot say).

    The parts of an answer to `/ask` are follow-ups of one interaction: Discord names the
    first (the interaction's original response) on the others. The parts of an answer to a
    mention are citebot's replies to the question, sent one after another: the first is
    citebot's first reply to it after it.
    """
    metadata = answer.interaction_metadata
    try:
        if metadata is not None and metadata.original_response_message_id:
            return await answer.channel.fetch_message(metadata.original_response_message_id)
        reference = answer.reference
        if reference is None or reference.message_id is None:
            return answer
        async for earlier in answer.channel.history(
            limit=PARTS_SEARCHED,
            after=discord.Object(reference.message_id),
            before=answer,
            oldest_first=True,
        ):
            replied_to = earlier.reference.message_id if earlier.reference else None
            if earlier.author.id == bot_id and replied_to == reference.message_id:
                return earlier
    except discord.HTTPException as exc:  # no access to the history: this part's text
        log.debug("could not read the first part of answer %s: %s", answer.id, exc)
    return answer


async def question_of_ask(answer: discord.Message, bot_id: int) -> str:
    """The question of an answer to `/ask`, which its 👍/👎 buttons carry ("" when none do).

    The buttons are under the answer's last message: a reply to an earlier part finds them
    on the follow-ups that name this part as their interaction's original response.
    """
    question = question_on_buttons(answer)
    metadata = answer.interaction_metadata
    if question or metadata is None or metadata.original_response_message_id:
        return question
    try:
        async for later in answer.channel.history(
            limit=PARTS_SEARCHED, after=answer, oldest_first=True
        ):
            named = later.interaction_metadata
            if later.author.id == bot_id and named and named.original_response_message_id == answer.id:
                question = question_on_buttons(later)
                if question:
                    return question
    except discord.HTTPException as exc:
        log.debug("could not read the later parts of answer %s: %s", answer.id, exc)
    return ""


async def follow_up_history(
    message: discord.Message, bot_id: int, client: discord.Client | None = None
) -> list[Turn] | None:
    """The conversation before `message` when it replies to citebot, oldest first; None when
    it is not a reply to one of citebot's messages. `client` knows names the earlier
    questions mention (`bot.discord.mentions`)."""
    current = await referenced(message)
    if current is None or current.author.id != bot_id:
        return None
    turns: list[Turn] = []
    while current is not None and len(turns) < HISTORY_TURNS:
        if current.author.id == bot_id:
            first = await first_part(current, bot_id)
            shown = {first.id: shown_text(first), current.id: shown_text(current)}
            turns.append(Turn("assistant", answer_text(first), tuple(shown.values())))
            earlier = await referenced(current)
            if earlier is None:  # an answer to /ask: its question is on its buttons
                question = await question_of_ask(current, bot_id)
                if question:
                    turns.append(Turn("user", question))
                break
            current = earlier
        else:
            names = names_in(client, current.guild, users=current.mentions)
            text = question_from_chat(current.content, str(bot_id), names)
            if text:
                turns.append(Turn("user", text[:TURN_CHARS]))
            current = await referenced(current)
    turns.reverse()
    return turns[-HISTORY_TURNS:]
