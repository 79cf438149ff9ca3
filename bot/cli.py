"""The `citebot` command line: ingest, sources, forget, ask, chat, serve, doctor, eval, watch.

Each subcommand is a small function that parses its flags and calls the package that does
the work; output formats (`--json`) are part of the public interface.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.exit_status import (
    EXIT_BROKEN_PIPE,
    EXIT_ERROR,
    EXIT_INCOMPLETE,
    EXIT_INTERRUPTED,
    EXIT_OK,
)
from config import Settings, SettingsError, get_settings

if TYPE_CHECKING:
    from ingest.fetch import GuardedClient
    from ingest.models import IngestReport
    from ingest.store import ArticleStore
    from retrieval import Answerer

# `ftp://…`, `file://…`: any scheme followed by `://` is a URL, never a file name.
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
# Commands that run as services: they log at INFO by default; the others only warn.
_SERVICE_COMMANDS = {"serve", "watch"}


def _settings() -> Settings:
    return get_settings()


# How much `ingest` and `watch` lower their own CPU priority: a bot on the same host then
# keeps its question latency within 1.3x of quiet beside an ingest, against 2.3-3.3x at equal
# priority (benchmarks/neighbour_load.py --ingest-nice 10, BENCHMARKS.md "Scale").
INGEST_NICENESS = 10


def lower_priority(increment: int = INGEST_NICENESS) -> int:
    """Make this process yield the CPU to the bots (`os.nice`); the resulting niceness."""
    try:
        return os.nice(increment)
    except OSError:  # not permitted, or not supported here: run as is
        return os.nice(0)


def cmd_ingest(args: argparse.Namespace) -> int:
    """`citebot ingest PATH... [--json]`: files, folders and (with ingest.web) URLs."""
    from ingest.models import IngestReport, SkippedInput
    from ingest.pipeline import ingest_paths
    from ingest.store import ArticleStore

    settings = _settings()
    lower_priority()
    store = ArticleStore(settings)
    report = IngestReport()
    urls, paths = [], []
    for given in args.paths:
        scheme = _URL_SCHEME.match(given)
        if scheme is None:
            paths.append(given)
        elif scheme.group(1).lower() in ("http", "https"):
            urls.append(given)
        else:
            reason = f"unsupported URL scheme {scheme.group(1)}:// (only http:// and https://)"
            report.skipped.append(SkippedInput(given, reason))
    if paths:
        report.merge(ingest_paths(paths, store))
    if urls:
        from ingest.web import ingest_urls

        report.merge(ingest_urls(urls, store, allow_private=True))
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        print(report.summary())
        for line in report.skipped_lines():
            print(line, file=sys.stderr)
    for line in report.gone_lines():  # with --json too: not in the object, whose keys stay
        print(line, file=sys.stderr)
    return EXIT_INCOMPLETE if report.skipped else EXIT_OK


def cmd_sources(args: argparse.Namespace) -> int:
    """`citebot sources [--json]`: what has been ingested."""
    from bot.console import one_line
    from ingest.messages import plural
    from ingest.store import ArticleStore

    settings = _settings()
    records = ArticleStore(settings).articles()
    if not records:
        _say_store_is_empty(settings)
    if args.json:
        print(json.dumps([r.as_json() for r in records], ensure_ascii=False))
        return EXIT_OK
    for r in records:
        chunks = plural(r.chunks, "chunk")
        title = one_line(r.title)
        print(f"{r.article_id}  {r.published or '          '}  {chunks:>11}  {title}")
        print(f"{'':18}{one_line(r.url or r.source)}")
        for other in r.other_sources:
            print(f"{'':18}also {one_line(other)}")
    if records:
        print(plural(len(records), "article"))
    return EXIT_OK


def cmd_forget(args: argparse.Namespace) -> int:
    """`citebot forget ARTICLE_ID`: remove an article and its chunks; `citebot forget --file
    PATH`: only that file's record (and its article, when no other source holds it)."""
    from ingest.messages import plural
    from ingest.store import ArticleStore

    settings = _settings()
    store = ArticleStore(settings)
    if args.file is not None:
        return _forget_file(store, settings, args.file)
    try:
        removed = store.forget(args.article_id)
    except KeyError:
        return _nothing_to_forget(store, settings, f"no article with id {args.article_id}")
    print(f"forgot {args.article_id}: {plural(removed, 'chunk')} removed")
    return EXIT_OK


