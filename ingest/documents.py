"""Reading PDF and Word files into quotable articles that know their pages.

Why these libraries: PDF text comes from PDFium (`pypdfium2`), which in our measurement
(`benchmarks/pdf_extraction.py`) read Simplified and Traditional Chinese exactly from both
embedded-subset TrueType fonts and the non-embedded Adobe CID fonts (STSong-Light,
MSung-Light) that many Chinese PDFs use, splitting ligatures, 10-40 times faster than
pdfminer.six, which turned the Traditional CID text into mojibake and dropped characters of
the Simplified one. Word files are read with `python-docx` after a zip-bomb check with the
standard `zipfile` module.

A PDF holds lines, not paragraphs, so the text is rebuilt for quoting: the running headers,
footers and page numbers that repeat on the pages are dropped; lines are joined into
paragraphs (no space between two CJK characters, one space between Latin words, a word
hyphenated across a line end mended; a line set apart from the one above by more than the
page's line pitch starts a paragraph); ligatures, full-width Latin letters and digits,
half-width katakana and punctuation, Kangxi radicals and CJK compatibility ideographs become
the characters a reader sees. `Article.pages` holds the offset where each page starts in that
cleaned text, so any offset (a chunk's, a quote's) maps to its page.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from itertools import pairwise
from pathlib import Path
from typing import Any

from ingest.models import Article, UnreadableArticle
from ingest.reader import title_from_line
from ingest.text import content_id, has_cjk

PDF, DOCX = "pdf", "docx"
DOCUMENT_SUFFIXES = {".pdf": PDF, ".docx": DOCX}
DOCUMENT_MEDIA_TYPES = {
    "application/pdf": PDF,
    "application/x-pdf": PDF,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": DOCX,
}
NO_TEXT_LAYER = "no text layer: scanned or image-only PDF"

# A .docx is a zip; its XML compresses about 10:1, images not at all, so even a long report
# with pictures inflates to tens of MB. Past this it is a zip bomb, not a document
# (python-docx would inflate every part into memory).
MAX_DOCX_INFLATED = 200_000_000

_pdfium_lock = threading.Lock()  # PDFium is not thread-safe (Discord ingests in a thread)


def document_format(name: str = "", media_type: str = "", body: bytes = b"") -> str | None:
    """`pdf`, `docx` or None, from a file name, a content type or the bytes themselves."""
    by_name = DOCUMENT_SUFFIXES.get(Path(name).suffix.lower()) if name else None
    if by_name:
        return by_name
    by_type = DOCUMENT_MEDIA_TYPES.get(media_type.lower())
    if by_type:
        return by_type
    if body[:1024].lstrip().startswith(b"%PDF-"):
        return PDF
    if body.startswith(b"PK\x03\x04") and b"word/document.xml" in body:
        return DOCX
    return None


def read_document(
    data: bytes, source: str, file_format: str, *, key: str | None = None, url: str | None = None
) -> Article:
    """The article in a PDF or Word file's bytes; raises `UnreadableArticle` with the reason.

    `key` identifies the file across runs (default `source`): a later version replaces this
    one. `url` is where it was fetched from (quotes then link to `url#page=N`).
    """
    document = _read_pdf(data) if file_format == PDF else _read_docx(data)
    text, pages = _assemble(document)
    if not text.strip():
        raise UnreadableArticle(
            NO_TEXT_LAYER if file_format == PDF else "no text in the Word document"
        )
    title = (
        _clean_title(document.title)
        or title_from_line(text.split("\n", 1)[0])
        or Path(source).stem
    )
    return Article(
        article_id=content_id(text),
        title=title,
        text=text,
        source=source,
        source_key=url or key or source,
        url=url,
        published=document.published,
        author=_clean_title(document.author),
        pages=pages if document.paged else (),
        file_format=file_format,
    )


@dataclass
class _Document:
    """Lines of each page (PDF) or paragraphs of each page (Word), plus the properties."""

    pages: list[list[str]]
    paged: bool
    title: str | None = None
    author: str | None = None
    published: str | None = None
    paragraphs: bool = False


# --- PDF -----------------------------------------------------------------------------------------


def _read_pdf(data: bytes) -> _Document:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    with _pdfium_lock:
        try:
            pdf = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
                raise UnreadableArticle("encrypted PDF (a password is needed to open it)") from None
            raise UnreadableArticle("corrupt PDF (PDFium cannot open it)") from None
        try:
            pages: list[list[str]] = []
            for index in range(len(pdf)):
                page = pdf[index]
                textpage = page.get_textpage()
                pages.append(_pdf_lines(textpage))
                textpage.close()
                page.close()
            meta = pdf.get_metadata_dict(skip_empty=True)
        except pdfium.PdfiumError as exc:
            raise UnreadableArticle(f"corrupt PDF ({exc})") from None
        finally:
            pdf.close()
    return _Document(
        pages=_drop_running_lines(pages),
        paged=True,
        title=meta.get("Title"),
        author=meta.get("Author"),
        published=_pdf_date(meta.get("CreationDate") or meta.get("ModDate") or ""),
    )


# Stands between two lines of a page whose vertical distance is wider than the page's line
# pitch: a paragraph ends there even when its last line runs to the right margin.
_PARAGRAPH_GAP = "\x00"
# A gap is wider than this many line pitches (the test PDFs' paragraphs are 1.6 apart, a line
# PDFium cannot read, such as a lone "。", leaves 2); past the upper bound the next line is
# elsewhere on the page (a header, a footer, a column), not the next paragraph.
_GAP_PITCHES = (1.3, 3.5)


def _pdf_lines(textpage: Any) -> list[str]:
    """The text lines of a PDF page, `_PARAGRAPH_GAP` between two lines set apart.

    PDFium's lines are not always the page's (it joins the halves of a hyphenated word, and so
    the lines around it): a line's top is its first character's, its bottom its last one's."""
    raw = textpage.get_text_range()
    lines = re.split(r"\r\n|\r|\n", raw)
    if textpage.count_chars() != len(raw):  # no char box per character: no gaps
        return lines
    placed: list[tuple[str, float, float]] = []  # (line, first char's bottom, last char's)
    start = 0
    for line in lines:
        if line.strip():
            first = start + len(line) - len(line.lstrip())
            last = start + len(line.rstrip()) - 1
            placed.append((line, textpage.get_charbox(first)[1], textpage.get_charbox(last)[1]))
        start += len(line) + (2 if raw.startswith("\r\n", start + len(line)) else 1)
    drops = [a[2] - b[1] for a, b in pairwise(placed) if a[2] > b[1]]
    if not drops:
        return lines
    # The line pitch: the smallest step down, not counting a sub- or superscript's.
    median = sorted(drops)[len(drops) // 2]
    pitch = min(d for d in drops if d >= median / 4)
    out = [placed[0][0]]
    for above, (line, top, _) in pairwise(placed):
        if _GAP_PITCHES[0] * pitch < above[2] - top < _GAP_PITCHES[1] * pitch:
            out.append(_PARAGRAPH_GAP)
        out.append(line)
    return out


def _pdf_date(value: str) -> str | None:
    match = re.match(r"(?:D:)?(\d{4})(\d{2})(\d{2})", value.strip())
    if not match:
        return None
    try:
        return datetime(*(int(g) for g in match.groups())).date().isoformat()
    except ValueError:
        return None


# Lines that are only a page number: "3", "- 3 -", "— 3 —", "Page 3", "Page 3 of 9", "3 / 9",
# "第 3 页", "第3頁", "第 3 頁，共 9 頁".
_PAGE_NUMBER = re.compile(
    r"^[\s\-–—·•|\[\]()（）]*(?:(?:page|p\.|pg\.?)\s*)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?"
    r"[\s\-–—·•|\[\]()（）]*$|^第\s*\d{1,4}\s*[页頁](?:\s*[,，]?\s*共\s*\d{1,4}\s*[页頁])?$",
    re.IGNORECASE,
)
_EDGE_LINES = 2  # how many lines at the top and at the bottom of a page may be running lines


def _drop_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """Without the page numbers and the headers/footers that repeat across pages.

    Only the first and last two lines of a page are candidates. A line is running when its
    digit-blind form is at a page edge on at least half the pages (and on two pages at least).
    """
    stripped = [[line.strip() for line in page if line.strip()] for page in pages]

    def edges(lines: list[str]) -> list[int]:
        text = [i for i, line in enumerate(lines) if line != _PARAGRAPH_GAP]
        return sorted({*text[:_EDGE_LINES], *text[-_EDGE_LINES:]})

    counts: Counter[str] = Counter()
    for lines in stripped:
        counts.update({_digit_blind(lines[i]) for i in edges(lines)})
    needed = max(2, (len(pages) + 1) // 2)
    cleaned = []
    for lines in stripped:
        drop = {
            i
            for i in edges(lines)
            if _PAGE_NUMBER.match(lines[i]) or counts[_digit_blind(lines[i])] >= needed
        }
        kept = [line for i, line in enumerate(lines) if i not in drop]
        while kept and kept[0] == _PARAGRAPH_GAP:  # the gap below a dropped header
            kept.pop(0)
        while kept and kept[-1] == _PARAGRAPH_GAP:
            kept.pop()
        cleaned.append(kept)
    return cleaned


def _digit_blind(line: str) -> str:
    return re.sub(r"\d+", "#", _reader_form(re.sub(r"\s+", "", line)))


# --- Word ----------------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# python-docx's own template carries this creation time (with "python-docx" as its author or
# last editor); it is not the document's date.
_TEMPLATE_CREATED = "2013-12-23"


def _read_docx(data: bytes) -> _Document:
    _check_zip(data)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise UnreadableArticle(f"not a Word document ({exc.__class__.__name__})") from None
    except Exception as exc:  # lxml's XMLSyntaxError and friends: a damaged part
        raise UnreadableArticle(f"corrupt Word document ({exc.__class__.__name__})") from None
    # Word records where pages began when it last laid the file out (lastRenderedPageBreak,
    # which already counts the explicit breaks); files never laid out by Word have only the
    # explicit page breaks. A paragraph is on the page where its text starts.
    body = document.element.body
    rendered = body.find(f".//{_W}lastRenderedPageBreak") is not None
    pages: list[list[str]] = [[]]
    heading: str | None = None
    for block in document.iter_inner_content():
        if hasattr(block, "rows"):  # a table: each row one line, cells apart by " · "
            for row in block.rows:
                cells = list(dict.fromkeys(c.text.strip() for c in row.cells if c.text.strip()))
                if cells:
                    pages[-1].append(" · ".join(cells))
            continue
        text = block.text.strip()
        before, after = _page_breaks(block._p, rendered)
        pages.extend([] for _ in range(before))
        if text:
            pages[-1].append(text)
            style = (block.style.name if block.style is not None else "") or ""
            if heading is None and (style.startswith("Heading") or style == "Title"):
                heading = text
        pages.extend([] for _ in range(after))
    props = document.core_properties
    created = props.created.date().isoformat() if props.created else None
    if created == _TEMPLATE_CREATED and "python-docx" in (props.author, props.last_modified_by):
        created = None
    return _Document(
        pages=pages,
        paged=len(pages) > 1,
        title=props.title or heading,
        author=props.author if props.author != "python-docx" else None,
        published=created,
        paragraphs=True,
    )


def _page_breaks(paragraph: Any, rendered: bool) -> tuple[int, int]:
    """How many pages start before a paragraph's first text, and how many after it."""
    before = after = 0
    seen_text = False
    for node in paragraph.iter():
        if node.tag == f"{_W}t" and (node.text or "").strip():
            seen_text = True
        elif (node.tag == f"{_W}lastRenderedPageBreak") if rendered else (
            node.tag == f"{_W}br" and node.get(f"{_W}type") == "page"
        ):
            if seen_text:
                after += 1
            else:
                before += 1
    return before, after


def _check_zip(data: bytes) -> None:
    if not zipfile.is_zipfile(BytesIO(data)):
        if data.startswith(b"\xd0\xcf\x11\xe0"):  # the OLE container of Word 97-2003
            raise UnreadableArticle("not a zip: an old binary Word file (.doc); save it as .docx")
        raise UnreadableArticle("not a zip, so not a Word .docx file")
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableArticle(f"corrupt zip archive ({exc})") from None
    inflated = sum(m.file_size for m in members)
    if inflated > MAX_DOCX_INFLATED:
        raise UnreadableArticle(
            f"zip bomb: {len(data) / 1e6:.1f} MB would inflate to {inflated / 1e6:,.0f} MB"
        )
    if "word/document.xml" not in names:
        raise UnreadableArticle("not a Word document (the zip has no word/document.xml)")


# --- cleaned text ------------------------------------------------------------------------------

_LIGATURES_AND_WIDTHS = re.compile(
    "[\ufb00-\ufb06"  # ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ
    "\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"  # full-width digits and Latin letters
    "\uff61-\uffdc"  # half-width CJK punctuation, katakana, hangul
    "\u2f00-\u2fd5"  # Kangxi radicals that some PDF fonts map ideographs to
    "\uf900-\ufad9"  # CJK compatibility ideographs
    "\u00a0\u2002-\u200a\u3000]"  # no-break, en/em/thin and ideographic spaces
)
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u00ad\u200b-\u200d\u2060\ufeff\ufffd\ufffe]"
)
_SPACES = re.compile(r"[ \t]+")
_TERMINAL = tuple("。！？!?….:：;；”」』\"')）")
_HYPHENATED = re.compile(r"[a-z]-$")
_COMPOUND = re.compile(r"[A-Za-z]+-[a-z]+")


