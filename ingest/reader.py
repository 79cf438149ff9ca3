"""Reading article files: bytes → text (any common encoding, `ingest.encodings`) → one or
more `Article`s.

Supported: `.txt`, `.md`, `.markdown` (plain or markdown, with the optional `> id:` /
`> link:` / `> title:` header and `_Published on …_` line), `.html`/`.htm` (title, canonical
link, date and main text by trafilatura). A listing page that holds several posts (title,
body, then a `Month D, YYYY · N min · author` line) becomes one article per post. `.pdf` and
`.docx` files are read by `ingest.documents` (pages, properties, text rebuilt for quoting).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

from ingest.cleaning import clean_markdown, normalise
from ingest.encodings import decode_bytes
from ingest.models import Article, UnreadableArticle
from ingest.text import content_id, format_size, hide_credentials

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}


# --- links -------------------------------------------------------------------------------------

_HOST_LABEL = re.compile(r"^(?!-)[\w-]{1,63}(?<!-)$")


def link_problem(url: str) -> str | None:
    """Why `url` cannot be an article's link, or None: only http(s) URLs with a real host name.

    `javascript:` and `data:` links, credentials (`https://bank.example@evil.example/` goes to
    evil.example), spaces, control characters and malformed hosts or ports are refused.
    """
    if any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in url):
        return "spaces or control characters in the link"
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"}:
        return "not an http(s) link"
    if "@" in parts.netloc:
        return "a link with user info (the host is what follows the @)"
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return "a malformed port"
    host = parts.hostname or ""
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    labels = host.rstrip(".").split(".")
    if not host or "_" in host or not all(_HOST_LABEL.match(label) for label in labels):
        return "no valid host name"
    return None


# --- text and markdown articles -------------------------------------------------------------

_HEADER_LINE = re.compile(r"^>\s*(id|link|title|url|date|published|author)\s*:\s*(.*?)\s*$", re.I)
_PUBLISHED_LINE = re.compile(
    r"^\s*[_*]*\s*(?:Published(?: on)?|发布于|發布於|发布时间|發佈時間)\s*[:：]?\s*(.+?)\s*[_*]*\s*$",
    re.I,
)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_LISTING_DATE = re.compile(
    r"^\s*(?P<date>(?:January|February|March|April|May|June|July|August|September|October|"
    r"November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.? \d{1,2}, \d{4}"
    r"|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{4}年\d{1,2}月\d{1,2}日)\s*·.*$"
)


@dataclass
class _Meta:
    title: str | None = None
    url: str | None = None
    published: str | None = None
    author: str | None = None


def parse_date(value: str) -> str | None:
    """An ISO date (YYYY-MM-DD) from the date formats articles carry, or None."""
    value = value.strip().strip("_*").strip()
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).date().isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    for fmt in (
        "%B %d, %Y",
        "%b %d, %Y",
        "%b. %d, %Y",
        "%Y-%m-%d",
        "%Y/%m/%d",
        "%Y.%m.%d",
        "%Y年%m月%d日",
    ):
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    match = re.match(r"(\d{4}-\d{2}-\d{2})", value)
    return match.group(1) if match else None


def read_text_articles(text: str, source: str, key: str | None = None) -> list[Article]:
    """Articles from a `.txt`/`.md` file's decoded text (one, or one per post of a listing).

    `key` identifies the file across runs (its absolute path; default `source`): a later
    version of the same file replaces this one.
    """
    key = key or source
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    meta = _Meta()
    body_start = 0
    for i, line in enumerate(lines):
        header = _HEADER_LINE.match(line)
        if header:
            field, value = header.group(1).lower(), header.group(2)
            if field in {"link", "url"} or (
                field == "id" and value.startswith("http") and not meta.url
            ):
                problem = link_problem(value) if value else None
                if problem:
                    log.warning(
                        "%s: `> %s:` dropped, %s: %r",
                        source,
                        field,
                        problem,
                        hide_credentials(value[:200]),
                    )
                else:
                    meta.url = value or meta.url
            elif field == "title":
                meta.title = value or None
            elif field in {"date", "published"}:
                meta.published = parse_date(value)
            elif field == "author":
                meta.author = value or None
            body_start = i + 1
        elif line.strip():
            break
    lines = lines[body_start:]

    listing_dates = [i for i, line in enumerate(lines) if _LISTING_DATE.match(line)]
    if len(listing_dates) >= 2 and not meta.url:
        return _listing_articles(lines, listing_dates, source, key)

    # A markdown heading or the first line is the title; a "Published on" line the date.
    kept: list[str] = []
    heading_title: str | None = None
    first_line: str | None = None
    for line in lines:
        published = _PUBLISHED_LINE.match(line)
        if published and meta.published is None and parse_date(published.group(1)):
            meta.published = parse_date(published.group(1))
            continue
        heading = _HEADING.match(line)
        if heading and heading_title is None:
            heading_title = clean_markdown(heading.group(1))
            if meta.title and _same_title(heading_title, meta.title):
                continue  # the header already gave it: don't repeat it in the body
        if first_line is None and line.strip():
            first_line = clean_markdown(line)
        kept.append(line)
    body = clean_markdown("\n".join(kept))
    title = meta.title or heading_title or title_from_line(first_line) or Path(source).stem
    return [_article(title, body, source, meta.url or key, meta)]


def _same_title(a: str, b: str) -> bool:
    return re.sub(r"\W", "", a).lower() == re.sub(r"\W", "", b).lower()


def title_from_line(line: str | None) -> str | None:
    """A title made of a text's first line (cut to 120 characters), for files that name none;
    PDF and Word files without a title property use it too (`ingest.documents`)."""
    if not line:
        return None
    line = line.strip()
    return line if len(line) <= 120 else line[:117].rstrip() + "…"


def _listing_articles(
    lines: list[str], date_lines: list[int], source: str, key: str
) -> list[Article]:
    articles: list[Article] = []
    previous_end = 0
    for date_index in date_lines:
        block = [line for line in lines[previous_end:date_index]]
        previous_end = date_index + 1
        non_empty = [i for i, line in enumerate(block) if line.strip()]
        if len(non_empty) < 2:
            continue
        title = clean_markdown(block[non_empty[0]])
        body = clean_markdown("\n".join(block[non_empty[1] :]))
        match = _LISTING_DATE.match(lines[date_index])
        parts = [p.strip() for p in lines[date_index].split("·")]
        meta = _Meta(
            title=title,
            published=parse_date(match.group("date")) if match else None,
            author=parts[-1] if len(parts) >= 3 else None,
        )
        articles.append(_article(title, body, source, f"{key}#{title}", meta))
    return articles


def _article(title: str, body: str, source: str, source_key: str, meta: _Meta) -> Article:
    if not body.strip():
        raise UnreadableArticle("no text after cleaning (empty or only markup)")
    return Article(
        article_id=content_id(body),
        title=title.strip() or Path(source).stem,
        text=body,
        source=source,
        source_key=source_key,
        url=meta.url,
        published=meta.published,
        author=meta.author,
    )


# --- HTML --------------------------------------------------------------------------------------


def read_html_article(
    html: str, source: str, url: str | None = None, key: str | None = None
) -> Article:
    """The main text and metadata of an HTML page (canonical link, og:title, published time)."""
    import trafilatura

    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
    )
    if document is None or not (document.text or "").strip():
        raise UnreadableArticle("no article text found in the HTML page")
    canonical = _canonical_link(html) or document.url or url
    meta = _Meta(
        title=document.title,
        url=canonical if canonical and not link_problem(canonical) else url,
        published=parse_date(document.date) if document.date else _published_meta(html),
        author=document.author,
    )
    body = normalise(document.text)
    title = meta.title or title_from_line(body.split("\n", 1)[0]) or Path(source).stem
    return _article(title, body, source, meta.url or key or source, meta)


_META_TAG = re.compile(r"<(?:meta|link)\b[^>]*>", re.I)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def _tags(html: str) -> list[dict[str, str]]:
    found = []
    for tag in _META_TAG.findall(html[:200_000]):
        found.append({m[0].lower(): m[1] or m[2] or m[3] for m in _ATTR.findall(tag)})
    return found


def _canonical_link(html: str) -> str | None:
    for attrs in _tags(html):
        if attrs.get("rel", "").lower() == "canonical" and attrs.get("href", "").startswith("http"):
            return attrs["href"]
    for attrs in _tags(html):
        if attrs.get("property") == "og:url" and attrs.get("content", "").startswith("http"):
            return attrs["content"]
    return None


def _published_meta(html: str) -> str | None:
    for attrs in _tags(html):
        if attrs.get("property") == "article:published_time" and attrs.get("content"):
            return parse_date(attrs["content"])
    return None


def read_article_file(path: Path, max_bytes: int) -> list[Article]:
    """The articles in one file; raises `UnreadableArticle` (or OSError) with the reason."""
    check_file(path.name, path.stat().st_size, max_bytes)
    return read_named_bytes(path.read_bytes(), str(path), key=str(path.resolve()))


def check_file(name: str, size: int, max_bytes: int) -> None:
    """Raise `UnreadableArticle` when a file of this name and size is not read at all: its
    kind is not supported, it is empty or too large. Asked before reading (or downloading)."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UnreadableArticle(f"unsupported file type {suffix or '(none)'}")
    if size == 0:
        raise UnreadableArticle("empty file")
    if size > max_bytes:
        raise UnreadableArticle(
            f"file too large ({format_size(size)}; the limit is {format_size(max_bytes)}, "
            f"CITEBOT_MAX_FILE_MB={max_bytes / 1e6:g})"
        )


def read_named_bytes(data: bytes, name: str, key: str | None = None) -> list[Article]:
    """The articles in a file's bytes, read by the kind its name's suffix says (an upload)."""
    from ingest.documents import document_format, read_document

    file_format = document_format(name)
    if file_format:
        return [read_document(data, name, file_format, key=key)]
    text = decode_bytes(data)
    if not text.strip():
        raise UnreadableArticle("only whitespace")
    if Path(name).suffix.lower() in {".html", ".htm"}:
        return [read_html_article(text, name, key=key)]
    return read_text_articles(text, name, key=key)
