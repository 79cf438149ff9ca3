"""Web ingestion against a local HTTP server: pages, feeds, sitemaps, failures, the address guard.

The server (127.0.0.1, port 0, a thread) serves the small pages in tests/fixtures/web/, with
`{{BASE}}` replaced by its own address. Host names other than 127.0.0.1 only ever exist in
resolver stubs: no test sends traffic anywhere but the loopback interface (a guard on
`socket.create_connection` checks it in the address tests).
"""

from __future__ import annotations

import gzip
import hashlib
import ipaddress
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import ingest.web._parse as page_reader
from bot.cli import run_watch
from config import Settings
from ingest import ArticleStore, IngestReport
from ingest.fetch import USER_AGENT, GuardedClient, IPAddress, address_problem
from ingest.web import detect_kind, ingest_urls
from tests.support.cli import clean_env, run_cli
from tests.support.embeddings import HashEmbeddings
from tests.support.settings import FIXTURES, REPO, make_settings

WEB = FIXTURES / "web"
CANONICAL = {
    "en": "/posts/lighthouse-solar",
    "zh": "/posts/yunling-tea-drones",
    "bridge": "/posts/copper-creek-bridge",
}


# --- a tiny site on 127.0.0.1 -------------------------------------------------------------------

class Site:
    """Static pages (path → status, headers, body) plus a few misbehaving endpoints."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.release = threading.Event()  # set at teardown: frees blocked handlers
        self.headers_trickled = threading.Event()  # /trickle-headers sent its last header byte
        self.server = ThreadingHTTPServer((host, 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://{host}:{self.port}"

    def fixture(self, name: str) -> bytes:
        return (WEB / name).read_bytes().replace(b"{{BASE}}", self.base.encode())

    def add(self, path: str, body: bytes, content_type: str, status: int = 200, **headers: str) -> None:
        self.pages[path] = (status, {"Content-Type": content_type, **headers}, body)

    def add_page(self, path: str, name: str, *, etag: bool = True) -> None:
        body = self.fixture(name)
        extra = {"ETag": f'"{hashlib.sha1(body).hexdigest()[:12]}"'} if etag else {}
        self.add(path, body, "text/html; charset=utf-8", **extra)

    def redirect(self, path: str, location: str, status: int = 301) -> None:
        self.pages[path] = (status, {"Location": location}, b"")

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                site.requests.append((self.path, dict(self.headers)))
                special = {
                    "/slow": self._slow,
                    "/drip": self._drip,
                    "/huge": self._huge,
                    "/huge-declared": self._huge_declared,
                    "/trickle-headers": self._trickle_headers,
                }.get(self.path)
                try:
                    if special:
                        special()
                    else:
                        self._static()
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client stopped reading, as it should

            def _static(self) -> None:
                status, headers, body = site.pages.get(
                    self.path, (404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>")
                )
                etag = headers.get("ETag")
                if status == 200 and etag and etag == self.headers.get("If-None-Match"):
                    status, body = 304, b""
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _slow(self) -> None:
                site.release.wait()  # never answers while the test runs

            def _drip(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                while not site.release.wait(0.02):  # a few bytes at a time, forever
                    self.wfile.write(b"<p>.</p>")
                    self.wfile.flush()

            def _trickle_headers(self) -> None:
                """A whole, valid page, its headers sent one byte every 50 ms (about 8 s)."""
                page = site.fixture("en-bridge.html")
                head = (
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
                    f"Content-Length: {len(page)}\r\nX-Padding: {'.' * 80}\r\n\r\n"
                ).encode()
                for i in range(len(head)):
                    if site.release.wait(0.05):
                        return
                    self.wfile.write(head[i : i + 1])
                site.headers_trickled.set()
                self.wfile.write(page)
                self.close_connection = True

            def _huge(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")  # no Content-Length: streamed
                self.end_headers()
                block = b"<p>" + b"a" * 65_000 + b"</p>"
                for _ in range(80):
                    self.wfile.write(block)

            def _huge_declared(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", "50000000")
                self.end_headers()
                self.wfile.write(b"<p>start</p>")

        return Handler

    def start(self) -> Site:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    site = Site()
    site.add_page(CANONICAL["en"], "en-lighthouse.html")
    site.add_page(CANONICAL["zh"], "zh-tea.html")
    site.add_page(CANONICAL["bridge"], "en-bridge.html")
    site.redirect("/p/1?utm_source=rss", f"{CANONICAL['en']}?utm_source=rss")
    site.add_page(f"{CANONICAL['en']}?utm_source=rss", "en-lighthouse.html")
    feed = site.fixture("feed.xml")
    site.add("/feed.xml", feed, "application/rss+xml", ETag='"feed-1"')
    site.add("/atom.xml", site.fixture("atom.xml"), "application/atom+xml")
    site.add("/feed-as-text", feed, "text/plain")
    site.add("/sitemap.xml", site.fixture("sitemap.xml"), "application/xml")
    site.add("/sitemap-index.xml", site.fixture("sitemap-index.xml"), "text/xml")
    site.add("/pixel.png", (WEB / "pixel.png").read_bytes(), "image/png")
    site.add("/download", os.urandom(2000), "application/octet-stream")
    site.add("/mislabeled", (WEB / "pixel.png").read_bytes() * 3, "text/html")
    site.add("/broken", b"<h1>oops</h1>", "text/html", status=500)
    site.redirect("/loop", "/loop", status=302)
    site.start()
    yield site
    site.stop()


# --- stores with instant embeddings -----------------------------------------------------------

def _store(settings: Settings) -> ArticleStore:
    # Stand-in vectors: these tests are about bookkeeping, not relevance.
    return ArticleStore(settings, embeddings=HashEmbeddings())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def store(settings: Settings) -> ArticleStore:
    return _store(settings)


def _ingest(urls: list[str], store: ArticleStore) -> IngestReport:
    """As the operator's CLI does: the local site is on a loopback address."""
    return ingest_urls(urls, store, allow_private=True)


