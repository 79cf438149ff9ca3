"""The Discord adapter: slash commands (and mentions) in, `Answer`s out as embeds.

`citebot serve discord` runs `CitebotDiscord`, a discord.py `Client` with an app-command
tree: `/ask`, `/sources`, `/ingest` (admins) and `/help`. Mentioning the bot works like
`/ask`, and replying to one of its answers asks a follow-up with the earlier turns as
context. Like every adapter it only translates: questions go through `bot.core.ask`,
answers come back through `bot.discord_render`.

- `client`: the client, its command tree, mentions and replies;
- `commands`: the slash commands;
- `buttons`: 👍/👎 and ◀/▶, whose custom ids carry all they need;
- `history`: follow-ups read back from Discord's reply chain;
- `mentions`: the names behind the mentions in a question (`@Role`, `#channel`);
- `delivery`: replies, private notes and apologies, never pinging anyone;
- `endpoint`: DISCORD_API_URL (a proxy, a local fake) instead of discord.com;
- `serve`: `citebot serve discord`.
"""

from bot.core import APOLOGY
from bot.discord.client import CitebotDiscord
from bot.discord.serve import run_discord, serve_discord

__all__ = ["APOLOGY", "CitebotDiscord", "run_discord", "serve_discord"]
