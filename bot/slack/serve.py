"""Building citebot's Bolt app and running it: `citebot serve slack [--http --port N]`.

Socket Mode by default, or the Events API over HTTP. There the signature is checked on the
raw bytes before anything parses them (Bolt parses first, so a malformed body, signed or
not, became a 500 and an ERROR traceback): an unsigned, badly signed or stale request is a
401, and a signed one that is not a valid Slack payload a 400 with one warning line. Configuration problems are found before anything starts and end
the command with `EXIT_ERROR` and one line naming the variable to set.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import signal
import sys
import time

from aiohttp import ClientError, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core import AsyncAnswerer
from bot.exit_status import EXIT_ERROR, EXIT_OK
from bot.feedback import FeedbackStore
from bot.health import start_health_server
from bot.logs import log_store_size
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


def build_web_app(
    app: AsyncApp, path: str = EVENTS_PATH, *, signing_secret: str | None = None
) -> web.Application:
    """The Events API endpoint (events, slash commands and interactivity share one URL).

    With `signing_secret` the signature is verified before the body is parsed (see the
    module docstring); Bolt verifies it again, as it always does.
    """
    secret = signing_secret.encode() if signing_secret else None

    async def handle(request: web.Request) -> web.Response:
        raw = await request.read()
        if secret is not None and not _signed(secret, raw, request):
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            bolt_request = AsyncBoltRequest(
                body=raw.decode("utf-8"),
                query=request.query_string,
                headers=request.headers,  # type: ignore[arg-type]
            )
        except (ValueError, AttributeError, TypeError) as exc:  # not a Slack payload
            log.warning("refused a signed Slack request: malformed body (%s)", type(exc).__name__)
            return web.json_response({"error": "malformed request body"}, status=400)
        response = await app.async_dispatch(bolt_request)
        return await to_aiohttp_response(response)

    web_app = web.Application()
    web_app.router.add_post(path, handle)
    return web_app


def _signed(secret: bytes, raw: bytes, request: web.Request) -> bool:
    """A valid Slack signature (HMAC-SHA256 of `v0:timestamp:body`) no older than 5 minutes.

    Computed on the raw bytes: slack_sdk's `SignatureVerifier` decodes the body as UTF-8
    first and raises on anything else, and a non-numeric timestamp raises there too.
    """
    stamp = request.headers.get("X-Slack-Request-Timestamp", "")
    if not stamp.isascii() or not stamp.isdigit() or abs(time.time() - int(stamp)) > 5 * 60:
        return False
    expected = "v0=" + hmac.new(secret, b"v0:%s:%s" % (stamp.encode(), raw), "sha256").hexdigest()
    return hmac.compare_digest(expected, request.headers.get("X-Slack-Signature", ""))


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
        return EXIT_ERROR
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
        return EXIT_ERROR
    except (TimeoutError, ClientError, OSError) as exc:
        print(
            f"citebot: cannot reach Slack at SLACK_API_URL={settings.slack_api_url} "
            f"({exc.__class__.__name__})",
            file=sys.stderr,
        )
        return EXIT_ERROR
    log.info("signed in to Slack as %s (team %s)", auth.get("user_id"), auth.get("team_id"))
    await log_store_size(settings, answerer)
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
        secret = settings.slack_signing_secret
        web_app = build_web_app(app, signing_secret=secret.get_secret_value() if secret else None)
        runner = web.AppRunner(web_app, access_log=None)
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
