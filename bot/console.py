"""The console adapter: `citebot ask` output and the `citebot chat` conversation."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from bot.core import conversation_after
from bot.quote_groups import group_by_article, quote_location
from config import Settings
from retrieval import Answer, Answerer, Turn

SAMPLE_QUESTION = "Greg Brockman 认为 AI 发展的关键瓶颈是什么？"


def render_answer(answer: Answer) -> str:
    """Plain text: the answer, then per article a heading (title, date) and its quotes, each
    with its number and, under it, its link (with the page of a document) or its file."""
    lines = [answer.text]
    for note in answer.notes:
        lines.append(f"({note})")
    for group in group_by_article(answer.quotes):
        lines.append("")
        heading = [group.title or "untitled", group.published]
        lines.append(" · ".join(part for part in heading if part))
        for item in group.quotes:
            quote = item.quote
            for index, line in enumerate(quote.text.splitlines() or [""]):
                lines.append(f"  {f'[{item.number}]' if index == 0 else '':<5}{line}")
            page = f" ({quote.page_label})" if quote.page else ""
            lines.append(f"       {quote.url}{page}" if quote.url else f"       {quote_location(quote)}")
    return "\n".join(lines)


QUIT_WORDS = frozenset({"exit", "quit"})


def run_chat(settings: Settings) -> int:
    """Read questions from stdin; follow-ups keep the conversation so far.

    In a terminal: line editing and history (readline), `exit`, `quit`, an empty line or
    Ctrl-D to leave. When stdin is not a terminal (e.g. `make demo` in CI) it answers the
    piped questions, or one sample question when nothing is piped.
    """
    from ingest.store import empty_store_message
    from ingest.text import plural

    answerer = Answerer(settings)
    interactive = sys.stdin.isatty()
    history: list[Turn] = []
    count = len(answerer.sources())
    if count == 0:
        print(f"citebot: {empty_store_message(settings)}", file=sys.stderr, flush=True)
    if interactive:
        _enable_line_editing()
        print(
            f"citebot: {plural(count, 'article')}. Ask a question "
            "(exit, quit, an empty line or Ctrl-D to leave)."
        )
        lines = _prompted_lines()
    else:
        piped = [line for line in sys.stdin.read().splitlines() if line.strip()]
        lines = iter(piped or [SAMPLE_QUESTION])
    for line in lines:
        question = line.strip()
        if not question or question.lower() in QUIT_WORDS:
            break
        if not interactive:
            print(f"> {question}")
        answer = answerer.ask(question, history)
        print(render_answer(answer))
        print(flush=True)
        history = conversation_after(history, question, answer.text)
    return 0


def _enable_line_editing() -> None:
    """Arrow keys, Ctrl-A/E and the up-arrow history for `input()` (GNU readline or libedit)."""
    # Python built without it (Windows): plain input() still works.
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (importing it is what turns it on for input())


def _prompted_lines() -> Iterator[str]:
    while True:
        try:
            yield input("> ")
        except EOFError:  # Ctrl-D: end the prompt's line so the shell starts on a fresh one
            print()
            return
