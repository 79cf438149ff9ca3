"""Links to quotes: text fragments that match the quoted words, shorter forms for renderers."""

from __future__ import annotations

from retrieval.links import quote_url, shorter_links, text_fragment_url


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


def test_pdf_quotes_link_to_their_page_and_word_files_to_the_file() -> None:
    assert quote_url("https://x.org/a.pdf#old", "text", "pdf", 3) == "https://x.org/a.pdf#page=3"
    assert quote_url("https://x.org/a.docx", "text", "docx", 2) == "https://x.org/a.docx"


def test_shorter_links_drop_the_fragment_end_then_the_fragment() -> None:
    url = "https://x.org/p#:~:text=start,end"
    assert shorter_links(url) == [url, "https://x.org/p#:~:text=start", "https://x.org/p"]
