"""The objects that ingestion produces and the store keeps, and the store's public types.

`Article` and `Chunk` go in; `ArticleRecord` (one stored article, as listed) and `ChunkHit` (a
chunk found by dense search) come out. Nothing outside `ingest.store` needs to know how the
store lays them out in Chroma. `UnreadableArticle` is the one error of input that cannot
become an article (readers, decoding and the web parsers raise it), here so all of them can.
"""

from __future__ import annotations

import shlex
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.messages import display_text, held_by, hide_credentials, plural


@dataclass(frozen=True)
class Article:
    """One cleaned article, ready to chunk.

    `article_id` is derived from the cleaned text, so the same article read from another file
    name or encoding gets the same id. `source_key` names where it came from (its canonical URL
    or its file path, plus the post title for listing pages); a new version of the same source
    replaces the old one.

    A PDF or Word file (`file_format` "pdf" or "docx") has `pages`: the offset in `text` where
    each page starts (page 1 first), so `page_at(article.pages, offset)` is the page of any
    chunk or quote. Other articles have no pages.

    `file` is the resolved path of the file it was read from ('' for a URL or an upload):
    `source` is the path as given, which two files share when each is given from inside its
    own folder (`post.md`), and `source_key` is the file's link when it gives one.
    """

    article_id: str
    title: str
    text: str
    source: str
    source_key: str
    url: str | None = None
    published: str | None = None
    author: str | None = None
    pages: tuple[int, ...] = ()
    file_format: str = ""
    file: str = ""


def page_at(pages: tuple[int, ...] | list[int], offset: int) -> int | None:
    """The 1-based page on which the character at `offset` lies, None without pages."""
    if not pages:
        return None
    return max(1, bisect_right(pages, offset))


@dataclass(frozen=True)
class Chunk:
    """A span of an article's cleaned text: `text == article.text[start:end]`; `page` is the
    page it starts on (PDF and Word files)."""

    chunk_id: str
    article_id: str
    index: int
    text: str
    start: int
    end: int
    page: int | None = None


@dataclass(frozen=True)
class EmbeddedArticle:
    """An article, its chunks and one vector per chunk, ready to be written as they are.

    Each vector is of `embedding_text(article.title, chunk.text)` (see `ingest.store`).
    """

    article: Article
    chunks: Sequence[Chunk]
    vectors: Sequence[Sequence[float]]


@dataclass(frozen=True)
class ArticleRecord:
    """What the store knows about one ingested article (the `citebot sources` row).

    Its details (title, link, date, `source`…) are those of the first source it was read
    from that still holds its text; `other_sources` are the other files or URLs holding the
    same text (the article stays stored while any of them does).
    """

    article_id: str
    title: str
    url: str | None
    published: str | None
    source: str
    source_key: str
    chunks: int
    author: str | None = None
    pages: tuple[int, ...] = ()
    file_format: str = ""
    other_sources: tuple[str, ...] = ()

    def page_at(self, offset: int) -> int | None:
        """The page (1-based) of an offset into the article's text; None if it has no pages."""
        return page_at(self.pages, offset)

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.article_id,
            "title": self.title,
            "url": self.url,
            "published": self.published,
            "source": self.source,
            "chunks": self.chunks,
            "sources": [self.source, *self.other_sources],
        }


@dataclass(frozen=True)
class ChunkHit:
    """A chunk found by dense search, with its `cosine` similarity to the question."""

    chunk_id: str
    article_id: str
    text: str
    start: int
    end: int
    cosine: float
    language: str = ""  # 'zh' / 'en'; '' for chunks stored before chunks carried one


@dataclass(frozen=True)
class StoredChunk:
    """One stored chunk as the keyword index reads it: ids and the chunk's keyword tokens."""

    chunk_id: str
    article_id: str
    tokens: str


@dataclass(frozen=True)
class SkippedInput:
    """An input that was not ingested, and why (reported by name, never fatal to a batch)."""

    path: str
    reason: str


@dataclass(frozen=True)
class SourceFile:
    """A file a stored article was read from (`ArticleStore.source_files`): `file` its resolved
    path, `source` the path as given, and `held_by` every source holding the same text, this
    one included: a file by its resolved path, anything else (a URL, an upload, a file whose
    path the store does not know) as given."""

    file: str
    source: str
    article_id: str
    held_by: tuple[str, ...]


@dataclass(frozen=True)
class GoneFile:
    """A file ingested earlier from a folder now ingested again, gone from disk: the article
    it held (still stored: only `citebot forget` removes an article) and the sources that
    still hold that text (then forgetting it would take it from them too)."""

    file: str
    article_id: str
    kept_by: tuple[str, ...] = ()

    def line(self) -> str:
        """`gone from disk: PATH; …`: what became of its text, and how to remove it."""
        if not self.kept_by:
            return (
                f"gone from disk: {self.file}; its text is still answered from "
                f"(`citebot forget {self.article_id}` removes it)"
            )
        return (
            f"gone from disk: {self.file}; its text stays, {held_by(self.kept_by)} "
            f"(`citebot forget --file {shlex.quote(self.file)}` forgets this file alone)"
        )


@dataclass
class IngestReport:
    """What one `citebot ingest` run did; `as_json()` is the `--json` output."""

    articles: int = 0
    chunks_added: int = 0
    chunks_unchanged: int = 0
    chunks_removed: int = 0
    skipped: list[SkippedInput] = field(default_factory=list)
    # Articles whose text was stored already but whose title, link or date changed (rewritten
    # in place): in the summary line only, so `--json` keeps its keys.
    articles_updated: int = 0
    # Files of a folder ingested again that are gone from disk (`GoneFile`): reported on
    # stderr, kept in the store; not skipped input, so the exit status does not change.
    gone: list[GoneFile] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "articles": self.articles,
            "chunks_added": self.chunks_added,
            "chunks_unchanged": self.chunks_unchanged,
            "chunks_removed": self.chunks_removed,
            "skipped": [
                {"path": hide_credentials(s.path), "reason": hide_credentials(s.reason)}
                for s in self.skipped
            ],
        }

    def summary(self) -> str:
        """`3 articles: 12 chunks added, 4 unchanged, 0 removed`: the one wording of a run,
        for the CLI, `citebot watch` and Discord's `/ingest`."""
        summary = (
            f"{plural(self.articles, 'article')}: {plural(self.chunks_added, 'chunk')} added, "
            f"{self.chunks_unchanged} unchanged, {self.chunks_removed} removed"
        )
        if self.articles_updated:
            summary += f"; {self.articles_updated} with a new title, link or date"
        return summary

    def skipped_lines(self) -> list[str]:
        """`skipped PATH: reason`, one per input that was not ingested (a URL's password
        masked, `hide_credentials`)."""
        return [
            display_text(hide_credentials(f"skipped {s.path}: {s.reason}")) for s in self.skipped
        ]

    def gone_lines(self) -> list[str]:
        """`gone from disk: PATH; …`, one per file of a folder ingested again that is gone."""
        return [display_text(gone.line()) for gone in self.gone]

    def merge(self, other: IngestReport) -> None:
        self.articles += other.articles
        self.chunks_added += other.chunks_added
        self.chunks_unchanged += other.chunks_unchanged
        self.chunks_removed += other.chunks_removed
        self.articles_updated += other.articles_updated
        self.skipped.extend(other.skipped)
        self.gone.extend(other.gone)


class UnreadableArticle(ValueError):
    """The input cannot become an article; the message is the reason shown to the user."""
