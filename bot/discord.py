"""The Discord adapter: slash commands (and mentions) in, `Answer`s out as embeds.

`citebot serve discord` runs `CitebotDiscord`, a discord.py `Client` with an app-command
tree: `/ask`, `/sources`, `/ingest` (admins) and `/help`. Mentioning the bot works like
`/ask`, and replying to one of its answers asks a follow-up with the earlier turns as
context. Like every adapter it only translates: questions go to `Answerer.aask`, answers
come back through `bot.discord_render`.

Every message is sent with `allowed_mentions` none, so nothing an article says can ping
anyone. `DISCORD_API_URL` points the client at another HTTP API (tests use a local fake);
the gateway URL then comes from that API's `/gateway/bot` answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import re
import sys
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import PurePath
from typing import Any, cast

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.discord_render import plain_message, render_answer, render_sources_page
from bot.feedback import FeedbackStore, Vote
from bot.ratelimit import RateLimiter
from config import Settings
from retrieval.models import Answer, Turn

log = logging.getLogger(__name__)

PLATFORM = "discord"
DISCORD_API_BASE = "https://discord.com/api/v10"
NO_MENTIONS = discord.AllowedMentions.none()
HISTORY_TURNS = 6
_REMEMBERED = 2000
INGEST_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}

APOLOGY = "Sorry, something went wrong while answering. Please try again in a moment."
STORE_APOLOGY = "Sorry, I can't reach the article store right now. Please try again in a moment."
HELP_TEXT = """**citebot** answers questions from the ingested articles with verbatim quotes and links.

`/ask question:<text>` — ask a question; the answer quotes its sources, each with a link and date.
`/sources` — list the ingested articles.
`/ingest url:<url>` or `/ingest file:<.txt/.md/.html/.pdf/.docx>` — add an article (admins only).
`/help` — this message.

