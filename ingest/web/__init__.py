"""Web ingestion: article URLs, RSS/Atom feeds and sitemaps into the store, incrementally.

`citebot ingest URL...`, the chat `/ingest` command and `citebot watch` all call
`ingest_urls`. A URL is fetched through `ingest.fetch.GuardedClient` (timeouts, size cap,
limited redirects, the private-address guard), recognised as an HTML page, a feed or a
sitemap by its content type and its first bytes, and every page becomes an `Article` through
`read_html_article` (a PDF or Word file through `ingest.documents`), then goes through
`ingest_articles`, the same path as files: ids come from content, so an unchanged page adds nothing and a changed one replaces its chunks
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

One module per part: `_kinds` (what a fetched URL is), `_parse` (pages, feeds and sitemaps
read), `_cache` (what was fetched before), `_walk` (`ingest_urls`: the batch, the links it
follows and the private-address rule for them), `_watch` (the `citebot watch` loop);
the client itself is `ingest.fetch`.
"""

from ingest.web._cache import SeenURL, WebCache
from ingest.web._kinds import FEED, HTML, SITEMAP, detect_kind
from ingest.web._parse import parse_feed, parse_sitemap, read_page
from ingest.web._walk import MAX_LINKS, MAX_SITEMAP_DEPTH, ingest_urls
from ingest.web._watch import watch_feeds

__all__ = [
    "FEED",
    "HTML",
    "MAX_LINKS",
    "MAX_SITEMAP_DEPTH",
    "SITEMAP",
    "SeenURL",
    "WebCache",
    "detect_kind",
    "ingest_urls",
    "parse_feed",
    "parse_sitemap",
    "read_page",
    "watch_feeds",
]