def _split_word(left: str, right: str) -> str:
    """The hyphenated word that a line ending in "-" and the next line make together."""
    head = re.search(r"[A-Za-z]+-$", left)
    tail = re.match(r"[a-z]+", right)
    return ((head.group(0) if head else "") + (tail.group(0) if tail else "")).lower()


def _reader_form(text: str) -> str:
    """Characters as a reader sees them (NFKC only where it does not change what one sees)."""
    return _LIGATURES_AND_WIDTHS.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)


def _is_wide(ch: str) -> bool:
    return has_cjk(ch) or unicodedata.east_asian_width(ch) in {"W", "F"}


def _clean_line(line: str) -> str:
    # PDFium writes \x02 where it found a hyphen that splits a word at a line end, and
    # joins the two halves: dropping it mends the word, like the other invisible characters.
    return _SPACES.sub(" ", _reader_form(_INVISIBLE.sub("", line))).strip()


def _display_width(line: str) -> int:
    return sum(2 if _is_wide(ch) else 1 for ch in line)


def _ends_paragraph(line: str, full_width: int) -> bool:
    """A line that stops well before the right margin ends its paragraph (or is a heading)."""
    width = _display_width(line)
    return width < 0.75 * full_width or (line.endswith(_TERMINAL) and width < 0.92 * full_width)


