"""The ingestion pipeline: paths (or already-read articles) → chunks → the store.

Bad input never stops a batch: each file that cannot be read is reported by name with the
reason, and everything else is ingested. Web ingestion (`ingest.web`) reads pages into
`Article`s and hands them to `ingest_articles`, so files and URLs share one path.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from ingest.chunking import chunk_article
from ingest.models import Article, IngestReport, SkippedInput
from ingest.reader import SUPPORTED_SUFFIXES, UnreadableArticle, read_article_file
from ingest.store import ArticleStore


def iter_input_files(paths: Iterable[str | Path], report: IngestReport) -> Iterator[Path]:
    """Files under the given paths (folders recursively, in name order), each once.

    Hidden files are passed over; a missing path or a symlink loop is reported, not fatal.
    """
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            reason = (
                "symlink loop or broken link" if path.is_symlink() else "no such file or folder"
            )
            report.skipped.append(SkippedInput(str(path), reason))
            continue
        if path.is_file():
            resolved = path.resolve()
            if resolved not in seen:
                seen.add(resolved)
                yield path
            continue
        for folder, dirs, files in os.walk(path, followlinks=False, onerror=None):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.startswith("."):
                    continue
                file = Path(folder) / name
                try:
                    resolved = file.resolve(strict=True)
                except (OSError, RuntimeError):
                    report.skipped.append(SkippedInput(str(file), "symlink loop or broken link"))
                    continue
                if resolved in seen:
                    continue
                if not resolved.is_file():
                    # A FIFO would block a reader forever; devices and sockets are not articles.
                    report.skipped.append(SkippedInput(str(file), "not a regular file"))
                    continue
                seen.add(resolved)
                yield file


def read_inputs(paths: Iterable[str | Path], max_bytes: int, report: IngestReport) -> list[Article]:
    """Every article in the given files and folders; unreadable files go to `report.skipped`."""
    articles: list[Article] = []
    for file in iter_input_files(paths, report):
        if file.suffix.lower() not in SUPPORTED_SUFFIXES:
            report.skipped.append(
                SkippedInput(str(file), f"unsupported file type {file.suffix or '(none)'}")
            )
            continue
        try:
            articles.extend(read_article_file(file, max_bytes))
        except UnreadableArticle as exc:
            report.skipped.append(SkippedInput(str(file), str(exc)))
        except PermissionError:
            report.skipped.append(SkippedInput(str(file), "permission denied"))
        except OSError as exc:
            report.skipped.append(SkippedInput(str(file), f"cannot read: {exc.strerror or exc}"))
    return articles


def ingest_articles(
    articles: list[Article], store: ArticleStore, *, show_progress: bool | None = None
) -> IngestReport:
    """Chunk and store articles; unchanged ones cost nothing, edited ones replace the old."""
    report = IngestReport()
    max_chars = store.settings.chunk_chars
    planned = [(article, chunk_article(article, max_chars)) for article in _unique(articles)]
    total = sum(len(chunks) for _, chunks in planned)
    with _progress(show_progress, total) as advance:
        stored = store.stored_article_ids([article.article_id for article, _ in planned])
        new = []
        for article, chunks in planned:
            report.articles += 1
            if article.article_id in stored:
                # The same text (from this file, or another file or encoding): stored already.
                report.chunks_unchanged += len(chunks)
                advance(len(chunks))
            else:
                new.append((article, chunks))
        for counts in store.add_articles(new, on_embedded=advance):
            advance(counts.unchanged)
            report.chunks_added += counts.added
            report.chunks_unchanged += counts.unchanged
            report.chunks_removed += counts.removed
    return report


def ingest_paths(
    paths: Iterable[str | Path], store: ArticleStore, *, show_progress: bool | None = None
) -> IngestReport:
    """`citebot ingest PATH...`: read every file, then store every article."""
    report = IngestReport()
    max_bytes = int(store.settings.max_file_mb * 1_000_000)
    articles = read_inputs(paths, max_bytes, report)
    report.merge(ingest_articles(articles, store, show_progress=show_progress))
    return report


def _unique(articles: list[Article]) -> list[Article]:
    by_id: dict[str, Article] = {}
    for article in articles:
        by_id.setdefault(article.article_id, article)
    return list(by_id.values())


def _progress(show: bool | None, total: int) -> Any:
    """A rich progress bar over chunks on a terminal; a no-op otherwise."""
    if show is None:
        show = sys.stderr.isatty()
    if not show or total == 0:
        return nullcontext(lambda n: None)
    from contextlib import contextmanager

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    @contextmanager
    def bar() -> Iterator[Any]:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            transient=True,
        ) as progress:
            task = progress.add_task("embedding chunks", total=total)
            yield lambda n: progress.advance(task, n)

    return bar()
