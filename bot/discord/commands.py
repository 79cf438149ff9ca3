"""The slash commands: `/ask`, `/sources`, `/ingest` (admins) and `/help`.

Each is a module-level function in `COMMANDS`; the client's command tree holds them. They
check where and who may ask, then hand over to `bot.core` and `bot.discord.delivery`. Their
replies are in the language of the question asked, and without one in the user's Discord
client language (`bot.discord.delivery.voice_for`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import discord
from discord import app_commands

from bot import core
from bot.answer_words import (
    ADMINS_ONLY,
    ALSO_SEPARATOR,
    DISCORD_HELP,
    INGEST_ADDED,
    INGEST_FAILED,
    NOT_A_URL,
    ONLY_IN_CHANNELS,
    ROLE_OR_ADMINS_ONLY,
    URL_OR_FILE,
    Voice,
    worded_as,
)
from bot.discord.buttons import bot_of, feedback_view, sources_page
from bot.discord.delivery import NO_MENTIONS, apologise, private, send_answer, voice_for
from bot.discord.mentions import names_in
from bot.discord_render import plain_message
from config import Settings
from ingest.models import IngestReport
from ingest.reader import UnreadableArticle, check_file, read_named_bytes

log = logging.getLogger(__name__)


@app_commands.describe(question="What do you want to know about the articles?")
async def ask(interaction: discord.Interaction, question: app_commands.Range[str, 1, 2000]) -> None:
    """Ask a question; the answer quotes the articles, with links."""
    bot = bot_of(interaction)
    if not bot.may_answer_in(interaction.channel):
        voice = voice_for(interaction, question)
        await private(interaction, _allowed_channels_text(bot.settings, voice))
        return
    resolved = (interaction.data or {}).get("resolved")
    question = core.question_from_chat(
        question,
        str(bot.user.id) if bot.user else None,
        names_in(bot, interaction.guild, resolved=resolved),
    )
    if not question or core.asks_for_help(question):
        await private(interaction, worded_as(voice_for(interaction, question), DISCORD_HELP))
        return
    refused = core.refusal(bot.limiter, str(interaction.user.id), question)
    if refused:
        await private(interaction, refused)
        return
    await interaction.response.defer(thinking=True)
    answer = await core.ask(bot.answerer, question, (), bot.collection_for(interaction.channel))
    if answer.error:
        await apologise(interaction, answer.text)
        return
    await send_answer(interaction, answer, feedback_view)


async def sources(interaction: discord.Interaction) -> None:
    """List the ingested articles."""
    bot = bot_of(interaction)
    voice = voice_for(interaction)
    if not bot.may_answer_in(interaction.channel):
        await private(interaction, _allowed_channels_text(bot.settings, voice))
        return
    await interaction.response.defer(ephemeral=True, thinking=True)
    collection = bot.collection_for(interaction.channel)
    page = await sources_page(bot, collection, 0, voice)
    if isinstance(page, str):
        await apologise(interaction, page)
        return
    embed, view = page
    await interaction.followup.send(
        embed=embed, view=view, ephemeral=True, allowed_mentions=NO_MENTIONS
    )


@app_commands.describe(
    url="Address of the article to add",
    file="A .txt, .md, .html, .pdf or .docx file with the article",
)
async def ingest(
    interaction: discord.Interaction,
    url: str | None = None,
    file: discord.Attachment | None = None,
) -> None:
    """Add an article (admins: the configured role or Manage Server)."""
    bot = bot_of(interaction)
    voice = voice_for(interaction)
    if not bot.is_ingest_admin(interaction):
        role = bot.settings.discord_admin_role.strip()
        refusal = (
            worded_as(voice, ROLE_OR_ADMINS_ONLY, role=role)
            if role
            else worded_as(voice, ADMINS_ONLY)
        )
        await private(interaction, refusal)
        return
    if (url is None) == (file is None):
        await private(interaction, worded_as(voice, URL_OR_FILE))
        return
    if file is not None:
        problem = _attachment_problem(file, bot.settings)
        if problem:
            await private(interaction, problem)
            return
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        store = bot.answerer.store(bot.collection_for(interaction.channel))
        if url is not None:
            report = await _ingest_url(url.strip(), store, bot.settings, voice)
        else:
            assert file is not None
            report = await _ingest_attachment(file, store)
    except _CannotIngest as exc:
        await interaction.followup.send(plain_message(str(exc)), ephemeral=True)
        return
    except Exception as exc:
        log.exception("/ingest failed")
        await interaction.followup.send(
            core.failure_text(exc, voice, INGEST_FAILED), ephemeral=True
        )
        return
    log.info("/ingest by %s: %s", interaction.user.id, report.as_json())
    await interaction.followup.send(plain_message(_report_text(report, voice)), ephemeral=True)


async def help_command(interaction: discord.Interaction) -> None:
    """How to use citebot."""
    await private(interaction, worded_as(voice_for(interaction), DISCORD_HELP))


COMMANDS: list[app_commands.Command[Any, Any, Any]] = [
    app_commands.Command(name="ask", description="Ask a question about the articles", callback=ask),
    app_commands.Command(
        name="sources", description="List the ingested articles", callback=sources
    ),
    app_commands.Command(
        name="ingest", description="Add an article by URL or file (admins)", callback=ingest
    ),
    app_commands.Command(name="help", description="How to use citebot", callback=help_command),
]


class _CannotIngest(Exception):
    """Why an article could not be added; shown to the admin as is."""


def _allowed_channels_text(settings: Settings, voice: Voice) -> str:
    """Where citebot answers, in `voice` (the question refused's, else the client's)."""
    separator = worded_as(voice, ALSO_SEPARATOR)
    channels = separator.join(f"<#{cid}>" for cid in settings.discord_allowed_channels)
    return worded_as(voice, ONLY_IN_CHANNELS, channels=channels)


def _attachment_problem(file: discord.Attachment, settings: Settings) -> str | None:
    """Why the ingest package would not read this upload (asked before downloading it)."""
    try:
        check_file(file.filename, file.size, int(settings.max_file_mb * 1_000_000))
    except UnreadableArticle as exc:
        return f"I can't add {file.filename}: {exc}."
    return None


async def _ingest_url(url: str, store: Any, settings: Settings, voice: Voice) -> IngestReport:
    if not re.match(r"^https?://\S+$", url):
        raise _CannotIngest(worded_as(voice, NOT_A_URL))
    from ingest.web import ingest_urls

    return await asyncio.to_thread(
        ingest_urls, [url], store, allow_private=settings.allow_private_urls
    )


async def _ingest_attachment(file: discord.Attachment, store: Any) -> IngestReport:
    from ingest.pipeline import ingest_articles

    data = await file.read()
    try:
        # PDF and Word files are parsed in a worker thread, away from the event loop.
        articles = await asyncio.to_thread(read_named_bytes, data, file.filename)
    except UnreadableArticle as exc:
        raise _CannotIngest(f"I couldn't read {file.filename}: {exc}") from None
    return await asyncio.to_thread(ingest_articles, articles, store, show_progress=False)


def _report_text(report: IngestReport, voice: Voice) -> str:
    added = worded_as(
        voice,
        INGEST_ADDED,
        summary=report.summary(),
        articles=report.articles,
        added=report.chunks_added,
        unchanged=report.chunks_unchanged,
        removed=report.chunks_removed,
    )
    return "\n".join([added, *report.skipped_lines()])
