"""Every adapter shows the page of a quote from a PDF or Word file.

A file shows "name.pdf, p. N"; a PDF from a URL links to `URL#page=N` and shows "p. N".
"""

from __future__ import annotations

import pytest

from bot import console, discord_render, slack_render
from retrieval.models import Answer, Quote

FILE_QUOTE = Quote(text="冷链仓库的扩建工程已经进入收尾阶段。", title="东湾港季度报告", url=None,
                   published="2024-10-08", source="/srv/library/reports/harbour-q3.pdf",
                   article_id="a1", start=120, end=138, score=0.9, page=2)
URL_QUOTE = Quote(text="The two electric boats have proved reliable.", title="Ferry review",
                  url="https://example.com/reports/ferry.pdf#page=3", published=None,
                  source="https://example.com/reports/ferry.pdf", article_id="a2", start=0,
                  end=44, score=0.8, page=3)
ANSWER = Answer(question="q", text="Answer.", confident=True, quotes=[FILE_QUOTE, URL_QUOTE],
                answer_id="id1", sources_searched=2)


def _console() -> str:
    return console.render_answer(ANSWER)


def _slack() -> str:
    texts = []
    for message in slack_render.render_answer(ANSWER):
        for block in message.blocks:
            if "text" in block:
                texts.append(block["text"]["text"])
            texts += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return "\n".join(texts)


def _discord() -> str:
    return "\n".join(
        embed.description or "" for message in discord_render.render_answer(ANSWER)
        for embed in message
    )


@pytest.mark.parametrize("render", [_console, _slack, _discord], ids=["console", "slack", "discord"])
def test_every_adapter_shows_file_name_and_page(render) -> None:  # noqa: ANN001
    shown = render()
    assert "harbour-q3.pdf, p. 2" in shown
    assert "/srv/library" not in shown  # the name, not the server's path
    assert "https://example.com/reports/ferry.pdf#page=3" in shown
    assert "p. 3" in shown


def test_json_carries_the_page() -> None:
    quotes = ANSWER.as_json()["quotes"]
    assert [q["page"] for q in quotes] == [2, 3]  # type: ignore[index]
