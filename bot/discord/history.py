"""The conversation before a Discord message, read back from Discord's reply chain.

Like Slack's threads, Discord keeps the conversation, so the adapter keeps none: a reply to
one of citebot's messages is a follow-up, and the turns before it are found by walking the
chain of replies (`message.reference`) back through Discord's API. An answer to a mention
replies to the question; an answer to `/ask` replies to nothing, so its question is read
from its 👍/👎 buttons, which carry it (`bot.discord.buttons`).
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
_ESCAPED = re.compile(r"\\(.)")
_ZWSP = "\u200b"


def answer_text(message: discord.Message) -> str:
    """What citebot said in `message`: its answer's text (the first paragraph of the first
    embed, markdown escapes undone), or its plain content (help, refusals, apologies)."""
    for embed in message.embeds:
        if embed.description:
            first = embed.description.split("\n\n", 1)[0]
            return _ESCAPED.sub(r"\1", first).replace(_ZWSP, "")[:TURN_CHARS]
    return message.content[:TURN_CHARS]


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
            turns.append(Turn("assistant", answer_text(current)))
            earlier = await referenced(current)
            if earlier is None:  # an answer to /ask: its question is on its buttons
                question = question_on_buttons(current)
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
