"""Getting citebot's replies into Discord: private notes, apologies and answers, and the
language they are worded in (`voice_for`).

Every message is sent with `allowed_mentions` none, so nothing an article says can ping
anyone; the markup itself comes from `bot.discord_render`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

import discord

from bot.answer_words import Voice, voice_of
from bot.discord_render import plain_message, render_answer
from retrieval.models import Answer

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()

ViewFor = Callable[[Answer], discord.ui.View]


def voice_of_locale(locale: discord.Locale) -> Voice:
    """citebot's words for a Discord client language: zh-CN Simplified, zh-TW Traditional
    Chinese, any other English."""
    if locale is discord.Locale.chinese:
        return "zh-hans"
    if locale is discord.Locale.taiwan_chinese:
        return "zh-hant"
    return "en"


def voice_for(interaction: discord.Interaction, question: str = "") -> Voice:
    """The words of a reply to `interaction`: in the language and script of the `question`
    asked, and without one (`/help`, `/sources`, `/ingest`) of the user's Discord client."""
    return voice_of(question) if question.strip() else voice_of_locale(interaction.locale)


async def private(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral reply, as the response or (once responded) as a follow-up."""
    content = plain_message(text)
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(
            content, ephemeral=True, allowed_mentions=NO_MENTIONS
        )


async def apologise(interaction: discord.Interaction, text: str) -> None:
    """A short private apology; a public "thinking…" placeholder is removed first."""
    try:
        if interaction.response.is_done():
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
        await private(interaction, text)
    except discord.HTTPException:
        log.exception("could not send the apology")


async def send_answer(interaction: discord.Interaction, answer: Answer, view: ViewFor) -> None:
    """The answer as follow-ups of a deferred interaction; `view(answer)` under the last."""
    messages = render_answer(answer)
    for index, embeds in enumerate(messages):
        last = index == len(messages) - 1
        await interaction.followup.send(
            embeds=embeds,
            view=view(answer) if last else discord.utils.MISSING,
            wait=True,
            allowed_mentions=NO_MENTIONS,
        )


async def reply_with_answer(message: discord.Message, answer: Answer, view: ViewFor) -> None:
    """The answer as replies to `message`; `view(answer)` under the last part."""
    if answer.error:
        await reply_plainly(message, answer.text)
        return
    messages = render_answer(answer)
    for index, embeds in enumerate(messages):
        last = index == len(messages) - 1
        await message.reply(
            embeds=embeds,
            view=view(answer) if last else discord.utils.MISSING,
            mention_author=False,
            allowed_mentions=NO_MENTIONS,
        )


async def reply_plainly(message: discord.Message, text: str) -> None:
    """A short plain reply (help, refusal, apology): a message reply cannot be private."""
    await message.reply(plain_message(text), mention_author=False, allowed_mentions=NO_MENTIONS)
