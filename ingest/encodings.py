"""Bytes to text, in any encoding the articles come in, and a clear refusal of binary data.

Files and pages arrive as UTF-8 (with or without BOM), UTF-16/32, GB18030/GBK or Big5. A BOM
decides; then strict UTF-8; then UTF-16 without a BOM is recognised by its zero bytes (or by
which byte order yields readable text); mostly-valid UTF-8 with a few broken sequences is
refused rather than decoded as mojibake; the rest goes to GB18030 vs Big5 vs Windows-1252
(Latin-1's superset, the legacy encoding of English and Western European text): strict
decodes first, then charset-normalizer's detector among those that decoded; unless it picks
Windows-1252, when GB18030 and Big5 both decoded the reading that is likelier Chinese by
jieba's word frequencies wins (a short text gives the detector too little to go on). A web page's declared
charset comes first (`decode_html`).
"""

from __future__ import annotations

import re

from ingest.models import UnreadableArticle
from ingest.text import chinese_log_likelihood

_BOMS = [
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
]


def decode_bytes(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM), UTF-16/32, GB18030/GBK or Big5; refuse binary."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    sample = data[:4096]
    # UTF-16 without a BOM: English text has many zero bytes, CJK text many control-like bytes.
    if sample.count(0) > len(sample) // 4 or _looks_binary(sample):
        utf16 = _guess_utf16(sample)
        if utf16:
            return data.decode(utf16, errors="replace")
        raise UnreadableArticle("binary file (not text)")
    if _damaged_utf8(data):
        # Mostly valid multi-byte UTF-8 with a few broken sequences: a legacy codec would
        # "succeed" and store mojibake, so refuse it and say where the damage starts.
        raise UnreadableArticle(f"invalid UTF-8 (first bad byte at offset {first_bad})")
    return _decode_legacy(data)


def _damaged_utf8(data: bytes) -> bool:
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    valid_multibyte = sum(1 for ch in text if ord(ch) > 127) - bad
    return valid_multibyte >= 4 * max(1, bad)


def _guess_utf16(sample: bytes) -> str | None:
    even_zero = sum(1 for b in sample[0::2] if b == 0)
    odd_zero = sum(1 for b in sample[1::2] if b == 0)
    half = max(1, len(sample) // 2)
    if odd_zero > 0.3 * half and even_zero < 0.05 * half:
        return "utf-16-le"
    if even_zero > 0.3 * half and odd_zero < 0.05 * half:
        return "utf-16-be"
    # CJK text in UTF-16 has few zero bytes; decide by which byte order yields CJK.
    for encoding in ("utf-16-le", "utf-16-be"):
        try:
            text = sample[: len(sample) // 2 * 2].decode(encoding)
        except UnicodeDecodeError:
            continue
        if _readable_ratio(text) > 0.9:
            return encoding
    return None


def _looks_binary(sample: bytes) -> bool:
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls > len(sample) * 0.05


def _readable_ratio(text: str) -> float:
    if not text:
        return 0.0
    good = sum(
        1 for ch in text if ch.isprintable() or ch in "\n\r\t" if not ("\ue000" <= ch <= "\uf8ff")
    )
    return good / len(text)


# Tried strictly, in this order of preference when the detector cannot choose. Windows-1252
# is there because GB18030 and Big5 "succeed" on most Latin-1 text too (`Straße` → `Stra遝`):
# the detector, told the three, sees which decoding reads as text.
_LEGACY_ENCODINGS = ("gb18030", "big5", "cp1252")
# The likelihood reads this many characters of each reading: enough for any text, and it
# bounds the cost on a long one.
_LIKELIHOOD_SAMPLE_CHARS = 2000


def _likelier_chinese(gb18030: str, big5: str) -> str:
    """Of two readings of the same bytes, the one that is likelier Chinese text.

    The detector judges by how a text's characters are spread, which a short text does not
    show: GB18030's "你好" or "GPT-5 发布了" read as Big5 ("斕疑") won. There is no threshold:
    the likelier reading wins. Measured by benchmarks/legacy_encodings.py (10,392 snippets
    of 2-40 characters that both codecs decode; BENCHMARKS.md, "Short Chinese text in
    GB18030 or Big5"): read as the other Chinese codec 1,476 times by the detector alone
    (1,221 of 2,591 GB18030 snippets of 2-6 characters), 8 times this way, each of one or
    two Chinese characters that read as Chinese either way (霍布 / 齊票, 景 / 春)."""
    if chinese_log_likelihood(big5[:_LIKELIHOOD_SAMPLE_CHARS]) > chinese_log_likelihood(
        gb18030[:_LIKELIHOOD_SAMPLE_CHARS]
    ):
        return big5
    return gb18030


def _decode_legacy(data: bytes) -> str:
    """GB18030 vs Big5 vs Windows-1252 (and other legacy codecs): strict decodes first, then
    the detector among those that decoded."""
    strict: dict[str, str] = {}
    for encoding in _LEGACY_ENCODINGS:
        try:
            strict[encoding] = data.decode(encoding)
        except UnicodeDecodeError:
            continue
    if len(strict) == 1:
        return next(iter(strict.values()))
    from charset_normalizer import from_bytes

    if len(strict) >= 2:
        best = from_bytes(data, cp_isolation=list(strict)).best()
        chosen = best.encoding if best is not None and best.encoding in strict else None
        if chosen != "cp1252" and "gb18030" in strict and "big5" in strict:
            return _likelier_chinese(strict["gb18030"], strict["big5"])
        return strict[chosen] if chosen else next(iter(strict.values()))
    best = from_bytes(data).best()
    if best is None or _readable_ratio(str(best)[:2000]) < 0.8:
        try:
            return data.decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            raise UnreadableArticle(
                "unknown text encoding (not UTF-8/16, GB18030, Big5 or Windows-1252)"
            ) from None
    return str(best)


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_CODEC_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "big5": "big5hkscs"}


def decode_html(body: bytes, charset: str | None) -> str:
    """A fetched page's text: the charset of its Content-Type, else of its `<meta>`, else
    as a file is decoded (`decode_bytes`); GB2312/GBK as GB18030, Big5 as Big5-HKSCS."""
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
