"""Quotes grouped by article, and file sources shown by name, alike in console, Slack, Discord."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

import pytest

from bot import console, discord_render, slack_render
from bot.quote_groups import article_url, group_by_article, source_label
from retrieval.models import Answer, ArticleRecord, Quote

SERVER_DIR = "/srv/citebot/private-articles/2024"
LINK = "https://example.com/lighthouse"


def _quote(text: str, article: str, *, url: str | None = LINK) -> Quote:
    title = {"a": "The lighthouse", "b": "Tide tables"}[article]
    return Quote(
        text=text, title=title, url=f"{url}#:~:text={quote(text[:8])}" if url else None,
        published="2024-05-01", source=f"{SERVER_DIR}/{article}.md", article_id=article,
        start=0, end=len(text), score=1.0,
    )


ANSWER = Answer(
    "Who keeps the light?", "Here is what 2 articles say:", True,
    [_quote("The keeper lights it.", "a"), _quote("High tide at six.", "b", url=None),
     _quote("Ships pass at night.", "a")],
    "id1", 2,
)


def test_groups_keep_answer_numbers_and_first_appearance_order() -> None:
    groups = group_by_article(ANSWER.quotes)
    assert [(g.article_id, [q.number for q in g.quotes]) for g in groups] == [
        ("a", [1, 3]), ("b", [2])
    ]
    assert groups[0].url == LINK and groups[1].url is None
    assert groups[1].source == "b.md"


def test_source_label_and_article_url() -> None:
    assert source_label(f"{SERVER_DIR}/notes.txt") == "notes.txt"
    assert source_label("C:\\Users\\me\\notes.txt") == "notes.txt"
    assert source_label("https://example.com/a") == "https://example.com/a"
    assert article_url(f"{LINK}#:~:text=abc") == LINK and article_url(None) is None
    assert article_url("https://example.com/r.pdf#page=3") == "https://example.com/r.pdf"


def _console(answer: Answer = ANSWER) -> str:
    return console.render_answer(answer)


def _slack(answer: Answer = ANSWER) -> str:
    lines = []
    for message in slack_render.render_answer(answer):
        for block in message.blocks:
            if block["type"] == "section":
                lines.append(block["text"]["text"])
            elif block["type"] == "context":
                lines.extend(element["text"] for element in block["elements"])
    return "\n".join(lines)


def _discord(answer: Answer = ANSWER) -> str:
    return "\n".join(
        e.description or "" for m in discord_render.render_answer(answer) for e in m
    )


def test_one_heading_per_article_and_one_link_per_quote_everywhere() -> None:
    for name, text in (("console", _console()), ("slack", _slack()), ("discord", _discord())):
        assert text.count("The lighthouse") == 1, (name, text)
        assert text.count("Tide tables") == 1, (name, text)
        for cited in ANSWER.quotes:
            if cited.url:
                assert text.count(cited.url) == 1, (name, cited.url, text)
        # [3] is from article a: it is listed under a's heading, before b's.
        heading, second, other = (
            text.index("The lighthouse"), text.index("Ships pass"), text.index("Tide tables")
        )
        assert heading < second < other, (name, text)


def test_console_layout() -> None:
    assert _console().splitlines() == [
        "Here is what 2 articles say:",
        "",
        "The lighthouse · 2024-05-01",
        "  [1]  The keeper lights it.",
        f"       {LINK}#:~:text=The%20keep",
        "  [3]  Ships pass at night.",
        f"       {LINK}#:~:text=Ships%20pa",
        "",
        "Tide tables · 2024-05-01",
        "  [2]  High tide at six.",
        "       b.md",
    ]


def test_the_server_directory_never_reaches_chat_users() -> None:
    record = ArticleRecord("b", "Tide tables", None, "2024-05-01", f"{SERVER_DIR}/b.md", "k", 3)
    slack_sources = slack_render.render_sources([record])
    discord_sources, _, _ = discord_render.render_sources_page([record], 0, "docs")
    shown = [_console(), _slack(), _discord(), str(slack_sources.blocks),
             discord_sources.description or ""]
    for text in shown:
        assert SERVER_DIR not in text and "b.md" in text, text


def test_the_other_sources_of_an_article_are_named_once_under_its_heading_everywhere() -> None:
    """An article whose text several files or URLs hold: its heading says `also …` as
    `citebot sources` does, compactly (three names, then how many more), on one line."""
    copies = (f"{SERVER_DIR}/c.md", "https://example.org/copy", f"{SERVER_DIR}/d.md",
              f"{SERVER_DIR}/e.md", "f.md")
    answer = replace(ANSWER, quotes=[replace(q, other_sources=copies) if q.article_id == "a"
                                     else q for q in ANSWER.quotes])
    also = "also c.md, https://example.org/copy, d.md and 2 more"
    headings = {
        "console": f"The lighthouse · 2024-05-01 · {also}",
        "slack": f"<{LINK}|The lighthouse> · 2024-05-01 · {also}",
        "discord": f"[The lighthouse]({LINK}) · 2024-05-01 · {also}",
    }
    for name, text in (("console", _console(answer)), ("slack", _slack(answer)),
                       ("discord", _discord(answer))):
        assert headings[name] in text.splitlines(), (name, text)
        assert text.count("also ") == 1 and SERVER_DIR not in text, (name, text)
    [message] = slack_render.render_answer(answer)
    assert f"The lighthouse · 2024-05-01 · {also}" in message.text.split("\n\n")


def test_the_sources_lists_name_the_other_sources_of_an_article() -> None:
    record = ArticleRecord("b", "Tide tables", None, "2024-05-01", f"{SERVER_DIR}/b.md", "k", 3,
                           other_sources=(f"{SERVER_DIR}/copy.md",))
    slack_sources = slack_render.render_sources([record])
    discord_sources, _, _ = discord_render.render_sources_page([record], 0, "docs")
    assert "· also copy.md" in slack_sources.blocks[1]["text"]["text"]
    assert (discord_sources.description or "").endswith("· 3 chunks · also copy.md")


@pytest.mark.parametrize(
    ("question", "also"),
    [
        ("谁守护这座灯塔？", "另见 c.md、https://example.org/copy、d.md 及另外 2 个"),
        ("誰守護這座燈塔？", "另見 c.md、https://example.org/copy、d.md 及另外 2 個"),
    ],
    ids=["simplified", "traditional"],
)
def test_the_other_sources_are_named_in_a_chinese_questions_wording(question: str, also: str) -> None:
    """citebot's own words in an answer follow the question's language and script, as its
    lead line and "I don't know" do: the `also …` of a heading too (the names stay as they are)."""
    copies = (f"{SERVER_DIR}/c.md", "https://example.org/copy", f"{SERVER_DIR}/d.md",
              f"{SERVER_DIR}/e.md", "f.md")
    answer = replace(ANSWER, question=question, quotes=[
        replace(q, other_sources=copies) if q.article_id == "a" else q for q in ANSWER.quotes])
    for name, text in (("console", _console(answer)), ("slack", _slack(answer)),
                       ("discord", _discord(answer))):
        heading = next(line for line in text.splitlines() if "The lighthouse" in line)
        assert heading.endswith(f" · {also}"), (name, heading)
        assert "also " not in text, (name, text)
    [message] = slack_render.render_answer(answer)
    assert f"The lighthouse · 2024-05-01 · {also}" in message.text.split("\n\n")
