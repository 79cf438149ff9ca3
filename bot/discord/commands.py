"""The slash commands: `/ask`, `/sources`, `/ingest` (admins) and `/help`.

Each is a module-level function in `COMMANDS`; the client's command tree holds them. They
check where and who may ask, then hand over to `bot.core` and `bot.discord.delivery`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import discord
from discord import app_commands

from bot import core
from bot.answer_words import ALSO_SEPARATOR, ONLY_IN_CHANNELS, worded
from bot.discord.buttons import STORE_APOLOGY, bot_of, feedback_view, sources_page
from bot.discord.delivery import NO_MENTIONS, apologise, private, send_answer
from bot.discord.mentions import names_in
from bot.discord_render import plain_message
from config import Settings
from ingest.models import IngestReport
from ingest.reader import UnreadableArticle, check_file, read_named_bytes

log = logging.getLogger(__name__)


HELP_TEXT = """**citebot** answers questions from the ingested articles with verbatim quotes and links.

`/ask question:<text>` — ask a question; the answer quotes its sources, each with a link and date.
`/sources` — list the ingested articles.
`/ingest url:<url>` or `/ingest file:<.txt/.md/.html/.pdf/.docx>` — add an article (admins only).
`/help` — this message.

You can also mention me with a question, and reply to one of my answers to ask a follow-up ("Why?", "Tell me more", "What about the second one?").
Rate 👍 or 👎 under an answer to tell us whether it helped."""


@app_commands.describe(question="What do you want to know about the articles?")
async def ask(interaction: discord.Interaction, question: app_commands.Range[str, 1, 2000]) -> None:
    """Ask a question; the answer quotes the articles, with links."""
    bot = bot_of(interaction)
    if not bot.may_answer_in(interaction.channel):
        await private(interaction, _allowed_channels_text(bot.settings, question))
        return
    resolved = (interaction.data or {}).get("resolved")
    question = core.question_from_chat(
        question,
        str(bot.user.id) if bot.user else None,
        names_in(bot, interaction.guild, resolved=resolved),
    )
    if not question:
        await private(interaction, HELP_TEXT)
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
    if not bot.may_answer_in(interaction.channel):
        await private(interaction, _allowed_channels_text(bot.settings))
        return
    await interaction.response.defer(ephemeral=True, thinking=True)
    collection = bot.collection_for(interaction.channel)
    embed, view = await sources_page(bot, collection, 0)
    if embed is None:
        await apologise(interaction, STORE_APOLOGY)
        return
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
    if not bot.is_ingest_admin(interaction):
        role = bot.settings.discord_admin_role.strip()
        needed = f"the `{role}` role or " if role else ""
        await private(
            interaction,
            f"Sorry, only members with {needed}the Manage Server permission can add articles.",
        )
        return
    if (url is None) == (file is None):
        await private(
            interaction, "Give either `url:` or `file:` (a .txt, .md, .html, .pdf or .docx file)."
        )
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
            report = await _ingest_url(url.strip(), store, bot.settings)
        else:
            assert file is not None
            report = await _ingest_attachment(file, store)
    except _CannotIngest as exc:
        await interaction.followup.send(plain_message(str(exc)), ephemeral=True)
        return
    except Exception:
        log.exception("/ingest failed")
        await interaction.followup.send(STORE_APOLOGY, ephemeral=True)
        return
    log.info("/ingest by %s: %s", interaction.user.id, report.as_json())
    await interaction.followup.send(plain_message(_report_text(report)), ephemeral=True)


async def help_command(interaction: discord.Interaction) -> None:
    """How to use citebot."""
    await private(interaction, HELP_TEXT)


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


def _allowed_channels_text(settings: Settings, question: str = "") -> str:
    """Where citebot answers, in the language of the `question` refused (English without)."""
    separator = worded(question, ALSO_SEPARATOR)
    channels = separator.join(f"<#{cid}>" for cid in settings.discord_allowed_channels)
    return worded(question, ONLY_IN_CHANNELS, channels=channels)


def _attachment_problem(file: discord.Attachment, settings: Settings) -> str | None:
    """Why the ingest package would not read this upload (asked before downloading it)."""
    try:
        check_file(file.filename, file.size, int(settings.max_file_mb * 1_000_000))
    except UnreadableArticle as exc:
        return f"I can't add {file.filename}: {exc}."
    return None


async def _ingest_url(url: str, store: Any, settings: Settings) -> IngestReport:
    if not re.match(r"^https?://\S+$", url):
        raise _CannotIngest("That doesn't look like an http(s) URL.")
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


def _report_text(report: IngestReport) -> str:
    return "\n".join([f"Added {report.summary()}.", *report.skipped_lines()])