def _forget_file(store: ArticleStore, settings: Settings, given: str) -> int:
    from pathlib import Path

    from ingest.messages import display_text, held_by, plural

    file = str(Path(given).resolve())  # as `ingest` records a file, gone from disk or not
    try:
        forgot = store.forget_file(file)
    except KeyError:
        return _nothing_to_forget(store, settings, display_text(f"no ingested file at {file}"))
    line = f"forgot {file}: {plural(forgot.removed_chunks, 'chunk')} removed"
    if forgot.kept_by:
        line += f"; its text stays, {held_by(forgot.kept_by)}"
    print(display_text(line))
    return EXIT_OK


def _nothing_to_forget(store: ArticleStore, settings: Settings, what: str) -> int:
    if store.article_count() == 0:
        _say_store_is_empty(settings)
    print(f"{what} (see `citebot sources`)", file=sys.stderr)
    return EXIT_ERROR


def cmd_ask(args: argparse.Namespace) -> int:
    """`citebot ask [--json|--explain] QUESTION...`: several questions, one model load.

    Exit status 2 when any question could not be answered because the store could not be
    searched (its answer is the apology, with `error` set), so a script can tell.
    """
    from bot.console import render_answer
    from bot.core import question_from_chat
    from retrieval import Answerer

    settings = _settings()
    answerer = Answerer(settings)
    _warn_if_store_is_empty(settings, answerer)
    failed = 0
    for pasted in args.questions:
        question = question_from_chat(pasted)  # as it would be in Slack: no `<@U123>` left
        if args.explain:
            failed += not _print_explanation(answerer, question)
            continue
        answer = answerer.ask(question)
        failed += answer.error is not None
        if args.json:
            print(json.dumps(answer.as_json(), ensure_ascii=False), flush=True)
        else:
            print(render_answer(answer), flush=True)
    return EXIT_ERROR if failed else EXIT_OK


def _print_explanation(answerer: Answerer, question: str) -> bool:
    """Print `Answerer.explain` of one question as JSON; False when the store is down."""
    from ingest.store import StoreUnavailable

    try:
        explanation = answerer.explain(question)
    except StoreUnavailable as exc:
        print(f"citebot: cannot search the store: {exc}", file=sys.stderr)
        return False
    print(json.dumps(explanation.as_json(), ensure_ascii=False, indent=2), flush=True)
    return True


def cmd_chat(args: argparse.Namespace) -> int:
    """`citebot chat [--json]`: a console conversation (`--json`: one JSON line per question)."""
    from bot.console import run_chat

    return run_chat(_settings(), json_lines=args.json)


def cmd_serve(args: argparse.Namespace) -> int:
    """`citebot serve slack|discord`."""
    if args.platform == "slack":
        from bot.slack import serve_slack

        return serve_slack(_settings(), http=args.http, port=args.port)
    from bot.discord import serve_discord

    return serve_discord(_settings())


def cmd_doctor(args: argparse.Namespace) -> int:
    """`citebot doctor`: configuration (secrets masked) and a check of each part."""
    from bot.doctor import run_doctor

    return run_doctor(_settings())