You can also mention me with a question, and reply to one of my answers to ask a follow-up.
Rate 👍 or 👎 under an answer to tell us whether it helped."""


class CitebotDiscord(discord.Client):
    """The bot: a `Client` whose command tree holds the module's command functions."""

    def __init__(
        self,
        settings: Settings,
        answerer: Any,
        *,
        feedback: FeedbackStore | None = None,
        limiter: RateLimiter | None = None,
        **options: Any,
    ) -> None:
        intents = discord.Intents.none()
        intents.guilds = True  # roles for the /ingest check, channels for mentions
        intents.guild_messages = True  # mentions and replies (their content needs no privilege)
        intents.dm_messages = True
        super().__init__(intents=intents, allowed_mentions=NO_MENTIONS, **options)
        self.settings = settings
        self.answerer = answerer
        self.feedback = feedback if feedback is not None else FeedbackStore(settings.feedback_db)
        self.limiter = limiter if limiter is not None else RateLimiter(settings.rate_limit_per_minute)
        self.tree = _Tree(self)
        for command in COMMANDS:
            self.tree.add_command(command)
        # message id of an answer -> the conversation up to and including it
        self._conversations: OrderedDict[int, tuple[Turn, ...]] = OrderedDict()
        # answer id -> question, so a 👍/👎 is recorded with what was asked
        self._questions: OrderedDict[str, str] = OrderedDict()
        use_api_base(settings.discord_api_url)

    # --- start-up ---------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        self.add_dynamic_items(FeedbackButton, SourcesPageButton)
        await self._sync_commands()

    async def _sync_commands(self) -> None:
        """Guild commands appear at once; global ones can take up to an hour."""
        if not self.settings.discord_guild_ids:
            synced = await self.tree.sync()
            log.info("synced %d commands globally", len(synced))
            return
        for guild_id in self.settings.discord_guild_ids:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), guild_id)

    async def connect(self, *, reconnect: bool = True) -> None:
        if Route.BASE.rstrip("/") != DISCORD_API_BASE:
            # Another API (a fake, a proxy): its gateway, not Discord's.
            _, url, _ = await self.http.get_bot_gateway()
            DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
        await super().connect(reconnect=reconnect)

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s (%s)", self.user, getattr(self.user, "id", "?"))

    # --- shared by the commands --------------------------------------------------------------

    def may_answer_in(self, channel: Any) -> bool:
        allowed = self.settings.discord_allowed_channels
        if not allowed:
            return True
        return any(cid in allowed for cid in _channel_ids(channel))

    def collection_for(self, channel: Any) -> str | None:
        """The channel's own collection (CITEBOT_CHANNEL_COLLECTIONS), or its parent's."""
        mapping = self.settings.channel_collections
        for cid in _channel_ids(channel):
            if str(cid) in mapping:
                return mapping[str(cid)]
        return None

    async def answer(
        self, question: str, history: Sequence[Turn], collection: str | None
    ) -> Answer | None:
        """The answer, or None when answering raised (logged here)."""
        try:
            answer = await self.answerer.aask(question, history, collection=collection)
        except Exception:
            log.exception("answering a Discord question failed")
            return None
        if answer.error:
            log.error("answer %s failed: %s", answer.answer_id, answer.error)
        return answer

    def remember(self, message_id: int, history: Sequence[Turn], answer: Answer) -> None:
        turns = (*history, Turn("user", answer.question), Turn("assistant", answer.text))
        self._conversations[message_id] = turns[-HISTORY_TURNS:]
        self._conversations.move_to_end(message_id)
        if answer.answer_id:
            self._questions[answer.answer_id] = answer.question
            self._questions.move_to_end(answer.answer_id)
        for memory in (self._conversations, self._questions):
            while len(memory) > _REMEMBERED:
                memory.popitem(last=False)

    def question_of(self, answer_id: str) -> str:
        return self._questions.get(answer_id, "")

    def rate_limited(self, user_id: int) -> str | None:
        """The refusal to show when the user asked too often, else None."""
        if self.limiter.allow(str(user_id)):
            return None
        wait = max(1, round(self.limiter.retry_after(str(user_id))))
        return (
            f"You've asked {self.limiter.per_minute} questions in the last minute. "
            f"Please wait {wait} s and ask again."
        )

    def is_ingest_admin(self, interaction: discord.Interaction) -> bool:
        """Manage Server (or Administrator) in this guild, or the DISCORD_ADMIN_ROLE role."""
        if interaction.guild_id is None or not isinstance(interaction.user, discord.Member):
            return False
        permissions = interaction.permissions
        if permissions.manage_guild or permissions.administrator:
            return True
        wanted = self.settings.discord_admin_role.strip()
        if not wanted:
            return False
        return any(
            role.name == wanted or str(role.id) == wanted for role in interaction.user.roles
        )

    # --- mentions and replies ----------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        if self.user is None or message.author.bot or message.webhook_id is not None:
            return
        reference = message.reference.message_id if message.reference else None
        history = self._conversations.get(reference) if reference else None
        mentioned = any(user.id == self.user.id for user in message.mentions)
        if history is None and not mentioned:
            return
        if not self.may_answer_in(message.channel):
            return
        question = re.sub(rf"<@!?{self.user.id}>", " ", message.content).strip()
        if not question:
            # Without the privileged Message Content intent, a reply that does not ping the
            # bot arrives with empty content: nothing to answer then.
            if mentioned:
                await message.reply(plain_message(HELP_TEXT), mention_author=False,
                                    allowed_mentions=NO_MENTIONS)
            return
        refusal = self.rate_limited(message.author.id)
        if refusal:
            await message.reply(refusal, mention_author=False, allowed_mentions=NO_MENTIONS)
            return
        async with message.channel.typing():
            answer = await self.answer(question, history or (), self.collection_for(message.channel))
        if answer is None or answer.error:
            text = answer.text if answer is not None else APOLOGY
            await message.reply(plain_message(text), mention_author=False,
                                allowed_mentions=NO_MENTIONS)
            return
        messages = render_answer(answer)
        for index, embeds in enumerate(messages):
            last = index == len(messages) - 1
            view = feedback_view(answer.answer_id) if last else discord.utils.MISSING
            if index == 0:
                sent = await message.reply(embeds=embeds, view=view, mention_author=False,
                                           allowed_mentions=NO_MENTIONS)
            else:
                sent = await message.channel.send(embeds=embeds, view=view,
                                                  allowed_mentions=NO_MENTIONS)
            self.remember(sent.id, history or (), answer)


