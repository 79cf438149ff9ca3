"""Web ingestion against a local HTTP server: pages, feeds, sitemaps, failures, the address guard.

The server (127.0.0.1, port 0, a thread) serves the small pages in tests/fixtures/web/, with
`{{BASE}}` replaced by its own address. Host names other than 127.0.0.1 only ever exist in
resolver stubs: no test sends traffic anywhere but the loopback interface (a guard on
`socket.create_connection` checks it in the address tests).
"""

from __future__ import annotations

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
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import ingest.web as web
from config import Settings
from ingest import ArticleStore, IngestReport
from ingest.fetch import USER_AGENT, GuardedClient, IPAddress, address_problem
from ingest.web import detect_kind, ingest_urls, run_watch
from tests.support.cli import clean_env, run_cli
from tests.support.embeddings import HashEmbeddings
from tests.support.settings import FIXTURES, make_settings

WEB = FIXTURES / "web"
CANONICAL = {
    "en": "/posts/lighthouse-solar",
    "zh": "/posts/yunling-tea-drones",
    "bridge": "/posts/copper-creek-bridge",
}


# --- a tiny site on 127.0.0.1 -------------------------------------------------------------------

class Site:
    """Static pages (path → status, headers, body) plus a few misbehaving endpoints."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.release = threading.Event()  # set at teardown: frees blocked handlers
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"

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
        ("text/plain", b"just words", None),
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
    real_read = web.read_html_article
    monkeypatch.setattr(
        web, "read_html_article", lambda html, *a: reads.append(a[0]) or real_read(html, *a)
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
    assert "a cloud metadata address" in reasons["http://metadata.test/page"]
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
