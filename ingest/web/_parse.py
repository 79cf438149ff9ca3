"""Reading fetched documents: a page into an `Article`, a feed or a sitemap into its links.

Each is parsed by a maintained library (trafilatura through `ingest.reader` for pages,
feedparser for feeds, lxml with entities and DTDs off for sitemaps); here is only what
citebot adds: the page's declared charset (`ingest.encodings.decode_html`), the canonical
link a page may claim (believed on its own site only), and links made absolute, http(s)
only, without fragments.
"""

from __future__ import annotations

import io
from dataclasses import replace
from urllib.parse import urljoin, urlsplit

from ingest.documents import document_format, read_document
from ingest.encodings import decode_html
from ingest.fetch import FetchResult
from ingest.models import Article
from ingest.reader import UnreadableArticle, read_html_article, read_text_articles
from ingest.web._kinds import TEXT_TYPES


def _same_site(a: str, b: str) -> bool:
    host_a = (urlsplit(a).hostname or "").removeprefix("www.")
    host_b = (urlsplit(b).hostname or "").removeprefix("www.")
    return bool(host_a) and host_a == host_b


def read_page(result: FetchResult) -> Article:
    """The article on a fetched HTML page (or PDF, Word, text or markdown file); its link is
    the page's canonical URL (a text file's `> link:`).

    A canonical URL on another site is not believed (a page could otherwise claim another
    site's article and replace its chunks): then the fetched URL is the link.
    """
    fetched = result.final_url.split("#", 1)[0]
    file_format = document_format(media_type=result.content_type, body=result.body)
    if file_format:
        return read_document(result.body, fetched, file_format, url=fetched)
    text = decode_html(result.body, result.charset)
    if not text.strip():
        raise UnreadableArticle("empty page")
    if result.content_type in TEXT_TYPES:
        article = _text_file(text, fetched)
    else:
        article = read_html_article(text, fetched, fetched)
    link = (article.url or "").split("#", 1)[0]
    if not link or not _same_site(link, fetched):
        link = fetched
    return replace(article, url=link, source_key=link)


def _text_file(text: str, fetched: str) -> Article:
    """The article of a text or markdown file fetched from `fetched`, read as a file is
    (`> link:` header or front matter, `# heading`). A URL is one article: a file that is a
    listing of several dated posts is refused, to be ingested as a file instead."""
    articles = read_text_articles(text, fetched, key=fetched)
    if len(articles) > 1:
        raise UnreadableArticle(
            f"a list of {len(articles)} posts in one text file: save it and ingest the file"
        )
    return replace(articles[0], url=articles[0].url or fetched)


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