def cmd_eval(args: argparse.Namespace) -> int:
    """`citebot eval DATASET`: retrieval and quote quality on a SQuAD-style QA set."""
    from pathlib import Path

    from evaluation import EvalInputError, EvalOptions, format_table, run_eval_command
    from evaluation.progress import BarProgress, Progress
    from evaluation.vectors import DEFAULT_CACHE_DIR

    show_progress = sys.stderr.isatty()
    options = EvalOptions(
        dataset=Path(args.dataset),
        limit=args.limit,
        unanswerable=Path(args.unanswerable) if args.unanswerable else None,
        questions=Path(args.questions) if args.questions else None,
        baseline=not args.no_baseline,
        cache_dir=None if args.no_cache else DEFAULT_CACHE_DIR,
        show_progress=show_progress,
        progress=BarProgress() if show_progress else Progress(),
        after_unrelated=args.after_unrelated,
    )
    try:
        report = run_eval_command(options, _settings())
    except EvalInputError as exc:
        print(f"citebot eval: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(format_table(report))
    return EXIT_OK


def cmd_watch(args: argparse.Namespace) -> int:
    """`citebot watch`: refresh the configured feeds on a schedule."""
    settings = _settings()
    lower_priority()
    return run_watch(settings, once=args.once)


def run_watch(
    settings: Settings,
    once: bool,
    *,
    store: ArticleStore | None = None,
    stop: threading.Event | None = None,
    client_factory: Callable[[], GuardedClient] | None = None,
) -> int:
    """`citebot watch [--once]`: refresh CITEBOT_FEEDS now and every CITEBOT_WATCH_INTERVAL_MIN
    (`ingest.web.watch_feeds`), printing each refresh. Ctrl-C and SIGTERM stop it with 0;
    `--once` exits 1 when something was skipped."""
    from ingest.web import watch_feeds

    if not settings.feeds:
        print("citebot watch: CITEBOT_FEEDS is empty: nothing to watch", file=sys.stderr)
        return EXIT_ERROR
    try:
        report = watch_feeds(
            settings,
            once=once,
            on_refresh=_print_refresh,
            store=store,
            stop=stop,
            client_factory=client_factory,
        )
    except KeyboardInterrupt:
        report = None
    if report is None:
        print("citebot watch: stopped", file=sys.stderr)
        return EXIT_OK
    return EXIT_INCOMPLETE if report.skipped else EXIT_OK


def _print_refresh(report: IngestReport) -> None:
    print(f"refreshed {report.summary()}", flush=True)
    for line in report.skipped_lines():
        print(line, file=sys.stderr, flush=True)


def _say_store_is_empty(settings: Settings) -> None:
    from ingest.store import empty_store_message

    print(f"citebot: {empty_store_message(settings)}", file=sys.stderr)


def _warn_if_store_is_empty(settings: Settings, answerer: object) -> None:
    """Once per command, before the answers (which would all be "I don't know")."""
    from ingest.store import StoreUnavailable

    try:
        empty = not answerer.sources()  # type: ignore[attr-defined]
    except StoreUnavailable:
        return  # each answer reports it, and the exit status says so
    if empty:
        _say_store_is_empty(settings)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("citebot")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def _add_verbose(parser: argparse.ArgumentParser, *, top: bool) -> None:
    # On subcommands the default is SUPPRESS, so `citebot -v ask …` is not reset by `ask`.
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0 if top else argparse.SUPPRESS,
        help="show progress (info) logs; -vv also debug logs",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citebot",
        description="Answer questions about your articles with verbatim, linked quotes.",
        epilog="Exit status: 0 ok, 1 some input skipped (ingest) or a check failed (doctor), "
        "2 configuration, store or usage error, or a question that could not be answered (ask).",
    )
    parser.add_argument(
        "-V", "--version", action="version", version=f"citebot {_version()}",
        help="print the version and exit",
    )
    _add_verbose(parser, top=True)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help[0].upper() + help[1:] + ".")
        _add_verbose(p, top=False)
        return p

    p = command("ingest", "add files, folders or URLs to the store")
    p.add_argument(
        "paths", nargs="+", metavar="PATH",
        help="a file, a folder (read recursively) or an http(s) URL of a page, feed or sitemap",
    )
    p.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    p.set_defaults(func=cmd_ingest)

    p = command("sources", "list the ingested articles")
    p.add_argument("--json", action="store_true", help="print the list as one JSON array")
    p.set_defaults(func=cmd_sources)

    p = command("forget", "remove an article and its chunks, or one file's record of it")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "article_id", nargs="?", metavar="ARTICLE_ID",
        help="the id `citebot sources` shows: the article goes, whichever files or URLs hold it",
    )
    which.add_argument(
        "--file", metavar="PATH",
        help="an ingested file (e.g. one gone from disk): only its record goes, and its "
        "article with it unless another file or URL holds the same text",
    )
    p.set_defaults(func=cmd_forget)

    p = command("ask", "answer questions")
    p.add_argument("questions", nargs="+", metavar="QUESTION", help="one or more questions")
    p.add_argument("--json", action="store_true", help="one JSON object per question")
    p.add_argument(
        "--explain",
        action="store_true",
        help="print, as JSON, what decides each answer: candidates, language gate, "
        "relevance features and the confidence against CITEBOT_MIN_CONFIDENCE",
    )
    p.set_defaults(func=cmd_ask)

    p = command("chat", "a console conversation")
    p.add_argument(
        "--json",
        action="store_true",
        help="read one question per stdin line, print one JSON object per answer; /new starts over",
    )
    p.set_defaults(func=cmd_chat)

    p = command("serve", "run the Slack or Discord bot")
    p.add_argument("platform", choices=["slack", "discord"], help="which bot to run")
    p.add_argument("--http", action="store_true", help="Slack: Events API over HTTP")
    p.add_argument("--port", type=int, default=3000, help="Slack --http port (default 3000)")
    p.set_defaults(func=cmd_serve)

    p = command("doctor", "check the configuration and each part")
    p.set_defaults(func=cmd_doctor)

    p = command("eval", "measure quality on a SQuAD-style QA set")
    p.add_argument("dataset", metavar="DATASET", help="a SQuAD-style JSON file (CMRC, DRCD, XQuAD)")
    p.add_argument(
        "--limit", type=_positive_int, default=None, metavar="N",
        help="use the first N articles of DATASET (each with all its questions); default all",
    )
    p.add_argument(
        "--unanswerable", default=None, metavar="OTHER.json",
        help="also ask the questions of another set, which these articles cannot answer, "
        "and report abstain_rate",
    )
    p.add_argument(
        "--questions", default=None, metavar="OTHER.json",
        help="ask the questions of a parallel set instead (same ids, e.g. English questions "
        "about Chinese articles)",
    )
    p.add_argument("--json", action="store_true", help="print the figures as JSON on the last line")
    p.add_argument("--no-cache", action="store_true", help="do not reuse ./data/eval-cache vectors")
    p.add_argument("--no-baseline", action="store_true", help="skip the LangChain recipe")
    p.add_argument(
        "--after-unrelated",
        action="store_true",
        help="ask every question again after an unrelated exchange; report both side by side",
    )
    p.set_defaults(func=cmd_eval)

    p = command("watch", "refresh the configured feeds (CITEBOT_FEEDS)")
    p.add_argument("--once", action="store_true", help="refresh once and exit")
    p.set_defaults(func=cmd_watch)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from dotenv import load_dotenv

    load_dotenv(override=False)
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    from bot.logs import configure_logging

    try:
        verbose = getattr(args, "verbose", 0)
        configure_logging(
            _settings(),
            level="DEBUG" if verbose > 1 else "INFO" if verbose else None,
            default_level="INFO" if args.command in _SERVICE_COMMANDS else "WARNING",
            console=args.command not in _SERVICE_COMMANDS,
        )
        code = func(args)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        return _reader_went_away()
    except SettingsError as exc:
        print(f"citebot: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        from ingest.messages import describe_error
        from ingest.store import (
            EmbeddingModelMismatch,
            StoreUnavailable,
            describe_location,
            is_store_error,
        )

        if isinstance(exc, StoreUnavailable | EmbeddingModelMismatch):
            print(f"citebot: {exc}", file=sys.stderr)
            return EXIT_ERROR
        if is_store_error(exc):  # e.g. the Chroma server went away mid-run
            print(
                f"citebot: the Chroma store at {describe_location(_settings())} failed: "
                f"{describe_error(exc)}",
                file=sys.stderr,
            )
            return EXIT_ERROR
        raise


def _reader_went_away() -> int:
    """`citebot sources | head -2`: the reader closed the pipe. Stop quietly, as Unix tools do;
    stdout goes to /dev/null so Python's final flush does not report it again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
