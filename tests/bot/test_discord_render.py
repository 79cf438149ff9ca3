"""Rendering answers for Discord: limits that must never be exceeded, markup that cannot leak."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.discord_render import (
    DESCRIPTION_LIMIT,
    EMBEDS_PER_MESSAGE,
    MESSAGE_EMBED_CHARS,
    discord_len,
    embed_len,
    escape_text,
    link,
    quote_lines,
    render_answer,
    render_sources_page,
    safe_url,
    trim_utf16,
)
from ingest.store import ArticleRecord
from retrieval.models import Answer, Quote
from tests.support.answers import make_answer, make_quote


def _quote(text: str, title: str = "Title", url: str | None = "https://example.com/a") -> Quote:
    return make_quote(text, title=title, url=url, published="2024-05-01")


def _answer(text: str = "Answer.", quotes: list[Quote] | None = None,
            notes: list[str] | None = None) -> Answer:
    return make_answer("q", text, quotes or [], answer_id="id1", sources_searched=3,
                       notes=notes or [])


def _assert_within_limits(messages: list[list]) -> None:
    assert messages
    for embeds in messages:
        assert 1 <= len(embeds) <= EMBEDS_PER_MESSAGE
        assert sum(embed_len(e) for e in embeds) <= MESSAGE_EMBED_CHARS
        for embed in embeds:
            assert discord_len(embed.description or "") <= DESCRIPTION_LIMIT


def test_quote_markup_cannot_leave_the_block_quote() -> None:
    text = "First line\n\n# Heading\n- item\n1. numbered\n>>> quote\n```code```\n||spoiler||"
    lines = quote_lines(text)
    assert all(line.startswith("> ") for line in lines)
    assert lines[1:] == ["> \\# Heading", "> \\- item", "> 1\\. numbered", "> \\>\\>\\> quote",
                         "> \\`\\`\\`code\\`\\`\\`", "> \\|\\|spoiler\\|\\|"]


def test_mentions_are_broken_everywhere() -> None:
    answer = _answer(text="Ping @everyone", notes=["@here note"],
                     quotes=[_quote("<@123456789012345678> and <@&123456789012345678>",
                                    title="@everyone title")])
    text = "\n".join(e.description or "" for m in render_answer(answer) for e in m)
    assert not re.search(r"@(everyone|here|&?\d)", text)
    assert text.count("@\u200b") == 5


def test_links_are_safe() -> None:
    assert link("A [b] c", "https://example.com/x_(y) z") == (
        "[A \\[b\\] c](https://example.com/x_%28y%29%20z)")
    assert link("Title", "javascript:alert(1)") == "**Title**"
    assert link("Title", "https://example.com/" + "a" * 2000) == "**Title**"
    assert link("T", None) == "**T**"
    # A text fragment with non-ASCII text stays as it is (already percent-encoded or not).
    assert safe_url("https://example.com/p#:~:text=扎克伯格") == "https://example.com/p#:~:text=扎克伯格"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a|b.html",
        "https://fonts.example.com/css?family=Roboto|Open+Sans",
        "https://example.com/p#:~:text=before%20|%20after",
    ],
)
def test_a_pipe_in_a_url_is_encoded_and_still_leads_to_the_same_page(url: str) -> None:
    """`|` (not allowed in a URI, RFC 3986) is sent as `%7C`, so a link target holds no `||`
    (spoiler markup); servers and the browser's text fragment decode it back: the same path,
    query and fragment."""
    target = safe_url(url)
    assert target is not None and "|" not in target and "%7C" in target
    sent, meant = urlsplit(target), urlsplit(url)
    assert unquote(sent.path) == unquote(meant.path)
    assert parse_qs(sent.query) == parse_qs(meant.query)
    assert unquote(sent.fragment) == unquote(meant.fragment)


def test_escaping_keeps_bare_urls_working() -> None:
    assert escape_text("see https://example.com/a_b*c and **x**") == (
        "see https://example.com/a_b%2Ac and \\*\\*x\\*\\*")


def test_answer_layout_has_sources_and_footer_last() -> None:
    answer = _answer(quotes=[_quote("One."), _quote("Two.", url=None)])
    messages = render_answer(answer)
    assert len(messages) == 1 and len(messages[0]) == 1
    description = messages[0][0].description or ""
    assert description.split("\n") == [
        "Answer.", "",
        "[Title](https://example.com/a) · 2024-05-01", "> One.",
        "\\[1\\] [open at this quote](https://example.com/a)", "",
        "**Title** · 2024-05-01", "> Two.", "\\[2\\] a.txt"]
    assert messages[0][0].footer.text == "Searched 3 sources · answer id1"


def test_many_long_quotes_go_to_several_messages() -> None:
    quotes = [_quote(f"Quote {n}: " + "word " * 700) for n in range(30)]
    messages = render_answer(_answer(text="x" * 5000, quotes=quotes))
    _assert_within_limits(messages)
    assert len(messages) > 1
    embeds = [e for m in messages for e in m]
    assert [e.footer.text for e in embeds].count(None) == len(embeds) - 1
    assert embeds[-1].footer.text
    text = "\n".join(e.description or "" for e in embeds)
    positions = [text.index(f"> Quote {n}:") for n in range(30)]
    assert positions == sorted(positions)


def test_emoji_are_counted_as_discord_counts_them() -> None:
    messages = render_answer(_answer(text="😀" * 3000))
    _assert_within_limits(messages)
    assert sum((e.description or "").count("😀") for m in messages for e in m) == 3000


def test_trim() -> None:
    assert trim_utf16("abcdef", 4) == "abc…"
    assert trim_utf16("abc", 3) == "abc"
    assert discord_len(trim_utf16("😀" * 10, 7)) <= 7


def test_source_pages() -> None:
    records = [ArticleRecord(f"id{n}", f"Article {n} " + "long " * 100, f"https://e.com/{n}",
                             None, f"{n}.txt", f"k{n}", 1) for n in range(25)]
    embed, page, pages = render_sources_page(records, 99, "docs")
    assert (page, pages) == (pages - 1, pages) and pages >= 3
    assert discord_len(embed.description or "") <= DESCRIPTION_LIMIT
    assert embed.title == "Sources in docs"
    empty, _, count = render_sources_page([], 0, "docs")
    assert count == 1 and "Nothing has been ingested" in (empty.description or "")


_pieces = st.sampled_from([*"ab @#*_[]()<>|`~-\n\\1.😀中", "everyone", "here", "https://x.y/"])
_texts = st.lists(_pieces, max_size=800).map("".join)


@settings(max_examples=60, deadline=None)
@given(text=_texts, quotes=st.lists(_texts, max_size=6), title=_texts)
def test_any_answer_fits_and_stays_inert(text: str, quotes: list[str], title: str) -> None:
    answer = _answer(text=text or "x", quotes=[_quote(q, title=title) for q in quotes if q.strip()])
    messages = render_answer(answer)
    _assert_within_limits(messages)
    rendered = "\n".join(e.description or "" for m in messages for e in m)
    assert not re.search(r"@(everyone|here)", rendered)
    # Every line that came from a quote is inside a block quote; nothing else starts one.
    for line in rendered.splitlines():
        assert not line.startswith((">>>", "> >", "#", "- ", "```"))
