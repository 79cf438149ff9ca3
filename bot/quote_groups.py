"""An answer's quotes grouped by article, for every renderer (console, Slack, Discord).

Several quotes from one article are shown under one heading (title and date, linked to the
article), each quote followed by its own link (the article's URL with a `#:~:text=` fragment
that highlights that quote, or a PDF's `#page=N`) or, without one, its file name and page,
instead of repeating the title and link line for each. Quotes keep
the numbers they have in the answer ([1], [2], … in order), since an LLM's answer text cites
them by number; articles come in the order of their first quote.

Where a file's source is shown to chat users it is the file's name, never the server's
directory layout (`source_label`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.answer_words import ALSO, ALSO_MORE, ALSO_SEPARATOR, LOCATION, PAGE, worded
from retrieval.models import Quote

# How many of an article's other sources a heading names (`also_line`); chat headings stay
# one line.
ALSO_SHOWN = 3

# The fragments citebot adds to a quote's link: a text fragment, or a PDF's page.
_QUOTE_FRAGMENT = re.compile(r"#(?::~:text=.*|page=\d+)$", re.S)
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


@dataclass(frozen=True)
class NumberedQuote:
    """A quote and its number in the answer (1-based)."""

    number: int
    quote: Quote


@dataclass(frozen=True)
class ArticleQuotes:
    """One article's heading and its quotes, in answer order.

    `url` is the article's own link (no text fragment), None for a file without one; then
    `source` names the file. `other_sources` are the other files or URLs holding the same
    text (`also_line`).
    """

    article_id: str
    title: str
    published: str | None
    url: str | None
    source: str
    quotes: tuple[NumberedQuote, ...]
    other_sources: tuple[str, ...] = ()


def group_by_article(quotes: Sequence[Quote]) -> list[ArticleQuotes]:
    """The quotes grouped by article: one heading per article, its quotes under it."""
    order: list[str] = []
    members: dict[str, list[NumberedQuote]] = {}
    for number, quote in enumerate(quotes, 1):
        if quote.article_id not in members:
            order.append(quote.article_id)
            members[quote.article_id] = []
        members[quote.article_id].append(NumberedQuote(number, quote))
    groups = []
    for article_id in order:
        first = members[article_id][0].quote
        groups.append(
            ArticleQuotes(
                article_id=article_id,
                title=first.title,
                published=first.published,
                url=article_url(first.url),
                source=source_label(first.source),
                quotes=tuple(members[article_id]),
                other_sources=first.other_sources,
            )
        )
    return groups


def also_line(other_sources: Sequence[str], shown: int = ALSO_SHOWN, question: str = "") -> str:
    """`also b.md, https://example.com/a` (then `and N more`): the other files or URLs
    holding an article's text, as `citebot sources` lists them under it (files by their
    name, `source_label`); "" when there are none.

    In an answer it is worded in the question's language and script, as the answer's own
    lines are (a Chinese question gets `另见 b.md、…`); without a question it is English."""
    names = list(dict.fromkeys(filter(None, map(source_label, other_sources))))
    if not names:
        return ""
    line = worded(question, ALSO, names=worded(question, ALSO_SEPARATOR).join(names[:shown]))
    if len(names) > shown:
        line += worded(question, ALSO_MORE, more=len(names) - shown)
    return line


def article_url(quote_url: str | None) -> str | None:
    """`https://x/a#:~:text=…` or `https://x/r.pdf#page=2` → the article itself, for its
    heading (each quote keeps its own link)."""
    if not quote_url:
        return None
    return _QUOTE_FRAGMENT.sub("", quote_url) or None


def quote_location(quote: Quote, question: str = "") -> str:
    """Where a quote without a link is: `notes.md`, or `report.pdf, p. 2` for a document (in
    an answer, the page in the question's language: `report.pdf，第 2 页`)."""
    name = source_label(quote.source)
    if not quote.page:
        return name
    return worded(question, LOCATION, name=name, page=page_label(quote, question))


def page_label(quote: Quote, question: str = "") -> str:
    """`p. 2` for a quote from a PDF or Word file (`第 2 页` for a Chinese question), else ""."""
    if not quote.page:
        return ""
    return worded(question, PAGE, label=quote.page_label, page=quote.page)


def source_label(source: str) -> str:
    """What chat users see of a source: a URL as it is, a file by its name only
    (`/srv/citebot/articles/2024/lighthouse.md` → `lighthouse.md`)."""
    source = (source or "").strip()
    if _URL.match(source):
        return source
    return re.split(r"[\\/]", source.rstrip("\\/"))[-1]