class _Tree(app_commands.CommandTree):
    """The command tree; an unexpected error becomes a short private apology."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        command = interaction.command.name if interaction.command else "?"
        log.error("/%s failed", command, exc_info=error)
        await _apologise(interaction, APOLOGY)


# --- the commands ------------------------------------------------------------------------------


def _bot(interaction: discord.Interaction) -> CitebotDiscord:
    return cast(CitebotDiscord, interaction.client)


@app_commands.describe(question="What do you want to know about the articles?")
async def ask(interaction: discord.Interaction, question: app_commands.Range[str, 1, 2000]) -> None:
    """Ask a question; the answer quotes the articles, with links."""
    bot = _bot(interaction)
    if not bot.may_answer_in(interaction.channel):
        await _private(interaction, _allowed_channels_text(bot))
        return
    refusal = bot.rate_limited(interaction.user.id)
    if refusal:
        await _private(interaction, refusal)
        return
    await interaction.response.defer(thinking=True)
    answer = await bot.answer(question, (), bot.collection_for(interaction.channel))
    if answer is None or answer.error:
        await _apologise(interaction, answer.text if answer is not None else APOLOGY)
        return
    await _send_answer(interaction, answer)


async def sources(interaction: discord.Interaction) -> None:
    """List the ingested articles."""
    bot = _bot(interaction)
    if not bot.may_answer_in(interaction.channel):
        await _private(interaction, _allowed_channels_text(bot))
        return
    await interaction.response.defer(ephemeral=True, thinking=True)
    collection = bot.collection_for(interaction.channel)
    embed, view = await _sources_page(bot, collection, 0)
    if embed is None:
        await _apologise(interaction, STORE_APOLOGY)
        return
    await interaction.followup.send(embed=embed, view=view, ephemeral=True,
                                    allowed_mentions=NO_MENTIONS)


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
    bot = _bot(interaction)
    if not bot.is_ingest_admin(interaction):
        role = bot.settings.discord_admin_role.strip()
        needed = f"the `{role}` role or " if role else ""
        await _private(interaction, f"Sorry, only members with {needed}the Manage Server "
                                    "permission can add articles.")
        return
    if (url is None) == (file is None):
        await _private(
            interaction, "Give either `url:` or `file:` (a .txt, .md, .html, .pdf or .docx file)."
        )
        return
    if file is not None:
        problem = _attachment_problem(file, bot.settings)
        if problem:
            await _private(interaction, problem)
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
    await _private(interaction, HELP_TEXT)


COMMANDS: list[app_commands.Command[Any, Any, Any]] = [
    app_commands.Command(name="ask", description="Ask a question about the articles",
                         callback=ask),
    app_commands.Command(name="sources", description="List the ingested articles",
                         callback=sources),
    app_commands.Command(name="ingest", description="Add an article by URL or file (admins)",
                         callback=ingest),
    app_commands.Command(name="help", description="How to use citebot",
                         callback=help_command),
]


# --- buttons -------------------------------------------------------------------------------------


class FeedbackButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"citebot:fb:(?P<vote>up|down):(?P<answer_id>[A-Za-z0-9_-]{1,64})",
):
    """👍/👎 under an answer. The custom id carries the answer id, so clicks still count
    after a restart (persistent: no state in memory)."""

    def __init__(self, vote: Vote, answer_id: str) -> None:
        self.vote: Vote = vote
        self.answer_id = answer_id
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                emoji="👍" if vote == "up" else "👎",
                custom_id=f"citebot:fb:{vote}:{answer_id}",
            )
        )

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FeedbackButton:
        return cls(cast(Vote, match["vote"]), match["answer_id"])

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = _bot(interaction)
        try:
            await asyncio.to_thread(
                bot.feedback.record, PLATFORM, self.answer_id, bot.question_of(self.answer_id),
                str(interaction.user.id), self.vote,
            )
        except Exception:
            log.exception("recording feedback failed")
            await _private(interaction, "Sorry, I couldn't record that. Please try again later.")
            return
        await _private(interaction, "Thanks for the feedback!")


def feedback_view(answer_id: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if answer_id:
        view.add_item(FeedbackButton("up", answer_id))
        view.add_item(FeedbackButton("down", answer_id))
    return view


class SourcesPageButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"citebot:sources:(?P<direction>prev|next):(?P<page>[0-9]{1,6})",
):
    """◀/▶ under a `/sources` page; the target page is in the custom id (no state kept)."""

    def __init__(self, direction: str, page: int, disabled: bool = False) -> None:
        self.page = page
        super().__init__(
            discord.ui.Button(
                style=discord.ButtonStyle.secondary,
                label="◀ Previous" if direction == "prev" else "Next ▶",
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
        bot = _bot(interaction)
        embed, view = await _sources_page(bot, bot.collection_for(interaction.channel), self.page)
        if embed is None:
            await _private(interaction, STORE_APOLOGY)
            return
        await interaction.response.edit_message(embed=embed, view=view)


def sources_view(page: int, pages: int) -> discord.ui.View | None:
    if pages <= 1:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(SourcesPageButton("prev", page - 1, disabled=page <= 0))
    view.add_item(SourcesPageButton("next", page + 1, disabled=page >= pages - 1))
    return view


# --- helpers -----------------------------------------------------------------------------------


class _CannotIngest(Exception):
    """Why an article could not be added; shown to the admin as is."""


def _channel_ids(channel: Any) -> list[int]:
    """The channel's id, then its parent's (a thread answers like its channel)."""
    ids = []
    for attr in ("id", "parent_id"):
        value = getattr(channel, attr, None)
        if isinstance(value, int):
            ids.append(value)
    return ids


def _allowed_channels_text(bot: CitebotDiscord) -> str:
    channels = ", ".join(f"<#{cid}>" for cid in bot.settings.discord_allowed_channels)
    return f"I only answer in {channels}."


async def _private(interaction: discord.Interaction, text: str) -> None:
    """An ephemeral reply, as the response or (once responded) as a follow-up."""
    content = plain_message(text)
    if interaction.response.is_done():
        await interaction.followup.send(content, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(content, ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)


async def _apologise(interaction: discord.Interaction, text: str) -> None:
    """A short private apology; a public "thinking…" placeholder is removed first."""
    try:
        if interaction.response.is_done():
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
        await _private(interaction, text)
    except discord.HTTPException:
        log.exception("could not send the apology")


async def _send_answer(interaction: discord.Interaction, answer: Answer) -> None:
    bot = _bot(interaction)
    messages = render_answer(answer)
    for index, embeds in enumerate(messages):
        last = index == len(messages) - 1
        view = feedback_view(answer.answer_id) if last else discord.utils.MISSING
        sent = await interaction.followup.send(embeds=embeds, view=view, wait=True,
                                               allowed_mentions=NO_MENTIONS)
        bot.remember(sent.id, (), answer)


async def _sources_page(
    bot: CitebotDiscord, collection: str | None, page: int
) -> tuple[discord.Embed | None, Any]:
    """A page of the collection's sources and its ◀/▶ buttons; (None, …) if the store is down."""
    try:
        records = await asyncio.to_thread(bot.answerer.sources, collection)
    except Exception:
        log.exception("listing sources failed")
        return None, discord.utils.MISSING
    name = collection or bot.settings.collection
    embed, shown, pages = render_sources_page(records, page, name)
    return embed, sources_view(shown, pages) or discord.utils.MISSING


