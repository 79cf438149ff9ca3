"""PDF and Word files: text fit for quoting, pages, metadata, bad documents, idempotence.

Fixtures are made in `tmp_path` by `tests.support.documents` (reportlab, python-docx): reports in
Simplified Chinese, Traditional Chinese and English, three pages each, with a running header
and a page-number footer. Bookkeeping tests use the instant hash embeddings.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from ingest.documents import _assemble, _Document, _reader_form, read_document
from ingest.models import Article, page_at
from ingest.pipeline import ingest_paths
from ingest.reader import read_article_file
from ingest.store import ArticleStore
from tests.ingest.store_checks import assert_consistent
from tests.support.documents import (
    FERRY,
    HARBOUR,
    TEA,
    DocumentSpec,
    make_docx,
    make_encrypted_pdf,
    make_pdf,
    make_scanned_pdf,
    make_zip_bomb,
)
from tests.support.embeddings import MODEL_NAME, HashEmbeddings
from tests.support.settings import make_settings

SPECS = {"harbour": HARBOUR, "tea": TEA, "ferry": FERRY}
MAKERS = {"pdf": make_pdf, "docx": make_docx}


def _read(path: Path) -> Article:
    [article] = read_article_file(path, max_bytes=20_000_000)
    return article


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    folder = tmp_path_factory.mktemp("documents")
    return {
        (name, kind): MAKERS[kind](folder / f"{name}.{kind}", spec)
        for name, spec in SPECS.items()
        for kind in MAKERS
    }


def test_a_paragraph_whose_last_line_is_full_still_ends(tmp_path: Path) -> None:
    """Width cannot tell where such a paragraph ends; the space below it does. Two full lines
    with no closing punctuation, then one full line whose 。 hangs in the margin."""
    # Full lines of 30 characters, all different (PDFium drops a line that repeats the one
    # above when the font is not embedded and no system font has its glyphs).
    first = "港口的集装箱吞吐量在第三季度继续增长夜间作业延长到凌晨两点后"
    second = "泊位的平均等待时间从三十一小时缩短到十九小时港务局表示满意并"
    third = "冷链仓库的扩建工程已经进入收尾阶段预计在明年三月完工届时冷藏"
    paragraphs = [first + second, third + "。", "电动集卡已经增加到一百四十辆。", second[:20] + "。"]
    pages = [paragraphs, ["第二页只有这一段。"]]  # two pages: the header is a running line
    spec = DocumentSpec(pages, "东湾港务局", "zh-Hans", page_numbers="第 {n} 页")
    article = _read(make_pdf(tmp_path / "full.pdf", spec))
    assert article.text.split("\n\n") == [*paragraphs, *pages[1]]


@pytest.mark.parametrize("kind", ["pdf", "docx"])
@pytest.mark.parametrize("name", list(SPECS))
def test_text_is_the_paragraphs_a_reader_sees(
    documents: dict[tuple[str, str], Path], name: str, kind: str
) -> None:
    """Lines joined (no space inside Chinese, one between English words), the hyphenated
    "mem-/branes" and "recon-/ditioned" mended, ligatures (ﬁ, ﬂ) as letters, and neither the
    running header nor the page numbers anywhere."""
    spec = SPECS[name]
    article = _read(documents[name, kind])
    expected = [paragraph for page in spec.pages for paragraph in page]
    assert article.text.split("\n\n") == expected  # so no header and no page number
    if kind == "pdf":
        raw = documents[name, kind].read_bytes()
        assert article.text.count(spec.header) == sum(p.count(spec.header) for p in expected)
        assert raw.startswith(b"%PDF")


def test_pdf_line_ends_are_mended_where_the_lines_really_broke(
    documents: dict[tuple[str, str], Path],
) -> None:
    import pypdfium2 as pdfium

    raw = "\n".join(
        page.get_textpage().get_text_range() for page in pdfium.PdfDocument(documents["ferry", "pdf"])
    )
    # The fixture really is broken into lines and hyphenated; the article is not.
    assert re.search("membr(?:\ufffe|\x02|-\r?\n)anes", raw)  # PDFium marks the split word
    text = _read(documents["ferry", "pdf"]).text
    assert "membranes" in text and "reconditioned" in text
    assert "early-morning" in text  # a real compound keeps its hyphen
    assert "\ufb01" not in text and "\ufb02" not in text


@pytest.mark.parametrize("kind", ["pdf", "docx"])
@pytest.mark.parametrize("name", list(SPECS))
def test_every_paragraph_knows_its_page(
    documents: dict[tuple[str, str], Path], name: str, kind: str
) -> None:
    article = _read(documents[name, kind])
    assert len(article.pages) == 3
    for number, page in enumerate(SPECS[name].pages, 1):
        for paragraph in page:
            start = article.text.index(paragraph)
            assert page_at(article.pages, start) == number, paragraph
            assert page_at(article.pages, start + len(paragraph) - 1) == number


def test_chunks_carry_their_page(documents: dict[tuple[str, str], Path]) -> None:
    from ingest.chunking import chunk_article

    article = _read(documents["harbour", "pdf"])
    chunks = chunk_article(article, 120)
    assert [c.page for c in chunks] == [page_at(article.pages, c.start) for c in chunks]
    assert {c.page for c in chunks} == {1, 2, 3}
    assert all(article.text[c.start : c.end] == c.text for c in chunks)


@pytest.mark.parametrize("kind", ["pdf", "docx"])
def test_title_and_date_come_from_the_properties(
    documents: dict[tuple[str, str], Path], kind: str
) -> None:
    harbour = _read(documents["harbour", kind])
    assert (harbour.title, harbour.published) == ("东湾港季度报告", "2024-10-08")
    assert harbour.file_format == kind
    # No title in the properties: the first heading (Word) or line (PDF).
    tea = _read(documents["tea", kind])
    assert (tea.title, tea.published) == ("坪林茶葉合作社年度報告", "2024-11-20")


def test_a_pdf_without_a_date_has_none(tmp_path: Path) -> None:
    spec = DocumentSpec(FERRY.pages, FERRY.header, "en", title=None, created=None)
    article = _read(make_pdf(tmp_path / "undated.pdf", spec))
    assert article.published is None
    assert article.title == "Riverside Ferry Service: Annual Review"


def test_a_word_file_saved_without_a_date_has_none(tmp_path: Path) -> None:
    """python-docx's template dates every new document 2013-12-23 (author "python-docx")."""
    import docx

    document = docx.Document()
    document.add_paragraph("The ferry leaves the harbour at seven every morning.")
    document.save(str(tmp_path / "undated.docx"))
    assert _read(tmp_path / "undated.docx").published is None


