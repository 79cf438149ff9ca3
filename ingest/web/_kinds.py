"""What a fetched URL is: an HTML page (or a PDF/Word file or a text/markdown file, read like
one), a feed or a sitemap, judged by its content type and its first element.

The body wins over the header, since servers often send feeds as text/html or text/plain.
"""

from __future__ import annotations

import re

from ingest.documents import document_format

HTML, FEED, SITEMAP = "html", "feed", "sitemap"
SITEMAP_INDEX = "sitemapindex"  # a cache record kind; detected as SITEMAP
KIND_NAMES = {HTML: "an HTML page", FEED: "a feed", SITEMAP: "a sitemap"}

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
# A text or markdown file served as such (a raw link to a repository's `.md`): read as the
# same file on disk is (`ingest.web._parse.read_page`).
TEXT_TYPES = frozenset({"text/plain", "text/markdown", "text/x-markdown"})


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
    if content_type in _HTML_TYPES or content_type in TEXT_TYPES:
        return HTML  # a page that does not start with <html>, or a text file
    return None