def _attachment_problem(file: discord.Attachment, settings: Settings) -> str | None:
    suffix = PurePath(file.filename).suffix.lower()
    if suffix not in INGEST_SUFFIXES:
        return (
            "I can read .txt, .md, .html, .pdf and .docx files, "
            f"not {suffix or 'files without a suffix'}."
        )
    if file.size > settings.max_file_mb * 1_000_000:
        return f"That file is too large (over {settings.max_file_mb:g} MB)."
    if file.size == 0:
        return "That file is empty."
    return None


async def _ingest_url(url: str, store: Any, settings: Settings) -> Any:
    if not re.match(r"^https?://\S+$", url):
        raise _CannotIngest("That doesn't look like an http(s) URL.")
    try:
        from ingest.web import ingest_urls
    except ImportError:
        raise _CannotIngest(
            "Adding articles by URL isn't available yet: attach the page as a .html file "
            "with `file:` instead."
        ) from None
    return await asyncio.to_thread(
        ingest_urls, [url], store, allow_private=settings.allow_private_urls
    )


async def _ingest_attachment(file: discord.Attachment, store: Any) -> Any:
    from ingest.pipeline import ingest_articles
    from ingest.reader import UnreadableArticle, read_named_bytes

    data = await file.read()
    try:
        articles = await asyncio.to_thread(read_named_bytes, data, file.filename)
    except UnreadableArticle as exc:
        raise _CannotIngest(f"I couldn't read {file.filename}: {exc}") from None
    return await asyncio.to_thread(ingest_articles, articles, store, show_progress=False)


