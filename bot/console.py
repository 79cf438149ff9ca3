"""The console adapter: `citebot ask` output and the `citebot chat` conversation."""

from __future__ import annotations

import json
import sys

from bot.core import conversation_after
from config import Settings
from ingest.text import display_text
from retrieval import Answer, Answerer, Turn

SAMPLE_QUESTION = "Greg Brockman 认为 AI 发展的关键瓶颈是什么？"


def render_answer(answer: Answer) -> str:
    """Plain text: the answer, each quote indented, each source with its link and date."""
    lines = [answer.text]
    for note in answer.notes:
        lines.append(f"({note})")
    for number, quote in enumerate(answer.quotes, 1):
        lines.append("")
        lines.extend(f"    {line}" for line in quote.text.splitlines())
        where = f"{quote.url} ({quote.page_label})" if quote.url and quote.page else None
        where = where or quote.url or quote.location
        date = f", {quote.published}" if quote.published else ""
        lines.append(f"  [{number}] {one_line(quote.title)}{date}")
        lines.append(f"      {one_line(where)}")
    # Everything shown comes from articles, files and pages: nothing may act on the terminal.
    return display_text("\n".join(lines))


def one_line(text: str) -> str:
    """A title, URL or file name on one line, with nothing that acts on a terminal."""
    return " ".join(display_text(text).split())


NEW_CONVERSATION = "/new"


def answer_json(answer: Answer) -> dict[str, object]:
    """One `citebot chat --json` line: the `ask --json` keys plus `notes`."""
    return {**answer.as_json(), "notes": list(answer.notes)}


def run_chat(settings: Settings, *, json_lines: bool = False) -> int:
    """Read questions from stdin; follow-ups keep the conversation so far, `/new` starts over.

    With `json_lines` every stdin line is a question and each answer is one JSON object on
    stdout, flushed at once (for scripts). Otherwise, when stdin is not a terminal (e.g.
    `make demo` in CI) it answers one sample question and exits, unless questions are piped in.
    """
    answerer = Answerer(settings)
    interactive = sys.stdin.isatty() and not json_lines
    if json_lines:
        lines = (line.rstrip("\r\n") for line in sys.stdin)
    elif interactive:
        count = len(answerer.sources())
        print(f"citebot: {count} articles. Ask a question "
              f"({NEW_CONVERSATION} starts a new conversation; empty line or Ctrl-D to quit).")
        lines = _prompted_lines()
    else:
        piped = [line for line in sys.stdin.read().splitlines() if line.strip()]
        lines = iter(piped or [SAMPLE_QUESTION])
    history: list[Turn] = []
    for question in lines:
        if not question.strip():
            if json_lines:
                continue
            break
        if question.strip() == NEW_CONVERSATION:
            history = []
            if not json_lines:
                print("(new conversation)\n", flush=True)
            continue
        if not interactive and not json_lines:
            print(f"> {question}")
        answer = answerer.ask(question, history)
        if json_lines:
            print(json.dumps(answer_json(answer), ensure_ascii=False), flush=True)
        else:
            print(render_answer(answer))
            print(flush=True)
        history = conversation_after(history, question, answer.text)
    return 0


def _prompted_lines():
    while True:
        try:
            yield input("> ")
        except EOFError:
            return
