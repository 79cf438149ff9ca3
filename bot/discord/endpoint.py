"""Where discord.py sends its calls: Discord, or DISCORD_API_URL (a proxy, a test fake).

discord.py has no public option for another API: every REST call (webhooks and follow-ups
included) builds its URL from the class attribute `discord.http.Route.BASE`, and the gateway
it connects to is `DiscordWebSocket.DEFAULT_GATEWAY`. Both are set here and nowhere else;
they are process-wide, which is fine for a process that runs one bot (tests put them back).
"""

from __future__ import annotations

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import HTTPClient, Route

DISCORD_API_BASE = "https://discord.com/api/v10"


def use_api_base(api_url: str) -> None:
    """Send every REST call to `api_url` (DISCORD_API_URL)."""
    Route.BASE = api_url.rstrip("/") or DISCORD_API_BASE


def is_discord() -> bool:
    return Route.BASE.rstrip("/") == DISCORD_API_BASE


async def use_gateway_of_api(http: HTTPClient) -> None:
    """Another API (a fake, a proxy) has its own gateway: ask it, as Discord's clients do."""
    if is_discord():
        return
    _, url, _ = await http.get_bot_gateway()
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
