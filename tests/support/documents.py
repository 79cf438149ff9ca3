"""Small PDF and Word files made on the fly, like the ones teams keep: multi-page reports in
Simplified Chinese, Traditional Chinese and English, with a running header, a page-number
footer, justified lines and a hyphenated word.

PDFs are written with reportlab: Chinese in the Adobe CID fonts every PDF reader knows
(STSong-Light, MSung-Light, not embedded, as in many Chinese PDFs), English in Bitstream Vera
(shipped inside reportlab) embedded as a TrueType subset with ligature glyphs (ﬁ, ﬂ), as
LaTeX and desktop publishing write them. Word files are written with python-docx, pages
apart by page breaks. All of it installs from PyPI (the dev extras); no system fonts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

# Each document: pages of paragraphs. The texts are written for these tests.
HARBOUR_ZH_HANS = [
    [
        "东湾港务局二〇二四年第三季度运营报告",
        "本季度东湾港的集装箱吞吐量达到一百二十万标准箱，比去年同期增长百分之十二。增长主要来自东南亚航线的恢复，以及新开通的两条内河驳船航线。",
        "港务局表示，夜间作业时段延长到凌晨两点以后，泊位的平均等待时间从三十一小时缩短到十九小时。",
    ],
    [
        "冷链仓库的扩建工程已经进入收尾阶段，预计在明年三月完工，届时冷藏能力将增加三成，可以同时存放四千个冷藏集装箱。",
        "扩建的资金由港务局和两家航运公司共同承担，总投资约为八亿六千万元。港务局局长林海生说，冷链是东湾港未来五年最重要的增长点。",
        "此外，港区内的电动集卡已经增加到一百四十辆，占全部集卡的四成左右。",
    ],
    [
        "展望第四季度，港务局预计吞吐量将保持平稳，但台风季节可能造成短期的航班延误。",
        "港务局提醒货主提前预约提箱时段，以免在高峰期排队。",
    ],
]
TEA_ZH_HANT = [
    [
        "坪林茶葉合作社年度報告",
        "今年春茶的產量比去年減少了百分之八，主要原因是三月份的低溫和連續降雨。合作社的八十六戶茶農中，有二十戶改種了較耐寒的青心烏龍品種。",
        "合作社理事長陳美玲表示，雖然產量下降，但茶葉的品質評分創下十年來的新高。",
    ],
    [
        "合作社在秋季開設了第一家直營門市，位於坪林老街的入口，每個週末平均接待六百位遊客。",
        "門市的收入在開業後的頭三個月就達到了三百二十萬元新臺幣，佔合作社全年收入的一成五。",
        "理事會決定把門市盈餘的一半用於茶園步道的修繕。",
    ],
    [
        "明年合作社計畫與大學合作，研究以無人機監測茶園病蟲害的方法。",
    ],
]
FERRY_EN = [
    [
        "Riverside Ferry Service: Annual Review",
        "The ferry service carried 2.4 million passengers this year, a rise of nine percent over the year before. Most of the growth came from the new early-morning crossings that started in February, which are used by hospital staff and market traders.",
        "The fleet of six boats sailed on 97 percent of scheduled days. The only long stoppage followed the spring floods, when the northern landing stage was closed for eleven days.",
    ],
    [
        "The two electric boats that joined the fleet in June have proved reliable. Each one saves about forty tonnes of diesel a year, and the charging station at the southern landing stage was paid for by a regional infrastructure grant.",
        "Fares stayed the same for the third year running. The finance committee expects to review them next spring, once the full cost of the new office buildings is known.",
        "Maintenance contractors replaced the waterproofing membranes, strengthened the embankment foundations and reconditioned the passenger waiting shelters before the autumn timetable.",
        "Passenger surveys rated punctuality at 4.3 out of 5, the highest score since the surveys began.",
    ],
    [
        "Next year the service plans to extend evening crossings until midnight on Fridays and Saturdays.",
    ],
]
ANSWER_ON_PAGE_2 = {
    "zh-Hans": "冷链仓库的扩建工程已经进入收尾阶段",
    "zh-Hant": "合作社在秋季開設了第一家直營門市",
    "en": "The two electric boats that joined the fleet in June have proved reliable.",
}


@dataclass(frozen=True)
class DocumentSpec:
    """What to write: pages of paragraphs, a header on every page, properties."""

    pages: list[list[str]]
    header: str
    font: str  # "zh-Hans", "zh-Hant" or "en"
    title: str | None = None
    created: str | None = "2024-10-08"  # ISO date, or None for no date in the properties
    page_numbers: str = "— {n} —"
    extra_pages: list[list[str]] = field(default_factory=list)


HARBOUR = DocumentSpec(HARBOUR_ZH_HANS, "东湾港务局 · 季度报告", "zh-Hans", title="东湾港季度报告",
                       page_numbers="第 {n} 页")
TEA = DocumentSpec(TEA_ZH_HANT, "坪林茶葉合作社", "zh-Hant", title=None, created="2024-11-20",
                   page_numbers="第 {n} 頁，共 3 頁")
FERRY = DocumentSpec(FERRY_EN, "Riverside Ferry Service — Annual Review 2024", "en",
                     title="Riverside Ferry Annual Review", page_numbers="Page {n} of 3")


def register_fonts() -> dict[str, str]:
    """Register reportlab's fonts for the three scripts; font name by `DocumentSpec.font`."""
    import reportlab
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    if "Vera" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        pdfmetrics.registerFont(UnicodeCIDFont("MSung-Light"))
        vera = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
        pdfmetrics.registerFont(TTFont("Vera", str(vera)))
    return {"zh-Hans": "STSong-Light", "zh-Hant": "MSung-Light", "en": "Vera"}


