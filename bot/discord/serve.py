"""`citebot serve discord`: run the bot with its health endpoint; exit codes say why it ended."""

from __future__ import annotations

import asyncio
import sys

import aiohttp
import discord

from bot.core import AsyncAnswerer
from bot.discord.client import CitebotDiscord
from bot.exit_status import EXIT_ERROR, EXIT_OK
from bot.health import start_health_server
from config import Settings

# How long logging in may take. Discord answers it in well under a second; an API address
# that accepts connections and never answers would otherwise hold the start for aiohttp's
# default of five minutes before the "cannot reach Discord" exit.
LOGIN_TIMEOUT_S = 30.0


async def run_discord(settings: Settings, answerer: AsyncAnswerer, token: str) -> None:
    """Start the health endpoint and run the bot until it is closed."""
    health = start_health_server(settings, answerer)
    try:
        async with CitebotDiscord(settings, answerer) as client:
            # `client.start` is login + connect; the login alone is bounded
            await asyncio.wait_for(client.login(token), LOGIN_TIMEOUT_S)
            await client.connect()
    finally:
        health.close()


def serve_discord(settings: Settings) -> int:
    """`citebot serve discord`: 0 after a clean stop, 2 when the token is missing or refused."""
    token = settings.discord_token.get_secret_value().strip() if settings.discord_token else ""
    if not token:
        print(
            "citebot: DISCORD_TOKEN is not set. Create a bot in the Discord developer portal "
            "and put its token in DISCORD_TOKEN (see README, section Discord).",
            file=sys.stderr,
        )
        return EXIT_ERROR
    from retrieval import Answerer

    answerer = Answerer(settings)
    try:
        asyncio.run(run_discord(settings, answerer, token))
    except discord.LoginFailure:
        print(
            "citebot: Discord refused DISCORD_TOKEN (401 Unauthorized): check the bot token.",
            file=sys.stderr,
        )
        return EXIT_ERROR
    except discord.PrivilegedIntentsRequired:
        print("citebot: Discord refused the requested gateway intents.", file=sys.stderr)
        return EXIT_ERROR
    except (aiohttp.ClientError, discord.GatewayNotFound, OSError, TimeoutError) as exc:
        print(
            f"citebot: cannot reach Discord at DISCORD_API_URL={settings.discord_api_url} "
            f"({exc.__class__.__name__})",
            file=sys.stderr,
        )
        return EXIT_ERROR
    return EXIT_OK
