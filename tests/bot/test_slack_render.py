"""Slack markup: escaping, links, Slack's size limits and button values."""

from __future__ import annotations

import json

from bot.slack_render import (
    BUTTON_VALUE_CHARS,
    MAX_BLOCKS,
    MAX_MESSAGES,
    SECTION_CHARS,
    escape,
    feedback_value,
    link,
    parse_feedback_value,
    render_answer,
    render_sources,
    safe_url,
    unescape,
)
from ingest.store import ArticleRecord
from retrieval.models import Answer
from tests.support.answers import make_quote


def _all_texts(messages: list) -> list[str]:
    texts = []
    for message in messages:
        for block in message.blocks:
            if "text" in block:
                texts.append(block["text"]["text"])
            texts += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return texts


def test_escape_neutralises_every_special_sequence() -> None:
    raw = "<!channel> <!here> <@U1> <#C1|x> <!subteam^S1> a&b <http://x|y>"
    escaped = escape(raw)
    assert "<" not in escaped and ">" not in escaped
    assert "&amp;b" in escaped
    assert unescape(escaped) == raw
    assert escape("&lt;") == "&amp;lt;"  # an entity in the source stays visible as typed


def test_links_only_for_http_urls() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://exa mple.com") is None
    assert safe_url("file:///etc/passwd") is None
    assert safe_url("https://example.com/?a=1&b=2|3") == "https://example.com/?a=1&amp;b=2%7C3"
    assert (
        link("https://example.com/p", "A <b> & c") == "<https://example.com/p|A &lt;b&gt; &amp; c>"
    )
    assert link(None, "No url") == "*No url*"


def test_answer_layout() -> None:
    answer = Answer(
        "q?",
        "Here is what 2 articles say:",
        True,
        [
            make_quote("Line one.\nLine two."),
            make_quote("无链接的引用。", title="本地文章", url=None, published=None),
        ],
        "abc123",
        14,
        notes=["Your question was long."],
    )
    [message] = render_answer(answer)
    kinds = [b["type"] for b in message.blocks]
    assert kinds == [
        "section",
        "context",
        "context",
        "section",
        "context",
        "context",
        "section",
        "context",
        "context",
        "actions",
    ]
    texts = _all_texts([message])
    assert texts[2] == "<https://example.com/a|An article> · 2025-08-16"
    assert texts[3] == "> Line one.\n> Line two."
    assert texts[4] == "[1] <https://example.com/a|open at this quote>"
    assert texts[5] == "*本地文章*"
    assert texts[6] == "> 无链接的引用。"
    assert texts[7] == "[2] `a.txt`"
    assert texts[8] == "Searched 14 sources"
    assert "Line one." in message.text and "Here is what" in message.text


def test_fallback_text_is_readable_without_link_markup() -> None:
    """The `text` beside the blocks (notifications, screen readers) names each article and
    numbers each quote, with none of the blocks' `<url|title>`, `*bold*` or `code` markup."""
    answer = Answer(
        "q?",
        "Here is what 2 articles say:",
        True,
        [
            make_quote("Compute is the bottleneck.", title="Brockman & co <talk>",
                       url="https://example.com/a?x=1&y=2#:~:text=Compute"),
            make_quote("A page.", title="Report", url="https://example.com/r.pdf#page=3", page=3),
            make_quote("无链接的引用。", title="本地文章", url=None, published=None,
                       source="/srv/articles/local.md"),
        ],
        "abc123",
        14,
    )
    [message] = render_answer(answer)
    assert unescape(message.text).split("\n\n") == [
        "Here is what 2 articles say:",
        "Brockman & co <talk> · 2025-08-16",
        "Compute is the bottleneck.",
        "[1]",
        "Report · 2025-08-16",
        "A page.",
        "[2] · p. 3",
        "本地文章",
        "无链接的引用。",
        "[3] local.md",
    ]
    assert escape(unescape(message.text)) == message.text  # escaped once, nothing is markup


def test_not_confident_answer_has_no_quotes_but_feedback() -> None:
    answer = Answer("q?", "I don't know: I found nothing.", False, [], "n1", 14)
    [message] = render_answer(answer)
    assert [b["type"] for b in message.blocks] == ["section", "context", "actions"]


def test_huge_answer_is_split_then_trimmed_never_over_the_limits() -> None:
    text = ("x" * 99 + "\n") * 2000 + "<&>" * 3000  # 200k characters plus escapes
    answer = Answer("q", text, True, [make_quote("q" * 9000)], "big", 1)
    messages = render_answer(answer, share=True)
    assert 2 <= len(messages) <= MAX_MESSAGES
    for message in messages:
        assert len(message.blocks) <= MAX_BLOCKS
        assert all(len(t) <= SECTION_CHARS for t in _all_texts([message]))
        assert len(message.text) <= 3000
        assert len(json.dumps(message.blocks, ensure_ascii=False)) < 40_000
    assert "trimmed" in _all_texts(messages)[-2]
    assert messages[-1].blocks[-1]["type"] == "actions"


def test_long_quote_is_split_into_block_quotes_without_breaking_entities() -> None:
    answer = Answer("q", "lead", True, [make_quote("a&b " * 2000)], "q1", 1)
    texts = _all_texts(render_answer(answer))
    quoted = [t for t in texts if t.startswith("> ")]
    assert len(quoted) >= 3
    assert all(len(t) <= SECTION_CHARS for t in quoted)
    rebuilt = " ".join(unescape(t[2:]).strip() for t in quoted)
    assert rebuilt.split() == ("a&b " * 2000).split()


def test_feedback_value_fits_and_round_trips() -> None:
    question = "问" * 5000
    value = feedback_value("abc123", question)
    assert len(value) <= BUTTON_VALUE_CHARS
    answer_id, kept = parse_feedback_value(value)  # type: ignore[misc]
    assert answer_id == "abc123" and question.startswith(kept) and len(kept) > 1000
    assert parse_feedback_value("not json") is None
    assert parse_feedback_value('{"q": "no id"}') is None


def test_sources_listing_stays_in_one_message() -> None:
    records = [
        ArticleRecord(
            f"id{n}",
            f"Title {n} " + "t" * 150,
            f"https://example.com/{n}",
            f"2025-01-{n % 28 + 1:02d}",
            "s.txt",
            f"k{n}",
            2,
        )
        for n in range(400)
    ]
    message = render_sources(records)
    assert len(message.blocks) <= MAX_BLOCKS
    texts = _all_texts([message])
    assert all(len(t) <= SECTION_CHARS for t in texts)
    assert sum(len(t) for t in texts) <= 12_000
    assert "400 articles" in texts[0] and "more" in texts[-1]
