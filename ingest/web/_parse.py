"""Reading fetched documents: a page into an `Article`, a feed or a sitemap into its links.

Each is parsed by a maintained library (trafilatura through `ingest.reader` for pages,
feedparser for feeds, lxml with entities and DTDs off for sitemaps); here is only what
citebot adds: charset detection for pages, the canonical link a page may claim (believed on
its own site only), and links made absolute, http(s) only, without fragments.
"""

from __future__ import annotations

import io
import re
from dataclasses import replace
from urllib.parse import urljoin, urlsplit

from ingest.documents import document_format, read_document
from ingest.fetch import FetchResult
from ingest.models import Article
from ingest.reader import UnreadableArticle, decode_bytes, read_html_article

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