_LIGATURES = {"fi": "\ufb01", "fl": "\ufb02"}  # the ligature glyphs Vera has
_NO_LINE_START = "。，、；：？！）」』》"


def _typeset(text: str, font: str, size: float, width: float, latin: bool) -> list[str]:
    """Lines of at most `width` points: CJK broken anywhere, Latin at spaces, with one long
    word hyphenated when it does not fit (so the reader has a word to mend)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    def fits(line: str) -> bool:
        return stringWidth(line, font, size) <= width

    lines: list[str] = []
    if not latin:
        line = ""
        for ch in text:
            # Closing punctuation never starts a line (kinsoku): it hangs in the margin.
            if not fits(line + ch) and ch not in _NO_LINE_START:
                lines.append(line)
                line = ""
            line += ch
        return [*lines, line] if line else lines
    line = ""
    for word in text.split(" "):
        candidate = f"{line} {word}".strip()
        if fits(candidate):
            line = candidate
            continue
        if re.match(r"[a-z]{8,}", word):  # hyphenate: as much as fits, then "-"
            for cut in range(len(word) - 3, 3, -1):
                if fits(f"{line} {word[:cut]}-".strip()):
                    lines.append(f"{line} {word[:cut]}-".strip())
                    line = word[cut:]
                    break
            else:
                lines.append(line)
                line = word
            continue
        lines.append(line)
        line = word
    return [*lines, line] if line else lines


def make_pdf(
    path: Path, spec: DocumentSpec, *, ligatures: bool = True, fonts: dict[str, str] | None = None
) -> Path:
    """Write `spec` as a PDF: header and page number on every page, justified body text.
    `fonts` (default `register_fonts()`) names the font to typeset each script in."""
    from reportlab.lib.pagesizes import A5
    from reportlab.pdfgen import canvas

    fonts = fonts or register_fonts()
    font = fonts[spec.font]
    latin = spec.font == "en"
    page_width, page_height = A5
    margin, size, leading = 48.0, 10.5, 16.0
    pdf = canvas.Canvas(str(path), pagesize=A5, pageCompression=1)
    if spec.title:
        pdf.setTitle(spec.title)
    pdf.setAuthor("citebot tests")
    stamp = f"D:{spec.created.replace('-', '')}093000+08'00'" if spec.created else ""
    pdf.setDateFormatter(lambda *_: stamp)  # CreationDate and ModDate
    pages = [*spec.pages, *spec.extra_pages]
    for number, paragraphs in enumerate(pages, 1):
        pdf.setFont(font, 8)
        pdf.drawString(margin, page_height - 30, spec.header)
        pdf.drawRightString(page_width - margin, 24, spec.page_numbers.format(n=number))
        y = page_height - 64
        for paragraph in paragraphs:
            lines = _typeset(paragraph, font, size, page_width - 2 * margin, latin)
            pdf.setFont(font, size)
            for i, line in enumerate(lines):
                shown = line
                if latin and ligatures:
                    for plain, glyph in _LIGATURES.items():
                        shown = shown.replace(plain, glyph)
                last = i == len(lines) - 1
                if last or not latin:
                    pdf.drawString(margin, y, shown)
                else:  # justified: spread the words to the right margin
                    words = shown.split(" ")
                    gaps = max(1, len(words) - 1)
                    spare = page_width - 2 * margin - pdf.stringWidth(shown, font, size)
                    text = pdf.beginText(margin, y)
                    text.setFont(font, size)
                    text.setWordSpace(spare / gaps)
                    text.textLine(shown)
                    pdf.drawText(text)
                y -= leading
            y -= leading * 0.6
        pdf.showPage()
    pdf.save()
    return path


def expected_text(spec: DocumentSpec) -> list[list[str]]:
    """The paragraphs a reader sees (what the cleaned text should hold), page by page."""
    return [list(page) for page in [*spec.pages, *spec.extra_pages]]


def make_docx(path: Path, spec: DocumentSpec) -> Path:
    """Write `spec` as a Word file: the first paragraph a heading, pages apart by page breaks,
    the header in the page header (not body text)."""
    from datetime import datetime

    import docx

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = spec.header
    for number, paragraphs in enumerate(spec.pages, 1):
        for i, paragraph in enumerate(paragraphs):
            if number == 1 and i == 0:
                document.add_heading(paragraph, level=1)
            else:
                document.add_paragraph(paragraph)
        if number < len(spec.pages):
            document.add_page_break()
    props = document.core_properties
    props.title = spec.title or ""
    props.author = "citebot tests"
    props.last_modified_by = "citebot tests"
    if spec.created:
        props.created = datetime.fromisoformat(spec.created).replace(tzinfo=UTC)
    document.save(str(path))
    return path


def make_scanned_pdf(path: Path) -> Path:
    """Two pages with only pictures on them (a scan): no text layer."""
    from reportlab.lib.pagesizes import A5
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=A5)
    for shade in (0.2, 0.6):
        pdf.setFillGray(shade)
        for row in range(12):
            pdf.rect(40, 60 + row * 36, 320, 18, fill=1, stroke=0)
        pdf.showPage()
    pdf.save()
    return path


def make_encrypted_pdf(path: Path, spec: DocumentSpec) -> Path:
    """A PDF that needs a password to open."""
    from reportlab.lib.pagesizes import A5
    from reportlab.pdfgen import canvas

    fonts = register_fonts()
    pdf = canvas.Canvas(str(path), pagesize=A5, encrypt="s3cret")
    pdf.setFont(fonts[spec.font], 10)
    pdf.drawString(48, 500, spec.pages[0][1][:20])
    pdf.save()
    return path


def make_zip_bomb(path: Path, inflated_mb: int = 300) -> Path:
    """A .docx that is a zip of a few hundred kilobytes inflating to `inflated_mb` megabytes."""
    import zipfile

    chunk = b"\0" * 1_000_000
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w") as member:
            for _ in range(inflated_mb):
                member.write(chunk)
    return path