def _by_url(store: ArticleStore) -> dict[str, object]:
    return {r.url: r for r in store.articles()}


# --- detection ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("content_type", "body", "kind"),
    [
        ("text/html", b"<!DOCTYPE html><html><body>x</body></html>", "html"),
        ("text/html", b"<p>a fragment</p>", "html"),
        ("", b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- c --><rss version='2.0'/>", "feed"),
        ("text/html", b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'/>", "feed"),
        ("text/plain", b"<rdf:RDF xmlns:rdf='x'></rdf:RDF>", "feed"),
        ("application/xml", b"<?xml version='1.0'?><urlset/>", "sitemap"),
        ("text/xml", b"<sitemapindex/>", "sitemap"),
        ("application/xml", b"<?xml version='1.0'?><svg/>", None),
        ("text/plain", b"just words", "html"),  # a text file: read as a file is
        ("text/markdown", b"# Notes\n\nwords", "html"),
        ("application/json", b'{"just": "data"}', None),
    ],
)
def test_kind_is_sniffed_from_the_body_before_the_content_type(
    content_type: str, body: bytes, kind: str | None
) -> None:
    assert detect_kind(content_type, body) == kind


# --- pages -------------------------------------------------------------------------------------

def test_pages_are_ingested_under_their_canonical_url(site: Site, store: ArticleStore) -> None:
    report = _ingest([f"{site.base}/p/1?utm_source=rss", site.base + CANONICAL["zh"]], store)

    assert report.skipped == [] and report.articles == 2 and report.chunks_added > 0
    records = _by_url(store)
    en = records[site.base + CANONICAL["en"]]  # not the redirected, tracked URL
    assert (en.title, en.published, en.author) == (
        "Port Ellis lighthouse goes solar",
        "2024-03-18",
        "Mara Quinn",
    )
    assert en.source_key == site.base + CANONICAL["en"]
    zh = records[site.base + CANONICAL["zh"]]
    assert (zh.title, zh.published) == ("云岭茶园引入无人机采茶", "2024-05-02")
    assert "三十公斤" in store.article_texts([zh.article_id])[zh.article_id]
    user_agents = {headers.get("User-Agent") for _, headers in site.requests}
    assert user_agents == {USER_AGENT}
    assert re.fullmatch(r"citebot/\S+ \(\+https://github\.com/citebot\)", USER_AGENT)


def test_text_and_markdown_urls_are_read_as_files_are(site: Site, store: ArticleStore) -> None:
    """A raw `.md` link used to be refused as "not an HTML page, feed or sitemap"."""
    site.add(
        "/raw/ferry.md",
        b"# Harbour ferry timetable\n\nThe ferry leaves the north pier at nine.\n",
        "text/markdown; charset=utf-8",
    )
    site.add(
        "/raw/tea.txt",
        f"> link: {site.base}/posts/tea\n\n茶园在五月采茶。\n".encode("gb18030"),
        "text/plain; charset=gbk",
    )
    timeline = (FIXTURES / "reader" / "timeline.txt").read_bytes()
    site.add("/raw/timeline.txt", timeline, "text/plain")
    urls = [f"{site.base}/raw/ferry.md", f"{site.base}/raw/tea.txt", f"{site.base}/raw/timeline.txt"]

    report = _ingest(urls, store)

    assert report.articles == 2
    assert [(s.path, s.reason) for s in report.skipped] == [
        (urls[2], "a list of 3 posts in one text file: save it and ingest the file")
    ]
    records = _by_url(store)
    ferry = records[urls[0]]
    assert ferry.title == "Harbour ferry timetable"
    assert store.article_texts([ferry.article_id])[ferry.article_id] == (
        "The ferry leaves the north pier at nine."
    )
    tea = records[f"{site.base}/posts/tea"]  # its header's link, on the same site
    assert store.article_texts([tea.article_id])[tea.article_id] == "茶园在五月采茶。"


def test_an_unchanged_page_is_revalidated_and_adds_nothing(site: Site, store: ArticleStore) -> None:
    url = site.base + CANONICAL["en"]
    first = _ingest([url], store)
    second = _ingest([url], store)

    assert first.chunks_added > 0
    assert (second.articles, second.chunks_added, second.chunks_unchanged) == (
        1,
        0,
        first.chunks_added,
    )
    etag = site.pages[CANONICAL["en"]][1]["ETag"]
    assert site.requests[-1][1].get("If-None-Match") == etag  # answered 304 by the site


def test_a_changed_page_replaces_its_chunks(site: Site, store: ArticleStore) -> None:
    site.add_page("/tide", "changing-v1.html")
    first = _ingest([f"{site.base}/tide"], store)
    site.add_page("/tide", "changing-v2.html")
    second = _ingest([f"{site.base}/tide"], store)

    assert second.chunks_added > 0 and second.chunks_removed == first.chunks_added
    (record,) = store.articles()
    assert record.url == f"{site.base}/posts/tide-notice"
    assert "online only" in store.article_texts([record.article_id])[record.article_id]


def test_a_page_without_validators_is_compared_by_content_hash(
    site: Site, store: ArticleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.add_page("/plain", "en-bridge.html", etag=False)
    reads: list[str] = []
    real_read = page_reader.read_html_article
    monkeypatch.setattr(
        page_reader, "read_html_article", lambda html, *a: reads.append(a[0]) or real_read(html, *a)
    )
    _ingest([f"{site.base}/plain"], store)
    second = _ingest([f"{site.base}/plain"], store)

    assert len(reads) == 1  # the same bytes are not extracted again
    assert second.articles == 1 and second.chunks_added == 0 and second.chunks_unchanged > 0


def test_a_forgotten_article_is_fetched_again_whatever_the_cache_says(
    site: Site, store: ArticleStore
) -> None:
    url = site.base + CANONICAL["bridge"]
    _ingest([url], store)
    (record,) = store.articles()
    store.forget(record.article_id)
    again = _ingest([url], store)

    assert "If-None-Match" not in site.requests[-1][1]
    assert again.chunks_added == record.chunks and store.article_count() == 1


# --- feeds and sitemaps ------------------------------------------------------------------------

def test_every_feed_entry_is_ingested_once(site: Site, store: ArticleStore) -> None:
    first = _ingest([f"{site.base}/feed.xml"], store)
    seen_before = len(site.requests)
    second = _ingest([f"{site.base}/feed.xml"], store)

    assert first.skipped == [] and first.articles == 3
    assert set(_by_url(store)) == {site.base + path for path in CANONICAL.values()}
    assert second.articles == 3 and second.chunks_added == 0
    assert second.chunks_unchanged == first.chunks_added
    # The feed answered 304 and its entries' dates are unchanged: no page was requested.
    assert site.paths()[seen_before:] == ["/feed.xml"]


def test_atom_feeds_and_feeds_served_as_text_are_recognised(site: Site, store: ArticleStore) -> None:
    report = _ingest([f"{site.base}/atom.xml", f"{site.base}/feed-as-text"], store)

    assert report.skipped == [] and store.article_count() == 3
    assert report.articles == 3  # the bridge is in both feeds but fetched once


def test_sitemap_indexes_lead_to_sitemaps_and_their_pages(site: Site, store: ArticleStore) -> None:
    first = _ingest([f"{site.base}/sitemap-index.xml"], store)
    seen_before = len(site.requests)
    second = _ingest([f"{site.base}/sitemap-index.xml"], store)

    assert first.skipped == [] and first.articles == 2
    assert set(_by_url(store)) == {site.base + CANONICAL["en"], site.base + CANONICAL["bridge"]}
    assert second.chunks_added == 0 and second.articles == 2
    # lastmod unchanged: only the index itself is fetched again (it has no validators).
    assert site.paths()[seen_before:] == ["/sitemap-index.xml"]


def test_a_sitemap_fan_out_stops_at_the_fetch_budget(site: Site, tmp_path: Path) -> None:
    store = _store(make_settings(tmp_path, fetch_budget=4))
    index = "".join(f"<sitemap><loc>{site.base}/s{n}.xml</loc></sitemap>" for n in (1, 2))
    site.add("/index.xml", f"<sitemapindex>{index}</sitemapindex>".encode(), "text/xml")
    pages = {"/s1.xml": ["en", "zh"], "/s2.xml": ["bridge"]}
    for path, keys in pages.items():
        urls = "".join(f"<url><loc>{site.base}{CANONICAL[k]}</loc></url>" for k in keys)
        site.add(path, f"<urlset>{urls}</urlset>".encode(), "text/xml")

    report = _ingest([f"{site.base}/index.xml"], store)

    assert [(s.path, s.reason) for s in report.skipped] == [
        (
            f"{site.base}/index.xml",
            "stopped after 4 pages (CITEBOT_FETCH_BUDGET=4): 1 more link not followed",
        )
    ]
    assert site.paths() == ["/index.xml", "/s1.xml", CANONICAL["en"], CANONICAL["zh"]]
    assert report.articles == 2


# --- failures ----------------------------------------------------------------------------------

def test_each_bad_url_is_reported_and_the_batch_goes_on(site: Site, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, http_timeout_s=1.0, max_download_mb=0.1)
    store = _store(settings)
    bad = {
        "/missing": r"HTTP 404 Not Found",
        "/broken": r"HTTP 500 .*server error",
        "/pixel.png": r"content type image/png",
        "/download": r"content type application/octet-stream",
        "/mislabeled": r"binary",
        "/huge": r"too large \(over CITEBOT_MAX_DOWNLOAD_MB=0\.1 MB\)",
        "/huge-declared": r"too large \(50\.0 MB declared",
        "/slow": r"timed out after 1 s",
        "/drip": r"timed out after 3 s \(download too slow\)",
        "/loop": r"too many redirects",
    }
    urls = [site.base + path for path in bad] + [site.base + CANONICAL["en"], "ftp://x/y"]

    report = _ingest(urls, store)

    reasons = {s.path: s.reason for s in report.skipped}
    for path, pattern in bad.items():
        assert re.search(pattern, reasons.pop(site.base + path)), (path, pattern)
    assert reasons == {"ftp://x/y": "not an http(s) URL"}
    assert report.articles == 1 and store.article_count() == 1


# --- what held against hostile input: a test each, so it keeps holding -------------------------

def test_a_redirect_chain_is_followed_to_its_end_within_the_limit(
    site: Site, store: ArticleStore
) -> None:
    for hop in range(1, 5):  # /hop1 → /hop2 → … → /hop5 → the article: 5 redirects
        site.redirect(f"/hop{hop}", f"/hop{hop + 1}", status=302 if hop % 2 else 307)
    site.redirect("/hop5", CANONICAL["bridge"], status=308)
    site.redirect("/long1", "/long2")
    for hop in range(2, 7):
        site.redirect(f"/long{hop}", f"/long{hop + 1}")

    report = _ingest([f"{site.base}/hop1", f"{site.base}/long1"], store)

    assert report.articles == 1
    assert [(s.path, s.reason) for s in report.skipped] == [
        (f"{site.base}/long1", "too many redirects (more than 5)")
    ]


def test_a_page_of_a_hundred_thousand_nested_tags_is_handled(
    site: Site, store: ArticleStore
) -> None:
    body = b"<html><body>" + b"<div>" * 100_000 + b"deep" + b"</div>" * 100_000 + b"</body></html>"
    site.add("/nested", body, "text/html")
    report = _ingest([f"{site.base}/nested", site.base + CANONICAL["en"]], store)

    # The page is read or refused with a reason; either way the batch goes on.
    assert report.articles + len(report.skipped) == 2
    assert site.base + CANONICAL["en"] in _by_url(store)


def test_a_feed_of_ten_thousand_entries_is_capped_at_a_thousand(
    site: Site, tmp_path: Path
) -> None:
    store = _store(make_settings(tmp_path, fetch_budget=3))  # the cap, not the fetching, is tested
    items = "".join(f"<item><link>{site.base}/e/{n}</link></item>" for n in range(10_000))
    feed = f"<rss version='2.0'><channel><title>t</title>{items}</channel></rss>"
    site.add("/big-feed.xml", feed.encode(), "application/rss+xml")

    report = _ingest([f"{site.base}/big-feed.xml"], store)

    reasons = [s.reason for s in report.skipped if s.path == f"{site.base}/big-feed.xml"]
    assert "only the first 1000 of 10000 links were followed" in reasons
    assert "stopped after 3 pages (CITEBOT_FETCH_BUDGET=3): 998 more links not followed" in reasons
    assert site.paths() == ["/big-feed.xml", "/e/0", "/e/1"]


def test_a_sitemap_index_that_lists_itself_is_read_once(site: Site, store: ArticleStore) -> None:
    index = (
        f"<sitemapindex><sitemap><loc>{site.base}/self.xml</loc></sitemap>"
        f"<sitemap><loc>{site.base}/sitemap.xml</loc></sitemap></sitemapindex>"
    )
    site.add("/self.xml", index.encode(), "text/xml")
    report = _ingest([f"{site.base}/self.xml"], store)

    assert report.skipped == [] and report.articles == 2
    assert site.paths().count("/self.xml") == 1


_SECRET_FILE_TEXT = "root:x:0:0"


@pytest.mark.parametrize("kind", ["sitemap", "feed"])
def test_external_entities_and_billion_laughs_are_not_expanded(
    site: Site, store: ArticleStore, tmp_path: Path, kind: str
) -> None:
    secret = tmp_path / "passwd"
    secret.write_text(_SECRET_FILE_TEXT)
    # l9 would expand to 10⁹ "lol"s.
    laughs = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10)
    )
    doctype = f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret}">{laughs}]>'
    if kind == "sitemap":
        body = f"<?xml version='1.0'?>{doctype}<urlset><url><loc>{site.base}/x?&xxe;&l9;</loc></url></urlset>"
        site.add("/evil.xml", body.encode(), "application/xml")
    else:
        body = (
            f"<?xml version='1.0'?>{doctype}<rss version='2.0'><channel><title>&xxe;&l9;</title>"
            f"<item><link>{site.base}/x?&xxe;&l9;</link></item></channel></rss>"
        )
        site.add("/evil.xml", body.encode(), "application/rss+xml")

    report = _ingest([f"{site.base}/evil.xml"], store)

    requested = " ".join(site.paths())
    assert _SECRET_FILE_TEXT not in requested and "lollollol" not in requested
    assert len(requested) < 1000
    assert all(_SECRET_FILE_TEXT not in s.reason for s in report.skipped)


