"""The buttons under citebot's messages: 👍/👎 under an answer, ◀/▶ under `/sources`.

Each is a discord.py `DynamicItem`: everything a click needs is in its `custom_id`, so a
click still works after a restart or on another replica, and nothing is kept in memory.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bot import core
from bot.answer_words import (
    FEEDBACK_FAILED,
    FEEDBACK_THANKS,
    NEXT_PAGE,
    PREVIOUS_PAGE,
    SOURCES_FAILED,
    Voice,
    worded,
    worded_as,
)
from bot.discord.delivery import private, voice_for
from bot.discord_render import discord_len, render_sources_page
from bot.feedback import Vote
from retrieval.models import Answer

if TYPE_CHECKING:
    from bot.discord.client import CitebotDiscord

log = logging.getLogger(__name__)

PLATFORM = "discord"
CUSTOM_ID_LIMIT = 100  # Discord's limit on a component's custom_id


def bot_of(interaction: discord.Interaction) -> CitebotDiscord:
    return cast("CitebotDiscord", interaction.client)


def feedback_custom_id(vote: Vote, answer_id: str, question: str) -> str:
    """`citebot:fb:<vote>:<answer id>:<question>`, the question cut to fit Discord's 100.

    The question is what the vote is recorded with; a long one is kept as far as it fits
    (its end marked with "…"), on one line.
    """
    prefix = f"citebot:fb:{vote}:{answer_id}:"
    question = " ".join(question.split())
    room = CUSTOM_ID_LIMIT - discord_len(prefix)
    if discord_len(question) > room:
        while question and discord_len(question) > room - 1:
            question = question[:-1]
        question += "…"
    return prefix + question


class FeedbackButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=re.compile(
        r"citebot:fb:(?P<vote>up|down):(?P<answer_id>[A-Za-z0-9_-]{1,64})(?::(?P<question>.*))?",
        re.DOTALL,
    ),
):
    """👍/👎 under an answer. The custom id carries the vote, the answer id and the question,
    so a click is recorded in full after a restart or by another replica."""

    def __init__(self, vote: Vote, answer_id: str, question: str = "") -> None:
        self.vote: Vote = vote
        self.answer_id = answer_id
        self.question = question
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                emoji="👍" if vote == "up" else "👎",
                custom_id=feedback_custom_id(vote, answer_id, question),
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FeedbackButton:
        button = cls(cast(Vote, match["vote"]), match["answer_id"])
        button.question = match["question"] or ""  # as sent, not cut again
        return button

    async def callback(self, interaction: discord.Interaction) -> None:
        recorded = await core.record_feedback(
            bot_of(interaction).feedback,
            PLATFORM,
            self.answer_id,
            self.question,
            str(interaction.user.id),
            self.vote,
        )
        # In the language of the question answered, which the custom id carries.
        await private(
            interaction, worded(self.question, FEEDBACK_THANKS if recorded else FEEDBACK_FAILED)
        )


def feedback_view(answer: Answer) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if answer.answer_id:
        view.add_item(FeedbackButton("up", answer.answer_id, answer.question))
        view.add_item(FeedbackButton("down", answer.answer_id, answer.question))
    return view


class SourcesPageButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"citebot:sources:(?P<direction>prev|next):(?P<page>[0-9]{1,6})",
):
    """◀/▶ under a `/sources` page; the target page is in the custom id (no state kept).
    Its label is in the clicking user's client language (`voice_for`), set on each page."""

    def __init__(
        self, direction: str, page: int, disabled: bool = False, voice: Voice = "en"
    ) -> None:
        self.page = page
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                label=worded_as(voice, PREVIOUS_PAGE if direction == "prev" else NEXT_PAGE),
                custom_id=f"citebot:sources:{direction}:{max(page, 0)}",
                disabled=disabled,
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SourcesPageButton:
        return cls(match["direction"], int(match["page"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = bot_of(interaction)
        voice = voice_for(interaction)
        collection = bot.collection_for(interaction.channel)
        page = await sources_page(bot, collection, self.page, voice)
        if isinstance(page, str):
            await private(interaction, page)
            return
        embed, view = page
        await interaction.response.edit_message(embed=embed, view=view)


def sources_view(page: int, pages: int, voice: Voice = "en") -> discord.ui.View | None:
    if pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(SourcesPageButton("prev", page - 1, disabled=page <= 0, voice=voice))
    view.add_item(SourcesPageButton("next", page + 1, disabled=page >= pages - 1, voice=voice))
    return view


async def sources_page(
    bot: CitebotDiscord, collection: str | None, page: int, voice: Voice = "en"
) -> tuple[discord.Embed, Any] | str:
    """A page of the collection's sources and its ◀/▶ buttons, worded in `voice`; if listing
    them failed, the apology to show instead (`bot.core.failure_text`)."""
    try:
        records = await asyncio.to_thread(bot.answerer.sources, collection)
    except Exception as exc:
        log.exception("listing sources failed")
        return core.failure_text(exc, voice, SOURCES_FAILED)
    name = collection or bot.settings.collection
    embed, shown, pages = render_sources_page(records, page, name, voice)
    return embed, sources_view(shown, pages, voice) or discord.utils.MISSING
