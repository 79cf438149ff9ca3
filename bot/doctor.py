"""`citebot doctor`: print the configuration (secrets masked) and check each part.

Meant for the first minute of a deployment (`docker compose run --rm slack doctor`) and for
bug reports: every line is safe to paste. Checks, in order:

- embedding model: loads and embeds a word (required);
- store: reachable, its collection's size (required);
- Slack / Discord: tokens present and of the right kind (a half-configured platform fails;
  an unconfigured one is only a warning, since a deployment runs one or the other);
- LLM: when CITEBOT_LLM is set, one tiny call within a deadline (required then).

Exit status 0 when every required check passes, 1 otherwise.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TextIO

from langchain_core.embeddings import Embeddings

from bot.exit_status import EXIT_INCOMPLETE, EXIT_OK
from config import Settings, redact_secrets
from ingest.messages import describe_error
from retrieval.llm import LLMUnavailable, build_chat_model

Status = Literal["ok", "warn", "fail", "skip"]

# An LLM check waits at most this long even when CITEBOT_LLM_TIMEOUT is longer.
LLM_CHECK_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str


def run_doctor(
    settings: Settings,
    *,
    out: TextIO | None = None,
    chat_model: Any = None,
) -> int:
    """Print the configuration and the checks; 0 if all required checks pass, else 1.

    `chat_model` replaces the model CITEBOT_LLM would build (tests use LangChain fakes).
    """
    import sys

    out = out or sys.stdout
    print("citebot doctor", file=out)
    print("\nconfiguration (secrets masked):", file=out)
    shown = settings.masked()
    width = max(len(name) for name in shown)
    for name, value in shown.items():
        print(f"  {name:<{width}}  {value}", file=out)

    print("\nchecks:", file=out, flush=True)
    checks: list[Check] = []
    steps: list[Callable[[], Check]] = [
        lambda: _check_embeddings(settings),
        lambda: _check_store(settings),
        lambda: _check_slack(settings),
        lambda: _check_discord(settings),
        lambda: _check_llm(settings, chat_model),
    ]
    for step in steps:
        check = step()
        checks.append(check)
        detail = redact_secrets(check.detail, settings)
        print(f"  {check.status.upper():<4}  {check.name:<16}{detail}", file=out, flush=True)

    failed = [c.name for c in checks if c.status == "fail"]
    if failed:
        print(f"\n{len(failed)} check(s) failed: {', '.join(failed)}", file=out)
        return EXIT_INCOMPLETE
    print("\nall required checks passed", file=out)
    return EXIT_OK


def _check_embeddings(settings: Settings) -> Check:
    from ingest.embeddings import load_embeddings

    started = time.monotonic()
    try:
        vector = load_embeddings(settings.embedding_model).embed_query("citebot doctor")
    except Exception as exc:
        return Check("embedding model", "fail", f"{settings.embedding_model}: {describe_error(exc)}")
    if not vector:
        return Check("embedding model", "fail", f"{settings.embedding_model}: empty vector")
    seconds = time.monotonic() - started
    return Check(
        "embedding model",
        "ok",
        f"{settings.embedding_model}: {len(vector)} dimensions (loaded and embedded in "
        f"{seconds:.1f} s)",
    )


def _check_store(settings: Settings) -> Check:
    from ingest.embeddings import load_embeddings
    from ingest.store import ArticleStore, describe_location

    where = describe_location(settings)
    kind = "Chroma server" if settings.chroma_url else "embedded Chroma"
    try:
        # The embedding check already loaded the model (cached per process); a broken model
        # should not hide whether the store itself answers, so fall back to a stand-in.
        try:
            embeddings = load_embeddings(settings.embedding_model)
        except Exception:
            embeddings = _NoEmbeddings()
        store = ArticleStore(settings, embeddings=embeddings)
        articles, chunks = store.article_count(), store.chunk_count()
        missing = store.missing_bilingual_vectors()
    except Exception as exc:
        return Check("store", "fail", f"{kind} at {where}: {describe_error(exc)}")
    detail = (
        f"{kind} at {where}, collection {settings.collection!r}: "
        f"{articles} articles, {chunks} chunks"
    )
    if articles == 0:
        return Check("store", "warn", detail + " (empty: run `citebot ingest PATH`)")
    if missing:
        return Check(
            "store",
            "warn",
            detail + f" ({missing} without bilingual vectors, so questions across languages "
            "are judged without their search: any `citebot ingest` adds them)",
        )
    return Check("store", "ok", detail)


def _check_slack(settings: Settings) -> Check:
    bot = _secret(settings.slack_bot_token)
    app = _secret(settings.slack_app_token)
    signing = _secret(settings.slack_signing_secret)
    if not (bot or app or signing):
        return Check("slack", "warn", "not configured (SLACK_BOT_TOKEN unset)")
    problems = []
    if not bot:
        problems.append("SLACK_BOT_TOKEN is unset")
    elif not bot.startswith("xoxb-"):
        problems.append("SLACK_BOT_TOKEN should be a bot token (xoxb-…)")
    if app and not app.startswith("xapp-"):
        problems.append("SLACK_APP_TOKEN should be an app-level token (xapp-…)")
    if not app and not signing:
        problems.append(
            "set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (`serve slack --http`)"
        )
    if problems:
        return Check("slack", "fail", "; ".join(problems))
    modes = []
    if app:
        modes.append("Socket Mode (SLACK_APP_TOKEN)")
    if signing:
        modes.append("HTTP (SLACK_SIGNING_SECRET)")
    return Check("slack", "ok", "SLACK_BOT_TOKEN set; ready for " + " and ".join(modes))


def _check_discord(settings: Settings) -> Check:
    token = _secret(settings.discord_token)
    if not token:
        return Check("discord", "warn", "not configured (DISCORD_TOKEN unset)")
    if token.count(".") != 2 or any(c.isspace() for c in token):
        return Check(
            "discord", "fail", "DISCORD_TOKEN does not look like a bot token (three dot-parts)"
        )
    return Check("discord", "ok", "DISCORD_TOKEN set")


def _check_llm(settings: Settings, chat_model: Any) -> Check:
    if not settings.llm and chat_model is None:
        return Check("llm", "skip", "CITEBOT_LLM not set: answers are extractive (offline)")
    name = settings.llm or "(injected chat model)"
    timeout = min(settings.llm_timeout_s, LLM_CHECK_TIMEOUT_S)
    try:
        if chat_model is None:
            chat_model = build_chat_model(settings, timeout)
    except LLMUnavailable as exc:
        return Check("llm", "fail", f"{name}: {exc.problem}")
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="doctor-llm")
    started = time.monotonic()
    try:
        reply = pool.submit(chat_model.invoke, "Reply with the single word OK.").result(timeout)
    except concurrent.futures.TimeoutError:
        return Check("llm", "fail", f"{name}: no reply within {timeout:g} s")
    except Exception as exc:
        return Check("llm", "fail", f"{name}: {describe_error(exc)}")
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    content = getattr(reply, "content", reply)
    if not str(content).strip():
        return Check("llm", "fail", f"{name}: empty reply")
    return Check("llm", "ok", f"{name}: answered in {time.monotonic() - started:.1f} s")


class _NoEmbeddings(Embeddings):
    """Stands in for a broken embedding model so the store check still runs."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise RuntimeError("no embedding model")

    def embed_query(self, text: str) -> list[float]:
        raise RuntimeError("no embedding model")


def _secret(value: Any) -> str:
    return value.get_secret_value().strip() if value is not None else ""