def test_a_utf16_page_without_a_bom_is_read(site: Site, store: ArticleStore) -> None:
    page = site.fixture("en-bridge.html").decode("utf-8")
    site.add("/utf16", page.encode("utf-16-le"), "text/html")  # no charset, no BOM
    report = _ingest([f"{site.base}/utf16"], store)

    assert report.skipped == [] and report.articles == 1
    (record,) = store.articles()
    assert "Copper Creek" in record.title


# --- the private-address guard -----------------------------------------------------------------

@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1", "172.16.0.1", "192.168.1.1", "127.0.0.1", "0.0.0.0", "100.64.0.1",
        "169.254.169.254", "168.63.129.16", "100.100.100.200", "224.0.0.1", "240.0.0.1",
        "::1", "::", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1",
        "::ffff:127.0.0.1", "64:ff9b::a00:1", "2002:a00:1::",
    ],
)
def test_non_public_addresses_have_a_reason(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700:4700::1111", "64:ff9b::5db8:d822"])
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


class StubResolver:
    """Host name → addresses, counting lookups; unknown names do not resolve."""

    def __init__(self, table: dict[str, list[str] | Callable[[], list[str]]]) -> None:
        self.table = table
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answer = self.table.get(host)
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answer() if callable(answer) else list(answer)


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every outgoing connection; anything but loopback fails the test before it is made."""
    made: list[tuple[str, int]] = []
    real = socket.create_connection

    def guarded(address: tuple[str, int], *args: object, **kwargs: object) -> socket.socket:
        made.append(address)
        assert ipaddress.ip_address(address[0]).is_loopback, f"traffic to {address}"
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", guarded)
    return made


def _loopback_counts_as_public(ip: IPAddress) -> str | None:
    """A policy for tests: the local site plays a public web site."""
    return None if ip == ipaddress.ip_address("127.0.0.1") else address_problem(ip)


def test_private_and_metadata_addresses_are_refused(
    store: ArticleStore, connections: list[tuple[str, int]]
) -> None:
    resolver = StubResolver(
        {
            "intranet.test": ["10.0.0.1"],
            "metadata.test": ["169.254.169.254"],
            "loopback6.test": ["::1"],
            "mapped.test": ["::ffff:192.168.1.5"],
            "mixed.test": ["93.184.216.34", "172.16.0.9"],  # one bad address is enough
        }
    )
    client = GuardedClient(timeout_s=5, max_bytes=100_000, resolver=resolver)
    urls = [f"http://{host}/page" for host in resolver.table]
    report = ingest_urls(urls, store, allow_private=False, client=client)

    reasons = {s.path: s.reason for s in report.skipped}
    assert "10.0.0.1, a private address" in reasons["http://intranet.test/page"]
    metadata = reasons.pop("http://metadata.test/page")
    assert "a cloud metadata address (never fetched)" in metadata
    assert "::1, a loopback address" in reasons["http://loopback6.test/page"]
    assert "a private address" in reasons["http://mapped.test/page"]
    assert "172.16.0.9" in reasons["http://mixed.test/page"]
    assert all("CITEBOT_ALLOW_PRIVATE_URLS=1" in r for r in reasons.values())
    assert connections == [] and store.article_count() == 0


def test_address_literals_are_refused_however_they_are_written(
    site: Site, store: ArticleStore, connections: list[tuple[str, int]]
) -> None:
    urls = [
        site.base + CANONICAL["en"],
        f"http://[::1]:{site.port}/",
        "http://169.254.169.254/latest/meta-data/",
        f"http://2130706433:{site.port}/",  # 127.0.0.1 as one decimal number
    ]
    report = ingest_urls(urls, store, allow_private=False)

    assert [s.path for s in report.skipped] == urls
    assert all(s.reason.startswith("refused:") for s in report.skipped)
    assert connections == [] and site.requests == []


def test_the_operator_may_fetch_private_urls(site: Site, store: ArticleStore) -> None:
    report = ingest_urls([site.base + CANONICAL["en"]], store, allow_private=True)

    assert report.skipped == [] and report.articles == 1


def test_every_redirect_hop_is_checked(
    site: Site, store: ArticleStore, connections: list[tuple[str, int]]
) -> None:
    site.redirect("/to-internal", f"http://intranet.test:{site.port}/admin", status=302)
    resolver = StubResolver({"public.test": ["127.0.0.1"], "intranet.test": ["10.0.0.1"]})
    client = GuardedClient(
        timeout_s=5, max_bytes=100_000, resolver=resolver, policy=_loopback_counts_as_public
    )
    report = ingest_urls([f"http://public.test:{site.port}/to-internal"], store, client=client)

    (skipped,) = report.skipped
    assert "refused: intranet.test resolves to 10.0.0.1" in skipped.reason
    assert site.paths() == ["/to-internal"]  # the first hop was made, the second was not
    assert {ip for ip, _ in connections} == {"127.0.0.1"}


def test_links_on_a_public_site_never_lead_into_the_private_network(
    site: Site, store: ArticleStore, connections: list[tuple[str, int]]
) -> None:
    feed = (
        b"<rss version='2.0'><channel><title>t</title>"
        + f"<item><link>http://public.test:{site.port}{CANONICAL['bridge']}</link></item>".encode()
        + f"<item><link>http://intranet.test:{site.port}/secret</link></item>".encode()
        + b"</channel></rss>"
    )
    site.add("/mixed-feed.xml", feed, "application/rss+xml")
    resolver = StubResolver({"public.test": ["127.0.0.1"], "intranet.test": ["10.0.0.1"]})
    client = GuardedClient(
        timeout_s=5,
        max_bytes=100_000,
        allow_private=True,  # the operator's CLI: still strict below a public URL
        resolver=resolver,
        policy=_loopback_counts_as_public,
    )
    report = ingest_urls(
        [f"http://public.test:{site.port}/mixed-feed.xml"], store, allow_private=True, client=client
    )

    assert report.articles == 1
    assert [s.path for s in report.skipped] == [f"http://intranet.test:{site.port}/secret"]
    assert "10.0.0.1" in report.skipped[0].reason


def test_a_host_keeps_the_address_it_was_checked_with(
    site: Site, store: ArticleStore, connections: list[tuple[str, int]]
) -> None:
    answers = iter([["127.0.0.1"], ["10.0.0.1"], ["10.0.0.1"]])  # a rebinding DNS server
    resolver = StubResolver({"rebind.test": lambda: next(answers)})
    client = GuardedClient(
        timeout_s=5, max_bytes=100_000, resolver=resolver, policy=_loopback_counts_as_public
    )
    urls = [f"http://rebind.test:{site.port}{CANONICAL[k]}" for k in ("en", "bridge")]
    report = ingest_urls(urls, store, client=client)

    assert report.skipped == [] and report.articles == 2
    assert resolver.calls == ["rebind.test"]


def test_allowing_private_addresses_never_allows_metadata_ones(
    site: Site, store: ArticleStore, connections: list[tuple[str, int]]
) -> None:
    site.redirect("/to-metadata", f"http://metadata.test:{site.port}/latest/meta-data/", 302)
    site.redirect("/to-link-local", f"http://[fe80::1]:{site.port}/", 302)
    resolver = StubResolver(
        {"127.0.0.1": ["127.0.0.1"], "metadata.test": ["169.254.169.254"], "fe80::1": ["fe80::1"]}
    )
    client = GuardedClient(timeout_s=5, max_bytes=100_000, allow_private=True, resolver=resolver)
    urls = [f"{site.base}/to-metadata", f"{site.base}/to-link-local"]
    report = ingest_urls(urls, store, allow_private=True, client=client)

    reasons = [s.reason for s in report.skipped]
    assert len(reasons) == 2
    assert "169.254.169.254, a cloud metadata address (never fetched)" in reasons[0]
    assert "fe80::1, a link-local address (never fetched)" in reasons[1]
    assert {ip for ip, _ in connections} == {"127.0.0.1"}


def test_each_redirect_hop_is_judged_on_its_own(
    site: Site, store: ArticleStore, connections: list[tuple[str, int]]
) -> None:
    """Private → public → private: the public host cannot send citebot back inside."""
    public = Site(host="127.0.0.2").start()
    try:
        site.redirect("/out", f"http://public.test:{public.port}/bounce", 302)
        public.redirect("/bounce", f"{site.base}{CANONICAL['en']}", 302)
        site.redirect("/inside", CANONICAL["bridge"], 302)
        resolver = StubResolver({"127.0.0.1": ["127.0.0.1"], "public.test": ["127.0.0.2"]})
        client = GuardedClient(
            timeout_s=5,
            max_bytes=100_000,
            allow_private=True,
            resolver=resolver,
            policy=lambda ip: None if str(ip) == "127.0.0.2" else address_problem(ip),
        )
        report = ingest_urls(
            [f"{site.base}/out", f"{site.base}/inside"], store, allow_private=True, client=client
        )
    finally:
        public.stop()

    (skipped,) = report.skipped
    assert skipped.path == f"{site.base}/out"
    assert "refused: 127.0.0.1 resolves to 127.0.0.1, a loopback address" in skipped.reason
    assert public.paths() == ["/bounce"]
    # A private host's own redirect stays inside: followed.
    assert report.articles == 1 and site.paths() == ["/out", "/inside", CANONICAL["bridge"]]


def test_a_public_sitemap_listed_by_a_private_index_gets_no_private_trust(
    site: Site, store: ArticleStore, connections: list[tuple[str, int]]
) -> None:
    public = Site(host="127.0.0.2").start()
    try:
        index = f"<sitemapindex><sitemap><loc>http://public.test:{public.port}/s.xml</loc>"
        site.add("/index.xml", f"{index}</sitemap></sitemapindex>".encode(), "text/xml")
        inside = f"<urlset><url><loc>{site.base}{CANONICAL['en']}</loc></url></urlset>"
        public.add("/s.xml", inside.encode(), "text/xml")
        resolver = StubResolver({"127.0.0.1": ["127.0.0.1"], "public.test": ["127.0.0.2"]})
        client = GuardedClient(
            timeout_s=5,
            max_bytes=100_000,
            allow_private=True,
            resolver=resolver,
            policy=lambda ip: None if str(ip) == "127.0.0.2" else address_problem(ip),
        )
        report = ingest_urls([f"{site.base}/index.xml"], store, allow_private=True, client=client)
    finally:
        public.stop()

    (skipped,) = report.skipped
    assert skipped.path == site.base + CANONICAL["en"] and "a loopback address" in skipped.reason
    assert site.paths() == ["/index.xml"] and public.paths() == ["/s.xml"]


# --- hostile responses: bounded memory and time --------------------------------------------------

_BOMB_MB = 1024  # what each bomb expands to


def _deflate_bomb(megabytes: int) -> bytes:
    """Raw deflate data expanding to `megabytes` MB of zeros, built in milliseconds: after a
    full flush the compressor starts afresh, so every 1 MB block compresses to the same bytes."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    block = compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return block * megabytes + compressor.flush()


def _gzip(deflated: bytes) -> bytes:
    # The trailer's CRC is never reached by a bounded reader: zeros will do.
    return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + deflated + bytes(8)


def _bomb(encoding: str) -> bytes:
    if encoding == "zstd":
        zstandard = pytest.importorskip("zstandard")
        frame = zstandard.ZstdCompressor(level=1).compress(bytes(64 << 20))
        return frame * (_BOMB_MB // 64)
    inner = _gzip(_deflate_bomb(_BOMB_MB))
    if encoding == "gzip, gzip":
        return gzip.compress(inner)
    return inner if encoding == "gzip" else _deflate_bomb(_BOMB_MB)


_PEAK_RSS = """
import json, resource, sys
from ingest.fetch import FetchError, GuardedClient

client = GuardedClient(timeout_s=10, max_bytes=2_000_000, allow_private=True)
client.fetch(sys.argv[1] + "/warm-up", private_ok=True)  # imports and connection pool ready
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    client.fetch(sys.argv[1] + "/bomb", private_ok=True)
    reason = None
except FetchError as exc:
    reason = str(exc)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"reason": reason, "growth_mb": (after - before) / 1024}))
"""


@pytest.mark.parametrize(
    ("encoding", "reason"),
    [
        ("gzip", r"too large \(over CITEBOT_MAX_DOWNLOAD_MB=2 MB\)"),
        ("deflate", r"too large \(over CITEBOT_MAX_DOWNLOAD_MB=2 MB\)"),
        ("gzip, gzip", r"refused: stacked content encodings \(gzip, gzip\)"),
        ("zstd", r"refused: unsupported content encoding 'zstd'"),
    ],
)
def test_a_compression_bomb_never_makes_citebot_hold_more_than_the_cap(
    site: Site, encoding: str, reason: str
) -> None:
    """Each body expands to 1 GB; the fetching process grows by the 2 MB cap and a little."""
    body = _bomb(encoding)
    assert len(body) < 2_000_000  # under the cap as sent: only decoding can exceed it
    site.add("/bomb", body, "text/html", **{"Content-Encoding": encoding})
    site.add("/warm-up", b"<html><body><p>warm</p></body></html>", "text/html")
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS, site.base],
        cwd=REPO,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout)
    assert re.search(reason, measured["reason"] or ""), measured
    assert measured["growth_mb"] < 32, measured  # 1 GB without a bound on the decoder


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", lambda page: gzip.compress(page[:500]) + gzip.compress(page[500:])),  # 2 members
        ("deflate", zlib.compress),  # zlib-wrapped, as the standard says
        ("deflate", _raw_deflate),  # raw, as many servers send it
        ("identity", lambda page: page),
    ],
)
def test_compressed_pages_are_read(
    site: Site, store: ArticleStore, encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    site.add("/packed", encode(site.fixture("en-bridge.html")), "text/html", **{"Content-Encoding": encoding})
    report = _ingest([f"{site.base}/packed"], store)

    assert report.skipped == [] and report.articles == 1
    assert site.requests[0][1].get("Accept-Encoding") == "gzip, deflate"


def test_one_deadline_covers_the_headers_too(site: Site, tmp_path: Path) -> None:
    """Each header byte arrives well within the read timeout, but the fetch must end."""
    store = _store(make_settings(tmp_path, http_timeout_s=0.3))
    report = _ingest([f"{site.base}/trickle-headers"], store)

    (skipped,) = report.skipped
    assert skipped.reason == "timed out after 0.9 s (download too slow)"
    assert not site.headers_trickled.is_set()  # it gave up while the headers still came
    assert store.article_count() == 0


# --- citebot watch -----------------------------------------------------------------------------

def test_watch_once_refreshes_the_configured_feeds(site: Site, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, feeds=f"{site.base}/feed.xml")
    store = _store(settings)

    assert run_watch(settings, once=True, store=store) == 0
    assert store.article_count() == 3


def test_watch_refreshes_incrementally_until_stopped(site: Site, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, feeds=f"{site.base}/feed.xml", watch_interval_min=0.001)
    store = _store(settings)
    stop = threading.Event()
    result: list[int] = []
    watcher = threading.Thread(target=lambda: result.append(run_watch(settings, False, store=store, stop=stop)))
    watcher.start()
    deadline = time.monotonic() + 60
    while site.paths().count("/feed.xml") < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    chunks = store.chunk_count()
    stop.set()
    watcher.join(timeout=60)

    assert site.paths().count("/feed.xml") >= 3
    assert result == [0] and store.article_count() == 3 and store.chunk_count() == chunks
    pages = [p for p in site.paths() if p != "/feed.xml"]
    assert len(pages) == 4  # each entry once (the first through its redirect), never again


def test_watch_without_feeds_says_so(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_watch(settings, once=True) == 2
    assert "CITEBOT_FEEDS" in capsys.readouterr().err


@pytest.mark.slow
def test_watch_stops_cleanly_on_ctrl_c(site: Site, tmp_path: Path) -> None:
    env = clean_env(
        CITEBOT_CHROMA_PATH=str(tmp_path / "chroma"),
        CITEBOT_FEEDS=f"{site.base}/gone.xml",  # a 404: nothing to embed
    )
    watcher = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "watch"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell's background jobs ignore SIGINT; the terminal's Ctrl-C does not.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        assert watcher.stdout is not None
        assert watcher.stdout.readline().startswith("refreshed 0 articles")
        watcher.send_signal(signal.SIGINT)
        _, err = watcher.communicate(timeout=60)
    finally:
        if watcher.poll() is None:
            watcher.kill()
    assert watcher.returncode == 0
    assert "HTTP 404" in err and err.rstrip().endswith("citebot watch: stopped")


# --- done: the CLI ingests a feed, and the answer quotes an entry by its canonical URL ---------

@pytest.mark.slow
def test_cli_ingests_a_feed_once_and_answers_with_the_canonical_link(
    site: Site, tmp_path: Path
) -> None:
    chroma = tmp_path / "chroma"
    env = clean_env(CITEBOT_CHROMA_PATH=str(chroma))

    def ingest() -> dict[str, object]:
        done = run_cli(
            "ingest", f"{site.base}/feed.xml", "--json", cwd=tmp_path, env=env, timeout=600
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    first, second = ingest(), ingest()

    assert first["articles"] == 3 and first["chunks_added"] > 0 and first["skipped"] == []
    assert second["articles"] == 3 and second["chunks_added"] == 0

    from retrieval import Answerer

    answer = Answerer(make_settings(tmp_path, chroma_path=chroma)).ask(
        "When did the Port Ellis lighthouse switch to solar power?"
    )
    assert answer.confident and answer.quotes
    assert answer.quotes[0].url.startswith(site.base + CANONICAL["en"])
    assert "March 18, 2024" in " ".join(q.text for q in answer.quotes)