def _assemble(document: _Document) -> tuple[str, tuple[int, ...]]:
    """The cleaned text and the offset where each page's text starts in it."""
    pages = [
        [c for c in (line if line == _PARAGRAPH_GAP else _clean_line(line) for line in page) if c]
        for page in document.pages
    ]
    widths = sorted(
        _display_width(line) for page in pages for line in page if line != _PARAGRAPH_GAP
    )
    # The width of a full line: a high percentile, so a few long lines do not set it.
    full_width = widths[int(len(widths) * 0.9)] if widths else 0
    # "early-" + "morning" stays "early-morning" when the document writes it so elsewhere.
    compounds = {m.lower() for page in pages for line in page for m in _COMPOUND.findall(line)}
    out: list[str] = []
    length = 0
    starts: list[int] = []
    paragraph_open = False
    for page in pages:
        page_start: int | None = None
        for line in page:
            if line == _PARAGRAPH_GAP:
                paragraph_open = False
                continue
            if not paragraph_open:
                separator = "\n\n" if length else ""
            elif _HYPHENATED.search(out[-1]) and line[0].islower():
                separator = ""
                if _split_word(out[-1], line) not in compounds:
                    out[-1] = out[-1][:-1]  # "in-" + "crease" is "increase"
                    length -= 1
            elif _is_wide(out[-1][-1]) or _is_wide(line[0]):
                separator = ""
            else:
                separator = " "
            out.append(separator)
            length += len(separator)
            if page_start is None:
                page_start = length
            out.append(line)
            length += len(line)
            paragraph_open = not document.paragraphs and not _ends_paragraph(line, full_width)
        # A page without text starts where the next text goes.
        starts.append(length if page_start is None else page_start)
    return "".join(out), tuple(starts)


def _clean_title(value: str | None) -> str | None:
    if not value:
        return None
    value = " ".join(_reader_form(value).split())
    # Titles that word processors and converters write instead of the real one.
    if re.match(r"^(?:untitled|document\d*|microsoft word - .*|.*\.(?:docx?|pdf))$", value, re.I):
        return None
    return value[:200] or None
