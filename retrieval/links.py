"""Links to a quote: the URL that takes a reader to the quoted words.

A web page gets a URL text fragment (`#:~:text=…`) that scrolls to and highlights the quote,
a PDF the page (`#page=N`), a Word file its bare URL. Renderers with a length limit take the
first of `shorter_links` that fits.
"""

from __future__ import annotations

from urllib.parse import quote as percent_encode

from ingest.text import has_cjk


def quote_url(url: str, quote_text: str, file_format: str = "", page: int | None = None) -> str:
    """The link that takes a reader to a quote: `url#page=N` into a PDF (browsers' PDF viewers
    open that page), the bare URL of a Word file, a text fragment into a web page."""
    if file_format == "pdf":
        base = url.split("#", 1)[0]
        return f"{base}#page={page}" if page else base
    if file_format:
        return url.split("#", 1)[0]
    return text_fragment_url(url, quote_text)


def text_fragment_url(url: str, quote_text: str) -> str:
    """`url#:~:text=…` (URL Fragment Text Directives) that scrolls to and highlights the quote.

    Short quotes are matched whole; longer ones by `textStart,textEnd` taken from their first
    and last lines, so the directive still matches when the page lays paragraphs out apart.
    """
    base = url.split("#", 1)[0]
    lines = [line.strip() for line in quote_text.split("\n") if line.strip()]
    if not lines:
        return base
    edge = 12 if has_cjk(quote_text) else 40
    if len(lines) == 1 and len(lines[0]) <= 2 * edge + 10:
        directive = _directive_part(lines[0])
    else:
        first, last = lines[0], lines[-1]
        start = first[:edge] if has_cjk(first) else _word_cut(first, edge, from_end=False)
        end = last[-edge:] if has_cjk(last) else _word_cut(last, edge, from_end=True)
        directive = f"{_directive_part(start)},{_directive_part(end)}"
    return f"{base}#:~:text={directive}"


def shorter_links(url: str) -> list[str]:
    """`url`, then shorter forms that still lead to the article, for a renderer that has a
    length limit: the text fragment reduced to its start (`#:~:text=start`), then no
    fragment at all. A renderer takes the first that fits, or no link."""
    variants = [url]
    base, marker, directive = url.partition("#:~:text=")
    if marker:
        start = directive.split(",", 1)[0]
        if start and start != directive:
            variants.append(f"{base}#:~:text={start}")
        variants.append(base)
    return variants


def _word_cut(line: str, limit: int, from_end: bool) -> str:
    words = line.split()
    picked: list[str] = []
    for word in reversed(words) if from_end else words:
        if sum(len(w) + 1 for w in picked) + len(word) > limit and picked:
            break
        picked.append(word)
    return " ".join(reversed(picked) if from_end else picked)


def _directive_part(text: str) -> str:
    # '-', ',' and '&' are syntax in a text directive and must be percent-encoded too.
    return percent_encode(text, safe="").replace("-", "%2D")
