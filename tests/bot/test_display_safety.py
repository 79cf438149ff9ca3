"""What comes from files and pages is shown, never obeyed: control characters and bidi
overrides in names and titles reach no display, and no link breaks Slack's or Discord's limits.
"""

from __future__ import annotations

import json

import pytest

from bot import discord_render, slack_render
from bot.console import render_answer as console_answer
from ingest.messages import display_text
from ingest.models import IngestReport, SkippedInput
from retrieval.models import ArticleRecord
from tests.support.answers import make_answer, make_quote

# ESC ] 0 ; … BEL retitles a terminal window; ESC [ 2 J clears it; U+202E shows gnp.exe
# as exe.png; U+0085 (NEL) and U+009B (CSI) are C1 controls.
HOSTILE_TITLE = "Harbour\x1b]0;owned\x07 news\x1b[2J \u202egnp.exe \x85\x9b31m"
HOSTILE_NAME = "notes/\x1b[31mred\u2066\u202d.md"
UNSAFE = ["\x1b", "\x07", "\u202e", "\u202d", "\u2066", "\x85", "\x9b"]


def _unsafe_in(text: str) -> list[str]:
    return [ch for ch in UNSAFE if ch in text]


def test_display_text_drops_only_what_acts_instead_of_showing() -> None:
    assert display_text(HOSTILE_TITLE) == "Harbour]0;owned news[2J gnp.exe 31m"
    kept = "云岭茶园\t👩\u200d🔬 naïve\nline"  # CJK, a ZWJ emoji, tabs and line breaks stay
    assert display_text(kept) == kept


def _hostile_answer():  # type: ignore[no-untyped-def]
    return make_answer(
        quotes=[
            make_quote("The ferry runs hourly.", title=HOSTILE_TITLE, url=None, source=HOSTILE_NAME)
        ]
    )


def test_console_shows_no_control_characters() -> None:
    shown = console_answer(_hostile_answer())
    assert _unsafe_in(shown) == [] and "Harbour]0;owned news" in shown


def test_slack_shows_no_control_characters() -> None:
    (message,) = slack_render.render_answer(_hostile_answer())
    blocks = json.dumps(message.blocks, ensure_ascii=False)
    assert _unsafe_in(blocks) == [] and _unsafe_in(message.text) == []
    assert "`[31mred.md`" in blocks and "notes/" not in blocks  # the file's name only


def test_discord_shows_no_control_characters() -> None:
    shown = "\n".join(line for block in discord_render.answer_blocks(_hostile_answer()) for line in block)
    assert _unsafe_in(shown) == [] and "\\[1\\] \\[31mred.md" in shown  # the file's name only


def test_source_lists_and_skip_reports_show_no_control_characters() -> None:
    record = ArticleRecord("a1", HOSTILE_TITLE, None, None, HOSTILE_NAME, HOSTILE_NAME, 3)
    slack = json.dumps(slack_render.render_sources([record]).blocks, ensure_ascii=False)
    discord = "\n".join(discord_render.source_pages([record]))
    report = IngestReport(skipped=[SkippedInput(HOSTILE_NAME, "binary file (not text)")])
    for shown in (slack, discord, *report.skipped_lines()):
        assert _unsafe_in(shown) == [], shown


# --- link lengths ---------------------------------------------------------------------------------

LONG_BASE = "https://example.com/" + "a" * 4990  # 5,010 characters


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/p#:~:text=" + "x" * 1500 + "," + "y" * 1500,
         "https://example.com/p#:~:text=" + "x" * 1500),  # the fragment shortened to its start
        ("https://example.com/p#:~:text=" + "x" * 5000, "https://example.com/p"),  # then dropped
        ("https://example.com/" + "a" * 1900 + "#:~:text=" + "x" * 500, "https://example.com/" + "a" * 1900),
        (LONG_BASE + "#:~:text=ferry", None),  # the article's URL itself is too long: no link
    ],
)
def test_slack_links_are_shortened_then_dropped_to_fit(url: str, expected: str | None) -> None:
    assert slack_render.safe_url(url) == expected
    (message,) = slack_render.render_answer(make_answer(quotes=[make_quote("The ferry runs.", url=url)]))
    for block in message.blocks:
        texts = [block.get("text", {}).get("text", "")] + [e.get("text", "") for e in block.get("elements", [])]
        assert all(len(text) <= slack_render.SECTION_CHARS for text in texts if isinstance(text, str))
    context = json.dumps(message.blocks)
    assert (expected is None) == ("<https://" not in context)


def test_discord_links_are_shortened_then_dropped_to_fit() -> None:
    long_fragment = "https://example.com/p#:~:text=" + "x" * 900 + "," + "y" * 900
    assert discord_render.safe_url(long_fragment) == "https://example.com/p#:~:text=" + "x" * 900
    assert discord_render.safe_url(LONG_BASE + "#:~:text=ferry") is None
