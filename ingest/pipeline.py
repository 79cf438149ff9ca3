"""The ingestion pipeline: paths (or already-read articles) → chunks → the store.

Bad input never stops a batch: each file that cannot be read is reported by name with the
reason, and everything else is ingested. Nor does an article the store refuses: the store's
error becomes its skip reason, unless the store itself stopped answering, which ends the run
with `StoreUnavailable` (the CLI's exit 2). Other errors (the embedding model's) are not the
article's fault and end the run as they are. Web ingestion (`ingest.web`) reads pages into
`Article`s and hands them to `ingest_articles`, so files and URLs share one path.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ingest.chunking import chunk_article
from ingest.models import Article, Chunk, GoneFile, IngestReport, SkippedInput
from ingest.progress import progress
from ingest.reader import SUPPORTED_SUFFIXES, UnreadableArticle, read_article_file
from ingest.store import ArticleStore, is_store_error

log = logging.getLogger(__name__)


def iter_input_files(paths: Iterable[str | Path], report: IngestReport) -> Iterator[Path]:
    """Files under the given paths (folders recursively, in name order), each once.

    Hidden files are passed over; a missing path or a symlink loop is reported, not fatal.
    Inside a folder, a symlink that leads outside it is not followed (reported): dropping a
    link to /etc/passwd into an articles folder must not make it quotable. A file named
    directly is read wherever it is.
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
        root = path.resolve()
        met = 0  # files of the folder met, hidden ones aside
        for folder, dirs, files in os.walk(path, followlinks=False, onerror=None):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if name.startswith("."):
                    continue
                met += 1
                file = Path(folder) / name
                try:
                    resolved = file.resolve(strict=True)
                except (OSError, RuntimeError):
                    report.skipped.append(SkippedInput(str(file), "symlink loop or broken link"))
                    continue
                if not resolved.is_relative_to(root):
                    report.skipped.append(
                        SkippedInput(str(file), f"symlink leading outside {path} (not followed)")
                    )
                    continue
                if resolved in seen:
                    continue
                if not resolved.is_file():
                    # A FIFO would block a reader forever; devices and sockets are not articles.
                    report.skipped.append(SkippedInput(str(file), "not a regular file"))
                    continue
                seen.add(resolved)
                yield file
        if not met:  # an empty folder, or a mistyped one: "0 articles" alone would not say
            report.skipped.append(SkippedInput(str(path), "the folder holds no files"))


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
    """Chunk and store articles; unchanged ones cost nothing, edited ones replace the old.

    The same text from several files or URLs is stored once, and the store records every
    source that holds it: editing one of them leaves the article to the others.
    """
    report = IngestReport()
    max_chars = store.settings.chunk_chars
    unique = _unique(articles)
    copies = [article for article in articles if unique[article.article_id] is not article]
    planned = [(article, chunk_article(article, max_chars)) for article in unique.values()]
    stored = store.stored_article_ids([article.article_id for article, _ in planned])
    new = []
    for article, chunks in planned:
        if article.article_id in stored:
            # The same text (from this file, or another file or encoding): stored already.
            report.articles += 1
            report.chunks_unchanged += len(chunks)
        else:
            new.append((article, chunks))
    # Progress counts what the model embeds: nothing for stored articles, nor for chunks
    # whose text keeps its stored vector. None (the CLI's) shows it as True does; False
    # (Discord's /ingest, the evaluation when not on a terminal, tests) shows nothing.
    to_embed = store.chunks_to_embed(new) if new else 0
    with progress("embedding chunks", to_embed, show=show_progress is not False) as advance:
        # Met again (or elsewhere): the store records the source; an edit of only the title,
        # link or date replaces those. A source that held another text gives it up.
        met = store.update_details([a for a in articles if a.article_id in stored])
        report.articles_updated += len(met.rewritten)
        report.chunks_removed += met.removed
        _store_new(new, store, report, advance)
        # Copies of a text stored just now: their sources hold it too.
        report.chunks_removed += store.update_details(
            [a for a in copies if a.article_id not in stored]
        ).removed
    # A store written before chunks had bilingual vectors gets them even when nothing is new.
    store.add_missing_bilingual_vectors()
    return report


def _store_new(
    items: list[tuple[Article, list[Chunk]]],
    store: ArticleStore,
    report: IngestReport,
    advance: Callable[[int], None],
) -> None:
    """New articles in one batched write. When the store refuses it, they are written one at
    a time: the article the store refuses gets the error as its skip reason, the rest go in
    (ids come from content, so what the failed write stored already is not written twice)."""
    if not items:
        return
    try:
        written = store.add_articles(items, on_embedded=advance)
    except Exception as exc:
        if not is_store_error(exc):
            raise
        store.heartbeat()  # raises StoreUnavailable when the store itself is gone
        if len(items) == 1:
            reason = f"store error: {exc.__class__.__name__}: {exc}"
            log.warning("not stored %s: %s", items[0][0].source, reason)
            report.skipped.append(SkippedInput(items[0][0].source, reason[:300]))
            return
        for item in items:
            _store_new([item], store, report, advance)
        return
    for counts in written:
        report.articles += 1
        report.chunks_added += counts.added
        report.chunks_unchanged += counts.unchanged
        report.chunks_removed += counts.removed


def ingest_paths(
    paths: Iterable[str | Path], store: ArticleStore, *, show_progress: bool | None = None
) -> IngestReport:
    """`citebot ingest PATH...`: read every file, then store every article, then report the
    files ingested earlier from these folders that are gone from disk (`gone_files`)."""
    paths = list(paths)
    report = IngestReport()
    max_bytes = int(store.settings.max_file_mb * 1_000_000)
    articles = read_inputs(paths, max_bytes, report)
    report.merge(ingest_articles(articles, store, show_progress=show_progress))
    report.gone += gone_files(paths, store)
    return report


def gone_files(paths: Iterable[str | Path], store: ArticleStore) -> list[GoneFile]:
    """The files under these folders that the store's articles were read from and that are
    no longer on disk, each with the sources still holding its text.

    They are reported, not removed: a folder on a disk that is not mounted, a checkout of
    another branch or a file moved elsewhere would otherwise take its articles with it, and
    nothing is removed but by `citebot forget` (which names the article: the report says
    which). `citebot watch` refreshes feeds and removes nothing either.
    """
    roots = [Path(path).resolve() for path in paths if Path(path).is_dir()]
    if not roots:
        return []
    known: dict[str, bool] = {}

    def on_disk(name: str) -> bool:
        """Whether a file holding a text is there; a URL or a path as given counts as there."""
        if not Path(name).is_absolute():
            return True
        if name not in known:
            known[name] = Path(name).exists()
        return known[name]

    gone: dict[tuple[str, str], GoneFile] = {}
    for source in store.source_files():
        file = Path(source.file)
        if any(file.is_relative_to(root) for root in roots) and not on_disk(source.file):
            kept = tuple(h for h in source.held_by if h != source.file and on_disk(h))
            gone[source.file, source.article_id] = GoneFile(source.file, source.article_id, kept)
    return [gone[key] for key in sorted(gone)]


def _unique(articles: list[Article]) -> dict[str, Article]:
    """The first article of each text, by id (the others are copies of it)."""
    by_id: dict[str, Article] = {}
    for article in articles:
        by_id.setdefault(article.article_id, article)
    return by_id
