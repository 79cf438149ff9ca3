"""Web ingestion: article URLs, RSS/Atom feeds and sitemaps into the store, incrementally.

`citebot ingest URL...`, the chat `/ingest` command and `citebot watch` all call
`ingest_urls`. A URL is fetched through `ingest.fetch.GuardedClient` (timeouts, size cap,
limited redirects, the private-address guard), recognised as an HTML page, a feed or a
sitemap by its content type and its first bytes, and every page becomes an `Article` through
`read_html_article` (a PDF or Word file through `ingest.documents`), then goes through `ingest_articles`, the same path as files: ids come
from content, so an unchanged page adds nothing and a changed one replaces its chunks
(`source_key` is the canonical URL).

What was fetched is remembered in the store's side records of kind `web` (one small record
per URL: ETag, Last-Modified, body hash, the feed/sitemap entry date, the article id, and for
feeds and sitemaps their links). They live beside the articles rather than in a local file
because bots may run as stateless replicas sharing one Chroma server, and because it must
live and die with the store they describe: a wiped or new collection starts with an empty
cache. The cache is only an optimisation: a record is trusted only while its article is
still in the store, and a lost or stale record costs one download, never a wrong answer.

Private addresses: with `allow_private=False` (chat, unless CITEBOT_ALLOW_PRIVATE_URLS=1) no
private, loopback, link-local or metadata address is ever contacted. With
`allow_private=True` (the operator's CLI and `watch`) a URL that itself points into the
private network may be fetched, along with what it links to; links found on a public site
(feed entries, sitemap entries, redirects) are still held to the strict rule, so a public
feed cannot steer citebot to internal services. Each document is judged by its own host: a
private sitemap index that lists a public sitemap does not lend that sitemap its trust.
Link-local and cloud metadata addresses are refused whatever is allowed (`ingest.fetch`).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urljoin, urlsplit

from config import Settings
from ingest.documents import document_format, read_document
from ingest.fetch import FetchError, FetchResult, GuardedClient
from ingest.models import Article, ArticleRecord, IngestReport, SkippedInput
from ingest.pipeline import ingest_articles
from ingest.reader import UnreadableArticle, decode_bytes, read_html_article
from ingest.store import ArticleStore, StoreUnavailable

log = logging.getLogger(__name__)

MAX_LINKS = 1000  # per feed or sitemap
MAX_SITEMAP_DEPTH = 3  # sitemap index → sitemap → pages, with one level to spare

HTML, FEED, SITEMAP = "html", "feed", "sitemap"
SITEMAP_INDEX = "sitemapindex"  # a cache record kind; detected as SITEMAP
_KIND_NAMES = {HTML: "an HTML page", FEED: "a feed", SITEMAP: "a sitemap"}


# --- content detection -----------------------------------------------------------------------

_BOM = (b"\xef\xbb\xbf",)
_TAG = re.compile(rb"<\s*(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_ROOT_KINDS = {
    b"html": HTML,
    b"rss": FEED,
    b"feed": FEED,
    b"rdf": FEED,
    b"urlset": SITEMAP,
    b"sitemapindex": SITEMAP,
}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}


def _root_element(body: bytes) -> bytes | None:
    """The local name of the first element (lower case), skipping prolog, comments, doctype."""
    head = body[:16384]
    for bom in _BOM:
        head = head.removeprefix(bom)
    i = 0
    while True:
        while i < len(head) and head[i : i + 1].isspace():
            i += 1
        if head.startswith(b"<?", i):
            end = head.find(b"?>", i)
        elif head.startswith(b"<!--", i):
            end = head.find(b"-->", i)
        elif head.startswith(b"<!", i):
            if re.match(rb"<!doctype\s+html", head[i : i + 20], re.I):
                return b"html"
            end = head.find(b">", i)
        else:
            break
        if end < 0:
            return None
        i = head.find(b">", end) + 1
    match = _TAG.match(head, i)
    return match.group(1).lower() if match else None


def detect_kind(content_type: str, body: bytes) -> str | None:
    """`html`, `feed` or `sitemap` from the content type and the body's first element.

    The body wins over the header (servers often send feeds as text/html or text/plain).
    """
    kind = _ROOT_KINDS.get(_root_element(body) or b"")
    if kind:
        return kind
    if document_format(media_type=content_type, body=body):
        return HTML  # a PDF or Word file is a page like any other (read by `read_page`)
    if content_type in _HTML_TYPES:
        return HTML  # a page that does not start with <html>
    return None


# --- what was fetched before -------------------------------------------------------------------

@dataclass
class SeenURL:
    """The cache record of one fetched URL (see the module docstring)."""

    url: str
    kind: str
    etag: str = ""
    last_modified: str = ""
    body_hash: str = ""
    article_id: str = ""
    stamp: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)


class WebCache:
    """`SeenURL` records kept beside the store (`ArticleStore.side_records("web")`)."""

    def __init__(self, store: ArticleStore) -> None:
        self._records = store.side_records("web")

    @staticmethod
    def _id(url: str) -> str:
        return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]

    def get(self, url: str) -> SeenURL | None:
        got = self._records.get(self._id(url))
        if got is None:
            return None
        document, meta = got
        links = json.loads(document or "[]")
        return SeenURL(
            url=str(meta.get("url", url)),
            kind=str(meta.get("kind", HTML)),
            etag=str(meta.get("etag", "")),
            last_modified=str(meta.get("last_modified", "")),
            body_hash=str(meta.get("body_hash", "")),
            article_id=str(meta.get("article_id", "")),
            stamp=str(meta.get("stamp", "")),
            links=[(str(u), str(s)) for u, s in links],
        )

    def put(self, seen: SeenURL) -> None:
        self._records.put(
            self._id(seen.url),
            json.dumps(seen.links, ensure_ascii=False),
            {
                "url": seen.url,
                "kind": seen.kind,
                "etag": seen.etag,
                "last_modified": seen.last_modified,
                "body_hash": seen.body_hash,
                "article_id": seen.article_id,
                "stamp": seen.stamp,
            },
        )


# --- ingestion ----------------------------------------------------------------------------------

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
            parts = urlsplit(url)
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
        self.show_progress = show_progress
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
            and _detected_kind(seen) in kinds
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
                "not an HTML page, feed or sitemap "
                f"(content type {result.content_type or 'missing'})",
            )
            return
        if kind not in kinds:
            wanted = " or ".join(_KIND_NAMES[k] for k in sorted(kinds))
            self._skip(url, f"expected {wanted}, found {_KIND_NAMES[kind]}")
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
        log.info("skipped %s: %s", url, reason)
        self.report.skipped.append(SkippedInput(url, reason))


def _detected_kind(seen: SeenURL) -> str:
    return SITEMAP if seen.kind == SITEMAP_INDEX else seen.kind


# --- parsing ------------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_CODEC_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "big5": "big5hkscs"}


def _decode_html(body: bytes, charset: str | None) -> str:
    sample = body[:4096]
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return decode_bytes(body)  # UTF-16 without a BOM, or binary (raises)
    declared = _META_CHARSET.search(sample)
    for name in (charset, declared.group(1).decode("ascii", "ignore") if declared else None):
        if not name:
            continue
        name = name.lower()
        try:
            return body.decode(_CODEC_ALIASES.get(name, name))
        except (LookupError, UnicodeDecodeError):
            continue
    return decode_bytes(body)


def _same_site(a: str, b: str) -> bool:
    host_a = (urlsplit(a).hostname or "").removeprefix("www.")
    host_b = (urlsplit(b).hostname or "").removeprefix("www.")
    return bool(host_a) and host_a == host_b


def read_page(result: FetchResult) -> Article:
    """The article on a fetched HTML page; its link is the page's canonical URL.

    A canonical URL on another site is not believed (a page could otherwise claim another
    site's article and replace its chunks): then the fetched URL is the link.
    """
    fetched = result.final_url.split("#", 1)[0]
    file_format = document_format(media_type=result.content_type, body=result.body)
    if file_format:
        return read_document(result.body, fetched, file_format, url=fetched)
    html = _decode_html(result.body, result.charset)
    if not html.strip():
        raise UnreadableArticle("empty page")
    article = read_html_article(html, fetched, fetched)
    link = (article.url or "").split("#", 1)[0]
    if not link or not _same_site(link, fetched):
        link = fetched
    return replace(article, url=link, source_key=link)


def parse_feed(body: bytes, base_url: str, content_type: str = "") -> list[tuple[str, str]]:
    """(entry link, entry date) of every feed entry, links made absolute, in feed order."""
    import feedparser

    parsed = feedparser.parse(
        io.BytesIO(body),  # bytes, never a string: feedparser would treat one as a URL or path
        response_headers={"content-location": base_url, "content-type": content_type},
    )
    if not parsed.entries and parsed.get("bozo"):
        raise UnreadableArticle(f"not a valid feed: {parsed.get('bozo_exception')}")
    links: list[tuple[str, str]] = []
    for entry in parsed.entries:
        link = entry.get("link") or next(
            (ln.get("href") for ln in entry.get("links", []) if ln.get("href")), None
        )
        if not link:
            continue
        absolute = urljoin(base_url, link).split("#", 1)[0]
        if urlsplit(absolute).scheme in {"http", "https"}:
            stamp = str(entry.get("updated") or entry.get("published") or "")
            links.append((absolute, stamp))
    return list(dict(links).items())


def parse_sitemap(body: bytes, base_url: str) -> tuple[bool, list[tuple[str, str]]]:
    """(is a sitemap index, [(loc, lastmod)]) of a sitemap; entities and DTDs are not loaded."""
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=True
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise UnreadableArticle(f"not a valid sitemap: {exc}") from None
    if root is None or not isinstance(root.tag, str):
        raise UnreadableArticle("not a valid sitemap")
    is_index = etree.QName(root).localname.lower() == "sitemapindex"
    links: list[tuple[str, str]] = []
    for element in root:
        if not isinstance(element.tag, str):
            continue  # comments, processing instructions
        fields = {
            etree.QName(child).localname.lower(): (child.text or "").strip()
            for child in element
            if isinstance(child.tag, str)
        }
        loc = fields.get("loc")
        if loc:
            absolute = urljoin(base_url, loc).split("#", 1)[0]
            if urlsplit(absolute).scheme in {"http", "https"}:
                links.append((absolute, fields.get("lastmod", "")))
    return is_index, list(dict(links).items())


# --- citebot watch ----------------------------------------------------------------------------

def run_watch(
    settings: Settings,
    once: bool,
    *,
    store: ArticleStore | None = None,
    stop: threading.Event | None = None,
    client_factory: Callable[[], GuardedClient] | None = None,
) -> int:
    """`citebot watch [--once]`: refresh CITEBOT_FEEDS now and every CITEBOT_WATCH_INTERVAL_MIN.

    Ctrl-C stops at once (a refresh interrupted half-way is finished by the next one, since
    records are written only after their article is stored); SIGTERM or `stop` being set
    ends the loop after the current refresh.
    """
    if not settings.feeds:
        print("citebot watch: CITEBOT_FEEDS is empty: nothing to watch", file=sys.stderr)
        return 2
    stop = stop or threading.Event()
    store = store or ArticleStore(settings)
    with _stop_on_sigterm(stop):
        try:
            while True:
                client = client_factory() if client_factory else None
                try:
                    report = ingest_urls(settings.feeds, store, allow_private=True, client=client)
                except StoreUnavailable as exc:
                    if once:
                        raise
                    log.error("refresh failed, retrying at the next interval: %s", exc)
                else:
                    _print_refresh(report)
                    if once:
                        return 1 if report.skipped else 0
                finally:
                    if client is not None:
                        client.close()
                if stop.wait(settings.watch_interval_min * 60):
                    print("citebot watch: stopped", file=sys.stderr)
                    return 0
        except KeyboardInterrupt:
            print("citebot watch: stopped", file=sys.stderr)
            return 0


def _print_refresh(report: IngestReport) -> None:
    print(f"refreshed {report.summary()}", flush=True)
    for line in report.skipped_lines():
        print(line, file=sys.stderr, flush=True)


@contextlib.contextmanager
def _stop_on_sigterm(stop: threading.Event) -> Iterator[None]:
    """SIGTERM (docker stop) sets `stop`; only the main thread may install signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