def test_lines_join_into_paragraphs_by_script_and_hyphen() -> None:
    full = "x" * 40
    lines = [
        f"{full} the early-morning boats were in-",
        f"creasingly full, and the new early- {full}",
        f"morning service began in March {full}",
        "A short closing line.",
        "港务局表示，夜间作业时段延长到凌晨两点以后，泊位的平均等待时间从三十一小时缩短到十九小",
        "时。The pilots agreed.",
    ]
    text, pages = _assemble(_Document(pages=[lines[:3], lines[3:]], paged=True))
    assert text == (
        f"{full} the early-morning boats were increasingly full, and the new early- {full} "
        f"morning service began in March {full} A short closing line.\n\n"
        "港务局表示，夜间作业时段延长到凌晨两点以后，泊位的平均等待时间从三十一小时缩短到十九小时。"
        "The pilots agreed."
    )
    assert page_at(pages, text.index("A short")) == 2


def test_reader_form_of_ligatures_widths_and_radicals() -> None:
    # Full-width Latin and digits, half-width katakana and punctuation, a Kangxi radical
    # (⼀ U+2F00) and a compatibility ideograph (﨑 U+FA11) become what they look like;
    # Chinese full-width punctuation stays.
    assert _reader_form("ＥＢ２０２４，ｶﾀｶﾅ｡ ⼀号 﨑 ﬁnal") == "EB2024，カタカナ。 一号 﨑 final"


def test_offsets_index_the_cleaned_text(documents: dict[tuple[str, str], Path]) -> None:
    article = _read(documents["tea", "pdf"])
    again = read_document(documents["tea", "pdf"].read_bytes(), "tea.pdf", "pdf")
    assert again.text == article.text and again.pages == article.pages
    assert article.pages[0] == 0 and list(article.pages) == sorted(article.pages)
    assert all(0 <= p <= len(article.text) for p in article.pages)


# --- bad documents -----------------------------------------------------------------------------


