"""The console adapter: `citebot ask` output and the `citebot chat` conversation."""

from __future__ import annotations

import sys

from bot.core import conversation_after
from config import Settings
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
        lines.append(f"  [{number}] {quote.title}{date}")
        lines.append(f"      {where}")
    return "\n".join(lines)


def run_chat(settings: Settings) -> int:
    """Read questions from stdin; follow-ups keep the conversation so far.

    When stdin is not a terminal (e.g. `make demo` in CI) it answers one sample question
    and exits, unless questions are piped in.
    """
    answerer = Answerer(settings)
    interactive = sys.stdin.isatty()
    history: list[Turn] = []
    if interactive:
        count = len(answerer.sources())
        print(f"citebot: {count} articles. Ask a question (empty line or Ctrl-D to quit).")
        lines = _prompted_lines()
    else:
        piped = [line for line in sys.stdin.read().splitlines() if line.strip()]
        lines = iter(piped or [SAMPLE_QUESTION])
    for question in lines:
        if not question.strip():
            break
        if not interactive:
            print(f"> {question}")
        answer = answerer.ask(question, history)
        print(render_answer(answer))
        print()
        history = conversation_after(history, question, answer.text)
    return 0


def _prompted_lines():
    while True:
        try:
            yield input("> ")
        except EOFError:
            return
