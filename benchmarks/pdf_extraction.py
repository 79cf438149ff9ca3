"""PDF text extraction for Chinese and English: pypdfium2 vs pdfminer.six, measured.

Writes the test reports (Simplified, Traditional, English; three pages, running header,
page-number footer) as PDFs the ways real ones are made: Chinese in the non-embedded Adobe
CID fonts (STSong-Light, MSung-Light), Chinese in an embedded TrueType subset (when a CJK
font is installed: fonts-wqy-microhei, fonts-arphic-uming), English in an embedded subset
with ligature glyphs. Each library's raw page text is compared with what was drawn on the
page (whitespace and hyphens ignored, ligatures read as letters): how many of the drawn
pieces (header, paragraphs, page number) come out verbatim, the share of their characters
found (difflib matching blocks), and milliseconds per page.

    .venv/bin/pip install pdfminer.six   # not a citebot dependency
    .venv/bin/python benchmarks/pdf_extraction.py [--json]
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support import documents as fx  # noqa: E402

SYSTEM_CJK_FONTS = {
    "zh-Hans": ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    "zh-Hant": ("/usr/share/fonts/truetype/arphic/uming.ttc", 1),  # AR PL UMing TW
}


def _embedded_font(language: str) -> str | None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path, index = SYSTEM_CJK_FONTS[language]
    if not Path(path).exists():
        return None
    name = f"embedded-{language}"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
    return name


def _documents(folder: Path) -> list[tuple[str, Path, list[str]]]:
    """(label, path, drawn text of each page)."""
    specs = {"zh-Hans": fx.HARBOUR, "zh-Hant": fx.TEA, "en": fx.FERRY}
    made = []
    for language, spec in specs.items():
        variants = [("CID font" if language != "en" else "embedded TrueType + ligatures", None)]
        if language != "en":
            font = _embedded_font(language)
            if font:
                variants.append(("embedded TrueType subset", font))
        for label, font in variants:
            path = folder / f"{language}-{len(made)}.pdf"
            fonts = fx.register_fonts()
            if font:
                fonts[language] = font
            fx.make_pdf(path, replace(spec), fonts=fonts)
            drawn = [
                [spec.header, *page, spec.page_numbers.format(n=n)]
                for n, page in enumerate(spec.pages, 1)
            ]
            made.append((f"{language}, {label}", path, drawn))
    return made


def _pypdfium2(path: Path) -> list[str]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    return [page.get_textpage().get_text_range() for page in pdf]


def _pdfminer(path: Path) -> list[str]:
    from pdfminer.high_level import extract_text

    return extract_text(str(path)).split("\f")[:-1] or [""]


def _unligature(text: str) -> str:
    return text.replace("\ufb01", "fi").replace("\ufb02", "fl")


def _squash(text: str) -> str:
    # Whitespace, PDFium's hyphen markers and the drawn hyphens are layout, not content.
    return re.sub(r"[\s\x02\ufffe-]", "", text)


def measure() -> dict[str, object]:
    extractors = {"pypdfium2": _pypdfium2}
    try:
        import pdfminer  # noqa: F401

        extractors["pdfminer.six"] = _pdfminer
    except ImportError:
        print("pdfminer.six not installed: measuring pypdfium2 only", file=sys.stderr)
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, path, drawn in _documents(Path(tmp)):
            row: dict[str, object] = {}
            for name, extract in extractors.items():
                start = time.perf_counter()
                pages = extract(path)
                seconds = time.perf_counter() - start
                got = [_squash(_unligature(p)) for p in pages] + [""] * len(drawn)
                pieces = [(_squash(piece), n) for n, page in enumerate(drawn) for piece in page]
                found = [piece in got[n] for piece, n in pieces]
                # Characters of the drawn pieces that the extraction holds, in order
                # (difflib matching blocks), whatever order the pieces come out in.
                matched = sum(
                    max(
                        sum(b.size for b in difflib.SequenceMatcher(
                            None, piece, got[n], autojunk=False).get_matching_blocks()),
                        0,
                    )
                    for piece, n in pieces
                )
                row[name] = {
                    "pieces_verbatim": sum(found),
                    "pieces": len(pieces),
                    "char_accuracy": round(matched / sum(len(p) for p, _ in pieces), 4),
                    "ms_per_page": round(1000 * seconds / len(drawn), 1),
                }
            results[label] = row
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = measure()
    for label, row in results.items():
        for name, figures in row.items():  # type: ignore[union-attr]
            print(
                f"{label:40} {name:13} verbatim {figures['pieces_verbatim']}/{figures['pieces']}  "
                f"accuracy {figures['char_accuracy']:.4f}  {figures['ms_per_page']} ms/page"
            )
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