def _report_text(report: Any) -> str:
    lines = [
        f"Added {report.articles} article{'s' if report.articles != 1 else ''}: "
        f"{report.chunks_added} chunks added, {report.chunks_unchanged} unchanged, "
        f"{report.chunks_removed} removed."
    ]
    lines += [f"Skipped {s.path}: {s.reason}" for s in report.skipped]
    return "\n".join(lines)


def use_api_base(api_url: str) -> None:
    """Send every REST call (webhooks and follow-ups included) to DISCORD_API_URL."""
    Route.BASE = api_url.rstrip("/") or DISCORD_API_BASE


# --- running it ---------------------------------------------------------------------------------


async def run_discord(settings: Settings, answerer: Any, token: str) -> None:
    """Start the health endpoint (when available) and run the bot until it is closed."""
    health = await _start_health(settings, answerer)
    try:
        async with CitebotDiscord(settings, answerer) as client:
            await client.start(token)
    finally:
        stop = getattr(health, "stop", None) or getattr(health, "close", None)
        if callable(stop):
            result = stop()
            if inspect.isawaitable(result):
                await result


async def _start_health(settings: Settings, answerer: Any) -> Any:
    try:
        from bot.health import start_health_server
    except ImportError as exc:
        if getattr(exc, "name", None) not in {"bot.health", None}:
            log.warning("health endpoint not started: %s", exc)
        return None
    result = start_health_server(settings, answerer)
    if inspect.isawaitable(result):
        result = await result
    return result


def serve_discord(settings: Settings) -> int:
    """`citebot serve discord`: 0 after a clean stop, 2 when the token is missing or refused."""
    token = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    if not token:
        print(
            "citebot: DISCORD_TOKEN is not set. Create a bot in the Discord developer portal "
            "and put its token in DISCORD_TOKEN (see README, section Discord).",
            file=sys.stderr,
        )
        return 2
    from retrieval import Answerer

    answerer = Answerer(settings)
    try:
        asyncio.run(run_discord(settings, answerer, token))
    except discord.LoginFailure:
        print("citebot: Discord refused DISCORD_TOKEN (401 Unauthorized): check the bot token.",
              file=sys.stderr)
        return 2
    except discord.PrivilegedIntentsRequired:
        print("citebot: Discord refused the requested gateway intents.", file=sys.stderr)
        return 2
    return 0