def _bad_folder(folder: Path, good: dict[tuple[str, str], Path]) -> dict[str, str]:
    """Good documents plus one of each bad kind; returns bad file name -> reason words."""
    folder.mkdir()
    for (name, kind), path in good.items():
        (folder / f"{name}.{kind}").write_bytes(path.read_bytes())
    (folder / "note.md").write_text("# A note\n\nPlain text sits beside the documents.\n")
    make_scanned_pdf(folder / "scan.pdf")
    make_encrypted_pdf(folder / "locked.pdf", FERRY)
    whole = good["ferry", "pdf"].read_bytes()
    (folder / "truncated.pdf").write_bytes(whole[: len(whole) // 3])
    (folder / "garbage.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    make_zip_bomb(folder / "bomb.docx")
    (folder / "old-word.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000)
    (folder / "text.docx").write_text("Just text with a .docx name.")
    with zipfile.ZipFile(folder / "other.docx", "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    with zipfile.ZipFile(good["tea", "docx"]) as source, zipfile.ZipFile(
        folder / "damaged.docx", "w"
    ) as damaged:
        for item in source.infolist():
            data = source.read(item)
            damaged.writestr(item, data[: len(data) // 2] if item.filename == "word/document.xml" else data)
    return {
        "scan.pdf": "no text layer: scanned or image-only PDF",
        "locked.pdf": "encrypted",
        "truncated.pdf": "corrupt PDF",
        "garbage.pdf": "corrupt PDF",
        "bomb.docx": "zip bomb",
        "old-word.docx": "not a zip: an old binary Word file (.doc)",
        "text.docx": "not a zip",
        "other.docx": "no word/document.xml",
        "damaged.docx": "corrupt Word document",
    }


def test_each_bad_document_is_skipped_with_its_reason_and_the_batch_goes_on(
    tmp_path: Path, documents: dict[tuple[str, str], Path]
) -> None:
    bad = _bad_folder(tmp_path / "docs", documents)
    store = ArticleStore(
        make_settings(tmp_path, embedding_model=MODEL_NAME), embeddings=HashEmbeddings()
    )

    report = ingest_paths([tmp_path / "docs"], store, show_progress=False)

    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert set(reasons) == set(bad), reasons
    for name, words in bad.items():
        assert words in reasons[name], (name, reasons[name])
    # A PDF and a Word file of the same report hold the same text: one article.
    assert report.articles == len(SPECS) + 1
    stored = {Path(r.source).stem for r in store.articles()}
    assert stored == set(SPECS) | {"note"}
    assert_consistent(store)


def test_the_same_pdf_again_adds_nothing_and_a_new_version_replaces_it(tmp_path: Path) -> None:
    store = ArticleStore(
        make_settings(tmp_path, embedding_model=MODEL_NAME), embeddings=HashEmbeddings()
    )
    path = make_pdf(tmp_path / "ferry.pdf", FERRY)
    first = ingest_paths([path], store, show_progress=False)
    again = ingest_paths([path], store, show_progress=False)
    assert first.chunks_added > 0
    assert (again.chunks_added, again.chunks_removed) == (0, 0)
    assert again.chunks_unchanged == first.chunks_added

    edited = [list(page) for page in FERRY.pages]
    edited[1][0] = "The three electric boats that joined the fleet in June have proved reliable."
    make_pdf(path, DocumentSpec(edited, FERRY.header, "en", title=FERRY.title))
    newer = ingest_paths([path], store, show_progress=False)

    [record] = store.articles()
    assert newer.chunks_removed > 0 and newer.chunks_added > 0
    assert "three electric boats" in store.article_texts([record.article_id])[record.article_id]
    assert record.chunks == store.chunk_count()
    assert_consistent(store)


def test_word_pages_from_rendered_breaks_are_not_counted_twice(tmp_path: Path) -> None:
    """Word writes a lastRenderedPageBreak where each page began, also after an explicit
    page break; a page that began mid-paragraph keeps that paragraph on its first page."""
    import docx
    from docx.oxml import OxmlElement

    document = docx.Document()
    document.add_paragraph("First page, first paragraph.")
    document.add_page_break()  # explicit break ...
    second = document.add_paragraph("Second page: after the explicit break.")
    second.runs[0]._r.insert(0, OxmlElement("w:lastRenderedPageBreak"))  # ... rendered too
    long = document.add_paragraph("This paragraph starts on page two and ")
    run = long.add_run("flows onto page three.")
    run._r.insert(0, OxmlElement("w:lastRenderedPageBreak"))
    document.add_paragraph("Third page, last paragraph.")
    document.save(str(tmp_path / "rendered.docx"))

    article = _read(tmp_path / "rendered.docx")

    def page(words: str) -> int | None:
        return page_at(article.pages, article.text.index(words))

    assert [page("First page"), page("Second page"), page("This paragraph"), page("Third")] == [
        1, 2, 2, 3
    ]


@pytest.mark.parametrize("content_type", ["application/pdf", "application/octet-stream", ""])
def test_a_fetched_pdf_is_a_page_that_links_to_its_pages(
    documents: dict[tuple[str, str], Path], content_type: str
) -> None:
    from ingest.fetch import FetchResult
    from ingest.web import HTML, detect_kind, read_page

    body = documents["ferry", "pdf"].read_bytes()
    url = "https://example.com/download?id=7"
    result = FetchResult(url, url, 200, content_type, None, body, None, None)
    assert detect_kind(content_type, body) == HTML
    article = read_page(result)
    assert (article.url, article.source_key, article.file_format) == (url, url, "pdf")
    assert len(article.pages) == 3


def test_a_pdf_with_only_an_owner_password_is_read(tmp_path: Path) -> None:
    """Copy or print restrictions (an owner password, no user password) do not hide the text."""
    from reportlab.lib.pdfencrypt import StandardEncryption
    from reportlab.pdfgen import canvas

    path = tmp_path / "restricted.pdf"
    pdf = canvas.Canvas(
        str(path), encrypt=StandardEncryption("", ownerPassword="owner", canCopy=0, canPrint=0)
    )
    pdf.drawString(72, 700, "Restricted but readable: the berth reopens on Monday.")
    pdf.save()
    article = _read(path)
    assert article.text == "Restricted but readable: the berth reopens on Monday."
