"""The objects every adapter renders: `Answer` with its verified `Quote`s, and the
`ArticleRecord`s of a sources listing (the store's type, re-exported for adapters)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import Literal

from ingest.models import ArticleRecord

__all__ = ["Answer", "ArticleRecord", "Quote", "Turn"]


@dataclass(frozen=True)
class Quote:
    """Consecutive sentences copied exactly from an article: `text == article[start:end]`.

    `url` already carries a `#:~:text=` fragment that highlights the quote when the article
    has a URL; otherwise it is None and adapters show `title` and `source` (the file name).
    A quote from a PDF or Word file has its `page` (1-based); a PDF's `url` is `URL#page=N`.
    Adapters show `page_label` ("p. 2") beside a link and `location` ("report.pdf, p. 2")
    when there is no link. `other_sources` are the other files or URLs holding the same
    text (`source` is the one whose title and link the quote shows).
    """

    text: str
    title: str
    url: str | None
    published: str | None
    source: str
    article_id: str
    start: int
    end: int
    score: float
    page: int | None = None
    other_sources: tuple[str, ...] = ()

    @property
    def page_label(self) -> str:
        """"p. N" for a quote from a PDF or Word file, else ""."""
        return f"p. {self.page}" if self.page else ""

    @property
    def location(self) -> str:
        """What adapters show for a quote without a usable link: "name.pdf, p. N" for a
        document, the source file otherwise."""
        if not self.page:
            return self.source
        return f"{PurePath(self.source).name}, {self.page_label}"


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation (a Slack thread, a Discord reply chain).

    An assistant turn's `quoted` holds what it showed besides `text` (its quotes, or the
    rendered message), when the adapter has it: a request for more ("Tell me more.") quotes
    no sentence the conversation already showed. A turn whose `text` is the whole rendered
    answer needs none.
    """

    role: Literal["user", "assistant"]
    text: str
    quoted: tuple[str, ...] = ()


@dataclass
class Answer:
    """What citebot says to one question.

    `confident` is False when nothing relevant was found (then `quotes` is empty and `text`
    says so plainly) or when the store could not be searched (`error` is set).
    `sources_searched` is how many articles the store holds, for "searched N sources" lines.
    """

    question: str
    text: str
    confident: bool
    quotes: list[Quote] = field(default_factory=list)
    answer_id: str = ""
    sources_searched: int = 0
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """The `citebot ask --json` object."""
        return {
            "question": self.question,
            "answer": self.text,
            "confident": self.confident,
            "quotes": [{**asdict(q), "other_sources": list(q.other_sources)} for q in self.quotes],
            "notes": list(self.notes),
        }
