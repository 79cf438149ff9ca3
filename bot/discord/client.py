"""`CitebotDiscord`: the discord.py client, its command tree, and mentions and replies.

The client keeps no conversation and no feedback state: follow-ups are read back from
Discord's reply chain (`bot.discord.history`) and buttons carry what they record
(`bot.discord.buttons`), so a restart or a second replica loses nothing.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from bot import core
from bot.answer_words import DISCORD_HELP, worded, worded_as
from bot.discord.buttons import FeedbackButton, SourcesPageButton, feedback_view
from bot.discord.commands import COMMANDS
from bot.discord.delivery import (
    NO_MENTIONS,
    apologise,
    reply_plainly,
    reply_with_answer,
    voice_for,
    voice_of_locale,
)
from bot.discord.endpoint import use_api_base, use_gateway_of_api
from bot.discord.history import follow_up_history
from bot.discord.mentions import names_in
from bot.feedback import FeedbackStore
from bot.logs import log_store_size
from bot.ratelimit import RateLimiter
from config import Settings

log = logging.getLogger(__name__)

# citebot has no voice: discord.py's start-up warnings about PyNaCl and davey do not apply.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False


class CitebotDiscord(discord.Client):
    """The bot: a `Client` whose command tree holds `bot.discord.commands.COMMANDS`."""

    def __init__(
        self,
        settings: Settings,
        answerer: core.AsyncAnswerer,
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
        use_api_base(settings.discord_api_url)

    # --- start-up ---------------------------------------------------------------------------

    async def setup_hook(self) -> None:
        self.add_dynamic_items(FeedbackButton, SourcesPageButton)
        await self._sync_commands()
        await log_store_size(self.settings, self.answerer)

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
        await use_gateway_of_api(self.http)
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
        """A mention asks like `/ask`; a reply to one of citebot's messages is a follow-up."""
        if self.user is None or message.author.bot or message.webhook_id is not None:
            return
        mentioned = any(user.id == self.user.id for user in message.mentions)
        if not mentioned and message.reference is None:
            return
        history = await follow_up_history(message, self.user.id, self)
        if history is None and not mentioned:
            return
        if not self.may_answer_in(message.channel):
            return
        question = core.question_from_chat(
            message.content,
            str(self.user.id),
            names_in(self, message.guild, users=message.mentions),
        )
        if not question:
            # Without the privileged Message Content intent, a reply that does not ping the
            # bot arrives with empty content: nothing to answer then. A message has no
            # client language: the help of a bare mention is in the server's.
            if mentioned:
                server = message.guild.preferred_locale if message.guild else None
                voice = voice_of_locale(server) if server else "en"
                await reply_plainly(message, worded_as(voice, DISCORD_HELP))
            return
        if core.asks_for_help(question):  # "help", "帮助": in the words that asked
            await reply_plainly(message, worded(question, DISCORD_HELP))
            return
        refused = core.refusal(self.limiter, str(message.author.id), question)
        if refused:
            await reply_plainly(message, refused)
            return
        async with message.channel.typing():
            answer = await core.ask(
                self.answerer, question, history or (), self.collection_for(message.channel)
            )
        await reply_with_answer(message, answer, feedback_view)


class _Tree(app_commands.CommandTree):
    """The command tree; an unexpected error becomes a short private apology, in the
    language of the question typed (`/ask question:`), and for a command without one in the
    user's Discord client language."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        command = interaction.command.name if interaction.command else "?"
        log.error("/%s failed", command, exc_info=error)
        typed = getattr(interaction.namespace, "question", None)  # None: no such option
        question = core.question_from_chat(typed) if isinstance(typed, str) else ""
        await apologise(interaction, core.apology(question, voice_for(interaction)))


def _channel_ids(channel: Any) -> list[int]:
    """The channel's id, then its parent's (a thread answers like its channel)."""
    ids = []
    for attr in ("id", "parent_id"):
        value = getattr(channel, attr, None)
        if isinstance(value, int):
            ids.append(value)
    return ids
