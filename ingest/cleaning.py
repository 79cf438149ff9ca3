"""Turning raw article text into clean, quotable text.

What a reader would not want quoted goes: markdown image lines, emphasis markers, heading
underlines, code fences and blockquote marks (the code and the quoted text stay), link targets
(the link text stays), broken characters, and the site boilerplate
that follows many articles (disclaimers, "related stocks" lists, follow-us lines).
Paragraphs are kept, separated by one blank line; spaces inside a line are normalised.
The markup pasted into questions is dropped here too (`strip_markup`), by its own rule.
"""

from __future__ import annotations

import html
import re

_IMAGE_LINE = re.compile(r"^\s*!\[[^\]]*\]\([^)]*\)\s*$")
_INLINE_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()\s]|\([^()]*\))*\)")
_EMPHASIS = re.compile(r"(\*\*|__|~~)")
_SINGLE_EMPHASIS = re.compile(r"(?<![\w*])[*_](?=\S)([^*_\n]+?)(?<=\S)[*_](?![\w*])")
_HEADING_UNDERLINE = re.compile(r"^\s*(=+|-{3,})\s*$")
_HEADING_MARK = re.compile(r"^\s{0,3}#{1,6}\s+")
_HR = re.compile(r"^\s*([*_-]\s*){3,}$")
_CODE_FENCE = re.compile(r"^\s{0,3}(?:```|~~~)[^`]*$")
_BLOCKQUOTE_MARK = re.compile(r"^\s{0,3}(?:>\s?)+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u200d\u2060\ufeff\ufffd]")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")

# Lines that start the boilerplate tail of an article. Only searched for in the last part of
# the text, so an article that merely mentions "disclaimer" early keeps its body.
_BOILERPLATE_START = re.compile(
    r"^\s*(?:"
    r"免[责責][声聲]明|[风風][险險]提示|[热熱][议議]股票|相[关關]股票|相[关關]阅读|相[关關]閱讀|推荐阅读|推薦閱讀"
    r"|参考[链鏈]接|參考[链鏈]接|参考资料|參考資料|一[键鍵]三[连連]|[关關]注我[们們]|点亮星标|點亮星標"
    r"|欢迎在评论区|歡迎在評論區|本文来自|本文來自|[—–-]+\s*完\s*[—–-]+|\(完\)|（完）"
    r"|disclaimer\b|related (?:stocks|articles|posts)\b|follow us\b|share this\b|subscribe to\b"
    r")",
    re.IGNORECASE,
)
_TAIL_FRACTION = 0.5


def clean_markdown(raw: str) -> str:
    """Clean markdown or plain text into paragraphs of normalised, quotable text."""
    lines: list[str] = []
    for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if any(rule.match(line) for rule in (_IMAGE_LINE, _HEADING_UNDERLINE, _HR, _CODE_FENCE)):
            continue
        line = _HEADING_MARK.sub("", _BLOCKQUOTE_MARK.sub("", line))
        line = _INLINE_IMAGE.sub("", line)
        line = _LINK.sub(lambda m: m.group(1), line)
        line = _EMPHASIS.sub("", line)
        line = _SINGLE_EMPHASIS.sub(lambda m: m.group(1), line)
        lines.append(line)
    return normalise("\n".join(lines))


def normalise(text: str) -> str:
    """Drop control and broken characters, normalise spaces, one blank line between paragraphs."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs: list[str] = []
    current: list[str] = []
    for line in text.split("\n"):
        line = _SPACES.sub(" ", line).strip()
        if line:
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return drop_boilerplate_tail("\n\n".join(paragraphs))


def drop_boilerplate_tail(text: str) -> str:
    """Cut the text at the first boilerplate line found in its second half."""
    tail_start = int(len(text) * (1 - _TAIL_FRACTION))
    offset = 0
    for line in text.split("\n"):
        if offset >= tail_start and _BOILERPLATE_START.match(line):
            return text[:offset].rstrip()
        offset += len(line) + 1
    return text


# --- questions ------------------------------------------------------------------------------

_SCRIPT_BLOCK = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.I | re.S)
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)\s]*\)")
_MD_MARK = re.compile(r"\*\*|__|~~|`+|(?<!\w)\*|\*(?!\w)|^\s*(?:>+|#{1,6}|[-+])\s+", re.M)


def strip_markup(text: str) -> str:
    """Pasted HTML and markdown in a question: keep the words, drop tags, scripts, link
    targets and emphasis marks.

    Unlike `clean_markdown` (an article: line by line, paragraphs kept, headings and images
    dropped, quotable text that must stay verbatim), a question is one line of search words:
    every mark becomes a space, and HTML is stripped too, since people paste from browsers."""
    text = _SCRIPT_BLOCK.sub(" ", html.unescape(text))
    text = _HTML_TAG.sub(" ", text)
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    return _MD_MARK.sub(" ", text)
