"""Building citebot's Bolt app and running it: `citebot serve slack [--http --port N]`.

Socket Mode by default, or the Events API over HTTP, where Bolt rejects requests without a
valid signature with 401. Configuration problems are found before anything starts and end
the command with `EXIT_CONFIG` and one line naming the variable to set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from aiohttp import ClientError, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import EXIT_CONFIG, EXIT_OK, AsyncAnswerer
from bot.feedback import FeedbackStore
from bot.health import start_health_server
from bot.ratelimit import RateLimiter
from bot.slack.delivery import error_code
from bot.slack.listeners import SlackBot
from config import Settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def build_slack_app(
    settings: Settings,
    answerer: AsyncAnswerer,
    client: AsyncWebClient | None = None,
    *,
    feedback: FeedbackStore | None = None,
    limiter: RateLimiter | None = None,
) -> AsyncApp:
    """citebot's Bolt app. `answerer` needs `aask(question, history, collection=)` and
    `sources(collection)`; `client` defaults to one for SLACK_BOT_TOKEN at SLACK_API_URL."""
    if client is None:
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        client = AsyncWebClient(token=token, base_url=settings.slack_api_url)
    secret = settings.slack_signing_secret
    app = AsyncApp(
        client=client,
        signing_secret=secret.get_secret_value() if secret else "",
        # Socket Mode needs no signing secret; over HTTP serve_slack insists on one.
        request_verification_enabled=secret is not None,
    )
    bot = SlackBot(
        settings,
        answerer,
        feedback or FeedbackStore(settings.feedback_db),
        limiter or RateLimiter(settings.rate_limit_per_minute),
    )
    bot.register(app)
    return app


def build_web_app(app: AsyncApp, path: str = EVENTS_PATH) -> web.Application:
    """The Events API endpoint (events, slash commands and interactivity share one URL)."""

    async def handle(request: web.Request) -> web.Response:
        response = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    web_app = web.Application()
    web_app.router.add_post(path, handle)
    return web_app


def _missing_configuration(settings: Settings, http: bool) -> str | None:
    if settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value():
        return (
            "SLACK_BOT_TOKEN is not set: set it to the app's bot token (xoxb-…); see README, Slack."
        )
    if http:
        if (
            settings.slack_signing_secret is None
            or not settings.slack_signing_secret.get_secret_value()
        ):
            return (
                "SLACK_SIGNING_SECRET is not set: --http needs the app's signing secret "
                "(Basic Information → App Credentials)."
            )
        return None
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else ""
    if not app_token:
        return (
            "SLACK_APP_TOKEN is not set: Socket Mode needs an app-level token (xapp-…) with "
            "connections:write, or run `citebot serve slack --http --port N`."
        )
    if not app_token.startswith("xapp-"):
        return "SLACK_APP_TOKEN must be an app-level token starting with xapp-."
    return None


def serve_slack(settings: Settings, http: bool, port: int) -> int:
    """`citebot serve slack [--http --port N]`: run until SIGINT/SIGTERM; 2 on bad configuration."""
    problem = _missing_configuration(settings, http)
    if problem:
        print(f"citebot: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    from retrieval import Answerer

    return asyncio.run(_serve(settings, Answerer(settings), http, port))


async def _serve(settings: Settings, answerer: AsyncAnswerer, http: bool, port: int) -> int:
    assert settings.slack_bot_token is not None
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )
    try:
        auth = await client.auth_test()
    except SlackApiError as exc:
        print(f"citebot: Slack rejected SLACK_BOT_TOKEN ({error_code(exc)})", file=sys.stderr)
        return EXIT_CONFIG
    except (TimeoutError, ClientError, OSError) as exc:
        print(
            f"citebot: cannot reach Slack at SLACK_API_URL={settings.slack_api_url} "
            f"({exc.__class__.__name__})",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    log.info("signed in to Slack as %s (team %s)", auth.get("user_id"), auth.get("team_id"))
    try:
        count = len(await asyncio.to_thread(answerer.sources))
        log.info("%d articles in the store", count)
    except Exception as exc:  # answers will apologise until the store is back
        log.warning("the store is not available yet: %s", exc)
    health = start_health_server(settings, answerer)
    try:
        await _run_until_stopped(settings, build_slack_app(settings, answerer, client), http, port)
    finally:
        health.close()
    log.info("Slack adapter stopped")
    return EXIT_OK


async def _run_until_stopped(settings: Settings, app: AsyncApp, http: bool, port: int) -> None:
    """Serve over HTTP or Socket Mode until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
            loop.add_signal_handler(signum, stop.set)
    if http:
        runner = web.AppRunner(build_web_app(app), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "0.0.0.0", port)
        await site.start()
        log.info("Slack Events API endpoint on http://0.0.0.0:%d%s", port, EVENTS_PATH)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
        return
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    assert settings.slack_app_token is not None
    handler = AsyncSocketModeHandler(app, app_token=settings.slack_app_token.get_secret_value())
    await handler.connect_async()
    log.info("connected to Slack in Socket Mode")
    try:
        await stop.wait()
    finally:
        await handler.close_async()
