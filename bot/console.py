"""The console adapter: `citebot ask` output and the `citebot chat` conversation."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator

from bot.answer_words import UNTITLED, worded
from bot.core import conversation_after, question_from_chat
from bot.quote_groups import also_line, group_by_article, page_label, quote_location
from config import Settings
from ingest.messages import display_text
from retrieval import Answer, Answerer, Turn

# What `citebot chat` asks when nothing is piped in (`make demo` in CI), and the sample
# article it is about (examples/articles/000_…): only a store holding that article can
# answer it.
SAMPLE_QUESTION = "Greg Brockman 认为 AI 发展的关键瓶颈是什么？"
SAMPLE_ARTICLE_URL = "https://www.36kr.com/p/3424967141690758"


def render_answer(answer: Answer) -> str:
    """Plain text: the answer, then per article a heading (title, date) and its quotes, each
    with its number and, under it, its link (with the page of a document) or its file; the
    words citebot adds are in the question's language (`bot.answer_words`)."""
    question = answer.question
    lines = [answer.text]
    for note in answer.notes:
        lines.append(f"({note})")
    for group in group_by_article(answer.quotes):
        lines.append("")
        also = one_line(also_line(group.other_sources, question=question))
        heading = [one_line(group.title) or worded(question, UNTITLED), group.published, also]
        lines.append(" · ".join(part for part in heading if part))
        for item in group.quotes:
            quote = item.quote
            for index, line in enumerate(quote.text.splitlines() or [""]):
                lines.append(f"  {f'[{item.number}]' if index == 0 else '':<5}{line}")
            page = f" ({page_label(quote, question)})" if quote.page else ""
            where = f"{quote.url}{page}" if quote.url else quote_location(quote, question)
            lines.append(f"       {one_line(where)}")
    # Everything shown comes from articles, files and pages: nothing may act on the terminal.
    return display_text("\n".join(lines))


def one_line(text: str) -> str:
    """A title, URL or file name on one line, with nothing that acts on a terminal."""
    return " ".join(display_text(text).split())


NEW_CONVERSATION = "/new"
QUIT_WORDS = frozenset({"exit", "quit"})


def answer_json(answer: Answer) -> dict[str, object]:
    """One `citebot chat --json` line: the `ask --json` keys (`notes` included)."""
    return {**answer.as_json(), "notes": list(answer.notes)}


def run_chat(settings: Settings, *, json_lines: bool = False) -> int:
    """Read questions from stdin; follow-ups keep the conversation so far, `/new` starts over.

    In a terminal: line editing and history (readline), `exit`, `quit`, an empty line or
    Ctrl-D to leave. With `json_lines` every stdin line is a question and each answer is one
    JSON object on stdout, flushed at once (for scripts). Otherwise, when stdin is not a
    terminal (e.g. `make demo` in CI) it answers the piped questions; with none, it asks the
    sample question of a store that holds the sample article, and otherwise says how to ask.
    """
    from ingest.messages import plural
    from ingest.store import empty_store_message

    answerer = Answerer(settings)
    interactive = sys.stdin.isatty() and not json_lines
    records = answerer.sources()
    count = len(records)
    if count == 0:
        print(f"citebot: {empty_store_message(settings)}", file=sys.stderr, flush=True)
    if json_lines:
        lines: Iterator[str] = (line.rstrip("\r\n") for line in sys.stdin)
    elif interactive:
        _enable_line_editing()
        print(
            f"citebot: {plural(count, 'article')}. Ask a question ({NEW_CONVERSATION} starts a "
            "new conversation; exit, quit, an empty line or Ctrl-D to leave)."
        )
        lines = _prompted_lines()
    else:
        piped = [line for line in sys.stdin.read().splitlines() if line.strip()]
        if not piped and any(record.url == SAMPLE_ARTICLE_URL for record in records):
            piped = [SAMPLE_QUESTION]
        elif not piped and records:
            example = one_line(records[0].title) or one_line(records[0].source)
            print(
                f"citebot: {plural(count, 'article')}, e.g. “{example}”. Nothing was piped in: "
                'ask with `echo "your question" | citebot chat`, `citebot ask QUESTION`, or '
                "run `citebot chat` in a terminal."
            )
        lines = iter(piped)
    history: list[Turn] = []
    for line in lines:
        question = line.strip()
        if not question:
            if json_lines:
                continue
            break
        if not json_lines and question.lower() in QUIT_WORDS:
            break
        if question.lower() == NEW_CONVERSATION:  # "/New" and "/NEW" too
            history = []
            if not json_lines:
                print("(new conversation)\n", flush=True)
            continue
        if not interactive and not json_lines:
            print(f"> {question}")
        question = question_from_chat(question)  # pasted from Slack: no `<@U123>` left
        answer = answerer.ask(question, history)
        if json_lines:
            print(json.dumps(answer_json(answer), ensure_ascii=False), flush=True)
        else:
            print(render_answer(answer))
            print(flush=True)
        history = conversation_after(
            history, question, answer.text, [quote.text for quote in answer.quotes]
        )
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
