"""Quote helpers: text fragments, the verbatim check, sentence windows."""

from __future__ import annotations

from retrieval.quotes import (
    MAX_QUOTE_CHARS,
    Candidate,
    is_verbatim,
    select_quotes,
    text_fragment_url,
)


def test_short_quote_fragment_is_percent_encoded_with_syntax_characters() -> None:
    url = text_fragment_url("https://example.org/a#top", "GPT-5, now & later")
    assert url == "https://example.org/a#:~:text=GPT%2D5%2C%20now%20%26%20later"


def test_long_quote_uses_start_and_end_of_its_lines() -> None:
    quote = "随着算力和数据规模的快速扩展，基础研究正在回归。\n算法的重要性再次凸显，成为关键瓶颈。"
    url = text_fragment_url("https://example.org/p", quote)
    directive = url.split("#:~:text=")[1]
    start, end = directive.split(",")
    assert "%0A" not in directive  # never spans a line break
    from urllib.parse import unquote

    assert quote.startswith(unquote(start)) and quote.endswith(unquote(end))


def test_verbatim_check_rejects_wrong_offsets_and_edits() -> None:
    article = "第一句。第二句。第三句。"
    assert is_verbatim("第二句。", article, 4, 8)
    assert not is_verbatim("第二句。", article, 3, 7)
    assert not is_verbatim("第二名。", article, 4, 8)
    assert not is_verbatim("", article, 0, 0)


def test_quote_is_the_answering_sentence_with_neighbours_within_limits() -> None:
    article = (
        "灯塔建于1868年。" + "灯塔高三十六米，是当时最高的灯塔之一。" + "守塔人养了两只猫。" * 3
        + "每年夏天有两万名游客登塔看日落。" + "这是一段与问题无关的很长的描述。" * 30
    )
    candidate = Candidate("a1", 0, len(article), 1.0, 0.9)
    [best, *_] = select_quotes("每年有多少游客登塔？", [candidate], {"a1": article})
    text = article[best.start : best.end]
    assert "两万名游客" in text
    assert len(text) <= MAX_QUOTE_CHARS
