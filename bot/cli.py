"""The `citebot` command line: ingest, sources, forget, ask, chat, serve, doctor, eval, watch.

Each subcommand is a small function that parses its flags and calls the package that does
the work; output formats (`--json`) are part of the public interface.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from config import Settings, SettingsError, get_settings

EXIT_OK = 0
EXIT_SKIPPED = 1
EXIT_ERROR = 2


def _settings() -> Settings:
    return get_settings()


def cmd_ingest(args: argparse.Namespace) -> int:
    """`citebot ingest PATH... [--json]`: files, folders and (with ingest.web) URLs."""
    from ingest.models import IngestReport
    from ingest.pipeline import ingest_paths
    from ingest.store import ArticleStore

    settings = _settings()
    store = ArticleStore(settings)
    urls = [p for p in args.paths if p.startswith(("http://", "https://"))]
    paths = [p for p in args.paths if p not in urls]
    report = IngestReport()
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
    return EXIT_SKIPPED if report.skipped else EXIT_OK


def cmd_sources(args: argparse.Namespace) -> int:
    """`citebot sources [--json]`: what has been ingested."""
    from bot.console import one_line
    from ingest.store import ArticleStore

    records = ArticleStore(_settings()).articles()
    if args.json:
        print(json.dumps([r.as_json() for r in records], ensure_ascii=False))
        return EXIT_OK
    for r in records:
        title = one_line(r.title)
        print(f"{r.article_id}  {r.published or '          '}  {r.chunks:4d} chunks  {title}")
        print(f"{'':18}{one_line(r.url or r.source)}")
    print(f"{len(records)} articles")
    return EXIT_OK


def cmd_forget(args: argparse.Namespace) -> int:
    """`citebot forget ARTICLE_ID`: remove an article and its chunks."""
    from ingest.store import ArticleStore

    store = ArticleStore(_settings())
    try:
        removed = store.forget(args.article_id)
    except KeyError:
        print(f"no article with id {args.article_id} (see `citebot sources`)", file=sys.stderr)
        return EXIT_ERROR
    print(f"forgot {args.article_id}: {removed} chunks removed")
    return EXIT_OK


def cmd_ask(args: argparse.Namespace) -> int:
    """`citebot ask [--json] QUESTION...`: several questions, one model load."""
    from bot.console import render_answer
    from retrieval import Answerer

    answerer = Answerer(_settings())
    for question in args.questions:
        answer = answerer.ask(question)
        if args.json:
            print(json.dumps(answer.as_json(), ensure_ascii=False), flush=True)
        else:
            print(render_answer(answer), flush=True)
    return EXIT_OK


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
    from ingest.web import run_watch

    return run_watch(_settings(), once=args.once)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citebot",
        description="Answer questions about your articles with verbatim, linked quotes.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="add files, folders or URLs to the store")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("sources", help="list the ingested articles")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sources)

    p = sub.add_parser("forget", help="remove an article and its chunks")
    p.add_argument("article_id", metavar="ARTICLE_ID")
    p.set_defaults(func=cmd_forget)

    p = sub.add_parser("ask", help="answer questions")
    p.add_argument("questions", nargs="+", metavar="QUESTION")
    p.add_argument("--json", action="store_true", help="one JSON object per question")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="a console conversation")
    p.add_argument(
        "--json",
        action="store_true",
        help="read one question per stdin line, print one JSON object per answer; /new starts over",
    )
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("serve", help="run the Slack or Discord bot")
    p.add_argument("platform", choices=["slack", "discord"])
    p.add_argument("--http", action="store_true", help="Slack: Events API over HTTP")
    p.add_argument("--port", type=int, default=3000, help="Slack --http port")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("doctor", help="check the configuration and each part")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("eval", help="measure quality on a SQuAD-style QA set")
    p.add_argument("dataset", metavar="DATASET")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--unanswerable", default=None, metavar="OTHER.json")
    p.add_argument("--questions", default=None, metavar="OTHER.json")
    p.add_argument("--json", action="store_true")
    p.add_argument("--no-cache", action="store_true", help="do not reuse ./data/eval-cache vectors")
    p.add_argument("--no-baseline", action="store_true", help="skip the LangChain recipe")
    p.add_argument(
        "--after-unrelated",
        action="store_true",
        help="ask every question again after an unrelated exchange; report both side by side",
    )
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("watch", help="refresh the configured feeds (CITEBOT_FEEDS)")
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
        configure_logging(_settings())
        return func(args)
    except SettingsError as exc:
        print(f"citebot: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
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
            detail = (str(exc).splitlines() or [""])[0][:200]
            print(
                f"citebot: the Chroma store at {describe_location(_settings())} failed: "
                f"{exc.__class__.__name__}" + (f": {detail}" if detail else ""),
                file=sys.stderr,
            )
            return EXIT_ERROR
        raise


if __name__ == "__main__":
    sys.exit(main())
