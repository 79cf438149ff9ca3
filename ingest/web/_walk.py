"""Walking what a batch of URLs leads to: pages, feed entries and sitemap entries, each
fetched at most once, through the cache of what was fetched before, into `ingest_articles`.

The private-address rule of the links (see `ingest.web`) is applied here: links may lead
into the private network only from a document that is itself on a private host.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import replace
from urllib.parse import urlsplit

from ingest.fetch import FetchError, FetchResult, GuardedClient
from ingest.messages import hide_credentials
from ingest.models import ArticleRecord, IngestReport, SkippedInput
from ingest.pipeline import ingest_articles
from ingest.progress import on_terminal
from ingest.reader import UnreadableArticle
from ingest.store import ArticleStore
from ingest.web._cache import SeenURL, WebCache, detected_kind
from ingest.web._kinds import FEED, HTML, KIND_NAMES, SITEMAP, SITEMAP_INDEX, detect_kind
from ingest.web._parse import parse_feed, parse_sitemap, read_page

log = logging.getLogger("ingest.web")  # log lines name the package, not its parts

MAX_LINKS = 1000  # per feed or sitemap
MAX_SITEMAP_DEPTH = 3  # sitemap index → sitemap → pages, with one level to spare


def ingest_urls(
    urls: Iterable[str],
    store: ArticleStore,
    allow_private: bool = False,
    *,
    client: GuardedClient | None = None,
    show_progress: bool | None = None,
) -> IngestReport:
    """Fetch and ingest pages, feeds and sitemaps; each failure is reported by URL, never fatal."""
    report = IngestReport()
    own_client = client is None
    if client is None:
        client = GuardedClient.from_settings(store.settings, allow_private=allow_private)
    try:
        walker = _Walker(store, WebCache(store), client, report, show_progress)
        for raw in dict.fromkeys(u.strip() for u in urls):
            url = raw.split("#", 1)[0]
            try:
                parts = urlsplit(url)
                parts.port  # noqa: B018 - raises on a malformed port
            except ValueError as exc:  # "http://[::1", "http://host:99999/": bad input, not a bug
                report.skipped.append(SkippedInput(raw, f"not a valid URL ({exc})"))
                continue
            if parts.scheme not in {"http", "https"} or not parts.hostname:
                report.skipped.append(SkippedInput(raw, "not an http(s) URL"))
                continue
            private_ok = allow_private and client.targets_private(url)
            walker.root = url
            walker.visit(url, kinds={HTML, FEED, SITEMAP}, private_ok=private_ok)
        walker.report_budget()
    finally:
        if own_client:
            client.close()
    return report


class _Walker:
    """One batch: visits URLs (and the links of feeds and sitemaps) once each."""

    def __init__(
        self,
        store: ArticleStore,
        cache: WebCache,
        client: GuardedClient,
        report: IngestReport,
        show_progress: bool | None,
    ) -> None:
        self.store = store
        self.cache = cache
        self.client = client
        self.report = report
        # A page is ingested at a time: a line for each would flood a log (and `watch`'s JSON
        # lines), so unless told, progress is the terminal's bar alone.
        self.show_progress = on_terminal() if show_progress is None else show_progress
        self.visited: set[str] = set()
        self.budget = store.settings.fetch_budget
        self.fetches = 0
        self.root = ""  # the URL given, whose links are being followed
        self.unfetched: dict[str, int] = {}  # per given URL: links left for want of budget

    def visit(
        self, url: str, *, kinds: set[str], private_ok: bool, stamp: str = "", depth: int = 0
    ) -> None:
        if url in self.visited:
            return
        self.visited.add(url)
        seen = self.cache.get(url)
        record = self._record(seen)
        # A record is trusted only while what it describes is still stored.
        trusted = (
            seen is not None
            and detected_kind(seen) in kinds
            and (seen.kind != HTML or record is not None)
        )
        if seen is not None and trusted and stamp and seen.stamp == stamp:
            self._unchanged(seen, record, private_ok, depth)
            return
        if self.fetches >= self.budget:
            self.unfetched[self.root] = self.unfetched.get(self.root, 0) + 1
            return
        self.fetches += 1
        try:
            result = self.client.fetch(
                url,
                etag=seen.etag if seen and trusted else None,
                last_modified=seen.last_modified if seen and trusted else None,
                private_ok=private_ok,
            )
        except FetchError as exc:
            self._skip(url, str(exc))
            return
        if result.not_modified:
            if seen is None or not trusted:
                self._skip(url, "HTTP 304 Not Modified to a request without validators")
                return
            seen = replace(seen, stamp=stamp or seen.stamp)
            self.cache.put(seen)
            self._unchanged(seen, record, private_ok, depth)
            return
        kind = detect_kind(result.content_type, result.body)
        if kind is None:
            self._skip(
                url,
                "not an HTML page, text file, feed or sitemap "
                f"(content type {result.content_type or 'missing'})",
            )
            return
        if kind not in kinds:
            wanted = " or ".join(KIND_NAMES[k] for k in sorted(kinds))
            self._skip(url, f"expected {wanted}, found {KIND_NAMES[kind]}")
            return
        new = SeenURL(
            url=url,
            kind=kind,
            etag=result.etag or "",
            last_modified=result.last_modified or "",
            body_hash=hashlib.sha256(result.body).hexdigest(),
            stamp=stamp,
        )
        if kind == HTML:
            self._page(result, new, seen if trusted else None, record)
        elif kind == FEED:
            self._feed(result, new, private_ok)
        else:
            self._sitemap(result, new, private_ok, depth)

    # --- the three kinds ------------------------------------------------------------------------

    def _page(
        self,
        result: FetchResult,
        new: SeenURL,
        seen: SeenURL | None,
        record: ArticleRecord | None,
    ) -> None:
        if seen is not None and record is not None and seen.body_hash == new.body_hash:
            new.article_id = seen.article_id
            self.cache.put(new)
            self._count_unchanged(record)
            return
        try:
            article = read_page(result)
        except UnreadableArticle as exc:
            self._skip(result.url, str(exc))
            return
        self.report.merge(
            ingest_articles([article], self.store, show_progress=self.show_progress)
        )
        new.article_id = article.article_id
        self.cache.put(new)
        log.info("ingested %s as %s", result.url, article.url or article.source_key)

    def _feed(self, result: FetchResult, new: SeenURL, private_ok: bool) -> None:
        try:
            new.links = parse_feed(result.body, result.final_url, result.content_type)
        except UnreadableArticle as exc:
            self._skip(result.url, str(exc))
            return
        new.links = self._capped(result.url, new.links)
        # Written before the entries: entries that fail are retried (they have no record).
        self.cache.put(new)
        private_ok = self._links_private_ok(result.final_url, private_ok)
        for link, stamp in new.links:
            self.visit(link, kinds={HTML}, private_ok=private_ok, stamp=stamp)

    def _sitemap(self, result: FetchResult, new: SeenURL, private_ok: bool, depth: int) -> None:
        try:
            is_index, links = parse_sitemap(result.body, result.final_url)
        except UnreadableArticle as exc:
            self._skip(result.url, str(exc))
            return
        new.links = self._capped(result.url, links)
        new.kind = SITEMAP_INDEX if is_index else SITEMAP
        self.cache.put(new)
        private_ok = self._links_private_ok(result.final_url, private_ok)
        self._sitemap_links(result.url, is_index, new.links, private_ok, depth)

    def _sitemap_links(
        self,
        url: str,
        is_index: bool,
        links: list[tuple[str, str]],
        private_ok: bool,
        depth: int,
    ) -> None:
        if is_index and depth + 1 >= MAX_SITEMAP_DEPTH:
            self._skip(url, f"sitemap indexes nested deeper than {MAX_SITEMAP_DEPTH} levels")
            return
        kinds = {SITEMAP} if is_index else {HTML}
        for link, stamp in links:
            self.visit(link, kinds=kinds, private_ok=private_ok, stamp=stamp, depth=depth + 1)

    # --- helpers ----------------------------------------------------------------------------------

    def _unchanged(
        self, seen: SeenURL, record: ArticleRecord | None, private_ok: bool, depth: int
    ) -> None:
        """An unchanged URL: a page counts as stored; a feed's or sitemap's links are visited."""
        if seen.kind == HTML:
            if record is not None:
                self._count_unchanged(record)
            return
        private_ok = self._links_private_ok(seen.url, private_ok)
        if seen.kind == FEED:
            for link, stamp in seen.links:
                self.visit(link, kinds={HTML}, private_ok=private_ok, stamp=stamp)
            return
        self._sitemap_links(seen.url, seen.kind == SITEMAP_INDEX, seen.links, private_ok, depth)

    def report_budget(self) -> None:
        """One line per given URL whose links were left unfetched by CITEBOT_FETCH_BUDGET."""
        for root, left in self.unfetched.items():
            self._skip(
                root,
                f"stopped after {self.fetches} pages (CITEBOT_FETCH_BUDGET={self.budget}): "
                f"{left} more {'link' if left == 1 else 'links'} not followed",
            )

    def _links_private_ok(self, url: str, private_ok: bool) -> bool:
        """Links may lead into the private network only from a document on a private host."""
        return private_ok and self.client.targets_private(url)

    def _record(self, seen: SeenURL | None) -> ArticleRecord | None:
        if seen is None or seen.kind != HTML or not seen.article_id:
            return None
        return self.store.article(seen.article_id)

    def _count_unchanged(self, record: ArticleRecord) -> None:
        self.report.articles += 1
        self.report.chunks_unchanged += record.chunks

    def _capped(self, url: str, links: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if len(links) > MAX_LINKS:
            self._skip(url, f"only the first {MAX_LINKS} of {len(links)} links were followed")
            return links[:MAX_LINKS]
        return links

    def _skip(self, url: str, reason: str) -> None:
        log.info("skipped %s: %s", hide_credentials(url), hide_credentials(reason))
        self.report.skipped.append(SkippedInput(url, reason))

