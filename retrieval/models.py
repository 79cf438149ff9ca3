"""The objects every adapter renders: `Answer` with its verified `Quote`s, and the
`ArticleRecord`s of a sources listing (the store's type, re-exported for adapters)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from ingest.models import ArticleRecord

__all__ = ["Answer", "ArticleRecord", "Quote", "Turn"]


@dataclass(frozen=True)
class Quote:
    """Consecutive sentences copied exactly from an article: `text == article[start:end]`.

    `url` already carries a `#:~:text=` fragment that highlights the quote when the article
    has a URL; otherwise it is None and adapters show `title` and `source` (the file name).
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


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation (a Slack thread, a Discord reply chain)."""

    role: Literal["user", "assistant"]
    text: str


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
            "quotes": [asdict(q) for q in self.quotes],
        }
