"""Reading article files: bytes → text (any common encoding, `ingest.encodings`) → one or
more `Article`s.

Supported: `.txt`, `.md`, `.markdown` (plain or markdown, with the optional `> id:` /
`> link:` / `> title:` header and `_Published on …_` line), `.html`/`.htm` (decoded by their
`<meta charset>`; title, canonical link, date and main text by trafilatura). A listing page
that holds several posts (title, body, then a `Month D, YYYY · N min · author` line) becomes
one article per post, and so does a timeline (a `YYYY-MM-DD · title · author` line, then the
post); a file that fits neither shape exactly is one article, so no text is dropped. `.pdf`
and `.docx` files are read by `ingest.documents` (pages, properties, text rebuilt for quoting).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from ingest.cleaning import clean_markdown, normalise
from ingest.encodings import decode_bytes, decode_html
from ingest.messages import format_size, hide_credentials
from ingest.models import Article, UnreadableArticle
from ingest.text import content_id, sentence_spans, soft_cut

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

_HEADER_FIELDS = ("id", "link", "title", "url", "date", "published", "author")
_HEADER_LINE = re.compile(rf"^>\s*({'|'.join(_HEADER_FIELDS)})\s*:\s*(.*?)\s*$", re.I)
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
    front_matter = _front_matter(lines)
    if front_matter is not None:
        fields, body_start = front_matter
        for field, value in fields.items():
            _apply_header(meta, field, value, f"front matter `{field}:`", source)
    # The header lines: at the top, or right under an opening `# title` (which stays, for
    # `_one_article` to take as the title).
    heading_at: int | None = None
    for i, line in enumerate(lines[body_start:], start=body_start):
        header = _HEADER_LINE.match(line)
        if header:
            field = header.group(1).lower()
            _apply_header(meta, field, header.group(2), f"`> {field}:`", source)
            body_start = i + 1
        elif not line.strip():
            continue
        elif heading_at is None and _HEADING.match(line):
            heading_at = i
        else:
            break
    if heading_at is not None and heading_at < body_start:  # header lines followed it
        lines = [lines[heading_at], *lines[body_start:]]
    else:
        lines = lines[body_start:]

    listing_dates = [i for i, line in enumerate(lines) if _LISTING_DATE.match(line)]
    if len(listing_dates) >= 2 and not meta.url:
        posts = _listing_articles(lines, listing_dates, source, key, meta)
        if posts is not None:
            return posts
    return [_one_article(lines, source, key, meta)]


def _apply_header(meta: _Meta, field: str, value: str, label: str, source: str) -> None:
    """Set what one header field says (a `> title:` line or a front matter key): one mapping
    for both, so they mean the same. A link that is not a real web link is dropped, with a
    warning naming `label`."""
    if field in {"link", "url"} or (field == "id" and value.startswith("http") and not meta.url):
        problem = link_problem(value) if value else None
        if problem:
            log.warning(
                "%s: %s dropped, %s: %r", source, label, problem, hide_credentials(value[:200])
            )
        else:
            meta.url = value or meta.url
    elif field == "title":
        meta.title = value or None
    elif field in {"date", "published"}:
        meta.published = parse_date(value)
    elif field == "author":
        meta.author = value or None


def _front_matter(lines: list[str]) -> tuple[dict[str, str], int] | None:
    """The header fields of a YAML front matter block (`---` … `---` at the top, as Jekyll,
    Hugo and Obsidian write it) and the index of the line after it, or None.

    Only a YAML mapping that names at least one header field is front matter: a markdown
    rule at the top, with prose under it, stays text. Other keys (tags, layout…) are dropped.
    """
    if not lines or lines[0].strip() != "---":
        return None
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in {"---", "..."}), None)
    if end is None:
        return None
    try:
        data = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict):
        return None
    fields = {
        str(key).lower(): _yaml_text(value)
        for key, value in data.items()
        if str(key).lower() in _HEADER_FIELDS
    }
    return (fields, end + 1) if fields else None


def _yaml_text(value: object) -> str:
    """A front matter value as a header line would give it: YAML reads `2024-03-05` as a
    date and `authors: [a, b]` as a list."""
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(_yaml_text(item) for item in value)
    return str(value).strip()


def _one_article(lines: list[str], source: str, key: str, meta: _Meta) -> Article:
    """The article of a file's body that is not split into posts (also a timeline's preamble).

    A markdown heading or the first line is the title; a "Published on" line the date. A
    heading that is the title is not body text (it would be quoted as if it said something:
    "Northfield University" as quote [1]); chunks are embedded with their title anyway. A web
    page's first line that repeats its title is dropped for the same reason
    (`read_html_article`).
    """
    kept: list[str] = []
    heading_title: str | None = None
    first_line: str | None = None
    title_line: str | None = None
    for line in lines:
        published = _published_date(line)
        if published and meta.published is None:
            meta.published = published
            continue
        heading = _HEADING.match(line)
        if heading and heading_title is None:
            heading_title = clean_markdown(heading.group(1))
            if meta.title and _same_title(heading_title, meta.title):
                continue  # the header already gave it: don't repeat it in the body
            if meta.title is None and first_line is None:
                title_line = line  # the text's first line: the title, unless nothing follows
                continue
        if first_line is None and line.strip():
            first_line = clean_markdown(line)
        kept.append(line)
    body = clean_markdown("\n".join(kept))
    if title_line is not None and not body.strip():
        body = clean_markdown(title_line)
    title = meta.title or heading_title or title_from_line(first_line) or Path(source).stem
    return _article(title, body, source, meta.url or key, meta)


def _published_date(line: str) -> str | None:
    """The date of a "Published on …" line: a text file's date, and a web page's when the
    page states it only in its text."""
    match = _PUBLISHED_LINE.match(line)
    return parse_date(match.group(1)) if match else None


def _same_title(a: str, b: str) -> bool:
    return re.sub(r"\W", "", a).lower() == re.sub(r"\W", "", b).lower()


TITLE_CHARS = 120  # the longest title made of a text's first line (`title_from_line`)
_TITLE_BREAKS = "，,、：:；; "


def title_from_line(line: str | None) -> str | None:
    """A title made of a text's first line, for files that name none; PDF and Word files
    without a title property use it too (`ingest.documents`).

    A first line longer than `TITLE_CHARS` is a paragraph (it stays article text): its
    title is its first sentences that fit, or, when the first sentence alone is longer, its
    words up to a soft break (`soft_cut`) and "…", never a cut inside a word.
    """
    if not line:
        return None
    line = line.strip()
    if len(line) <= TITLE_CHARS:
        return line
    fitting = [end for _, end in sentence_spans(line) if end <= TITLE_CHARS]
    if fitting:
        return line[: fitting[-1]].rstrip()
    window = line[: TITLE_CHARS - 1]
    return window[: soft_cut(window, _TITLE_BREAKS)].rstrip().rstrip(_TITLE_BREAKS) + "…"


def _listing_articles(
    lines: list[str], date_lines: list[int], source: str, key: str, meta: _Meta
) -> list[Article] | None:
    """One article per post of a file that is clearly a list of dated posts, else None.

    Two shapes, each only when every line of text lands in a post and each date belongs to
    the text beside it (anything else is read as one article: no text is ever dropped):

    - a listing page, as blogs print one: each post's title and summary, then its
      `date · N min · author` line; nothing after the last date line;
    - a timeline: each post headed by a `date · title · author` line (no reading time) and
      followed by its text; what comes before the first date line is an article of its own.
    """
    ends = [*date_lines[1:], len(lines)]
    segments = [lines[: date_lines[0]]]
    segments += [lines[start + 1 : end] for start, end in zip(date_lines, ends, strict=True)]
    dated = [_date_fields(lines[i]) for i in date_lines]
    used_keys: set[str] = set()

    def post(title: str, body_lines: list[str], index: int) -> Article:
        title = clean_markdown(title)
        post_date, fields = dated[index]
        post_key = _post_key(key, title, used_keys)
        post_meta = _Meta(
            title=title,
            published=parse_date(post_date),
            author=fields[-1] if len(fields) >= 2 else None,
        )
        return _article(title, clean_markdown("\n".join(body_lines)), source, post_key, post_meta)

    if not _has_text(segments[-1]) and all(_text_lines(s) >= 2 for s in segments[:-1]):
        articles = []
        for index, block in enumerate(segments[:-1]):
            first = next(i for i, line in enumerate(block) if line.strip())
            articles.append(post(block[first], block[first + 1 :], index))
        return articles
    headed = all(len(f) >= 2 and not _READING_TIME.match(f[0]) for _, f in dated)
    if headed and all(_has_text(s) for s in segments[1:]):
        articles = []
        if _has_text(segments[0]):
            with contextlib.suppress(UnreadableArticle):  # markup only: no text to keep
                articles.append(_one_article(segments[0], source, key, meta))
        for index, block in enumerate(segments[1:]):
            articles.append(post(" · ".join(dated[index][1][:-1]), block, index))
        return articles
    return None


_FIELD_SEPARATOR = re.compile(r"\s+·\s*|\s*·\s+")
_READING_TIME = re.compile(r"^\d+\s*(?:min|mins|minutes?|分钟|分鐘)\b", re.I)


def _date_fields(line: str) -> tuple[str, list[str]]:
    """A listing's date line as its date and the fields after it (reading time or title, then
    author). A `·` with a space beside it separates fields; a bare one belongs to a name
    (埃隆·马斯克), unless the line has no spaced one."""
    match = _LISTING_DATE.match(line)
    if match is None:
        raise ValueError(f"not a listing's date line: {line!r}")
    rest = line[match.end("date") :].strip().removeprefix("·")
    fields = _FIELD_SEPARATOR.split(rest) if _FIELD_SEPARATOR.search(line) else rest.split("·")
    return match.group("date"), [field.strip() for field in fields if field.strip()]


def _text_lines(lines: list[str]) -> int:
    """How many lines hold text: a post needs a title line and a body line."""
    return sum(1 for line in lines if line.strip())


def _has_text(lines: list[str]) -> bool:
    """Whether a stretch of lines holds any text, which must then land in some article."""
    return _text_lines(lines) > 0


def _post_key(key: str, title: str, used: set[str]) -> str:
    """A post's source key, unique within its file: two posts with one title would otherwise
    replace each other in the store."""
    post_key = f"{key}#{title}"
    n = 1
    while post_key in used:
        n += 1
        post_key = f"{key}#{title}#{n}"
    used.add(post_key)
    return post_key


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
    """The main text and metadata of an HTML page (canonical link, og:title, published time).

    The date is one the page states (its metadata, JSON-LD, a `<time>` element, its URL, a
    "Published on" line), never one guessed from a year in the text: trafilatura's extensive
    date search would date a page that says "expanded in 2019" 2019-01-01.
    """
    import trafilatura
    from trafilatura.settings import set_date_params

    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        favor_precision=True,
        date_extraction_params=set_date_params(extensive=False),
    )
    if document is None or not (document.text or "").strip():
        raise UnreadableArticle("no article text found in the HTML page")
    canonical = _canonical_link(html) or document.url or url
    body = normalise(document.text)
    stated = (_published_date(line) for line in body.split("\n"))
    meta = _Meta(
        title=document.title,
        url=canonical if canonical and not link_problem(canonical) else url,
        published=(parse_date(document.date) if document.date else None)
        or _published_meta(html)
        or next(filter(None, stated), None),
        author=document.author,
    )
    first_line, _, rest = body.partition("\n")
    if meta.title and rest.strip() and _same_title(first_line, meta.title):
        body = rest.lstrip("\n")  # its <h1>: the title, not text to quote (`_one_article`)
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
    resolved = str(path.resolve())
    articles = read_named_bytes(path.read_bytes(), str(path), key=resolved)
    return [replace(article, file=resolved) for article in articles]


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
    is_html = Path(name).suffix.lower() in {".html", ".htm"}
    # A page's `<meta charset>` is its encoding, on disk as when it is fetched.
    text = decode_html(data, None) if is_html else decode_bytes(data)
    if not text.strip():
        raise UnreadableArticle("only whitespace")
    if is_html:
        return [read_html_article(text, name, key=key)]
    return read_text_articles(text, name, key=key)
