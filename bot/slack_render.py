"""Slack markup for citebot: an `Answer` as Block Kit messages with a plain-text fallback.

Everything that comes from articles or users (quotes, titles, urls, the answer text) is
untrusted: it is escaped so Slack never turns it into a mention (`<!channel>`, `<@U…>`), a
channel link or a link of the article's choosing, and it is sent with `verbatim: true` so
Slack does not auto-link it either. Only links citebot builds itself (`<url|title>` for
http(s) urls) are markup.

Slack's limits are respected by construction: a section's text is at most 3,000 characters,
a message at most 50 blocks (and about 11,000 characters of block text, below the undocumented
`msg_blocks_too_long` threshold). A long answer is split over several messages and, past
`MAX_MESSAGES`, trimmed with a note, never rejected by Slack.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bot.answer_words import (
    HELPFUL,
    NOT_HELPFUL,
    QUOTE_LINK,
    SEARCHED,
    SHARE_IN_CHANNEL,
    SHARED_BY,
    SLACK_HELP,
    SLACK_TRIMMED,
    UNTITLED,
    worded,
)
from bot.core import APOLOGY
from bot.quote_groups import (
    ArticleQuotes,
    NumberedQuote,
    also_line,
    group_by_article,
    page_label,
    quote_location,
    source_label,
)
from ingest.messages import display_text, plural
from ingest.text import soft_cut
from retrieval.links import shorter_links
from retrieval.models import Answer, ArticleRecord

SECTION_CHARS = 3000
MAX_BLOCKS = 50
MESSAGE_CHARS = 11000
FALLBACK_CHARS = 3000
MAX_MESSAGES = 4
BUTTON_VALUE_CHARS = 2000
TITLE_CHARS = 200
# An article heading's `also …` (other sources of its text), within its context element.
ALSO_CHARS = 300
# A link's target, escaped: with its title and date it must fit a 3,000-character context
# element; a 5,000-character article URL made Slack refuse the whole message.
LINK_URL_CHARS = 2000

FEEDBACK_UP = "citebot_feedback_up"
FEEDBACK_DOWN = "citebot_feedback_down"
SHARE = "citebot_share"

Block = dict[str, Any]


@dataclass
class SlackMessage:
    """One `chat.postMessage` worth: Block Kit blocks and the `text` fallback."""

    text: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class _Part:
    """A content block with its plain text (for the fallback) and its size in characters."""

    block: Block
    plain: str
    size: int


def escape(text: str) -> str:
    """Slack's three control characters; after this nothing in `text` is markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def safe_url(url: str | None) -> str | None:
    """An http(s) url made safe inside `<url|label>` and at most `LINK_URL_CHARS` long (its
    text fragment shortened, then dropped, when needed), or None if it is not one."""
    if not url or any(ch.isspace() or not ch.isprintable() for ch in url):
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    for variant in shorter_links(url):
        variant = variant.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E")
        variant = variant.replace("&", "&amp;")
        if len(variant) <= LINK_URL_CHARS:
            return variant
    return None


def link(url: str | None, title: str, question: str = "") -> str:
    """`<url|title>` for a safe url, else the title in bold; both escaped (an untitled
    article's label in the question's language)."""
    label = escape(_one_line(title, TITLE_CHARS)) or escape(worded(question, UNTITLED))
    href = safe_url(url)
    return f"<{href}|{label}>" if href else f"*{label}*"


def render_answer(
    answer: Answer,
    *,
    feedback: bool = True,
    share: bool = False,
    shared_by: str | None = None,
) -> list[SlackMessage]:
    """The answer, each quote as a block quote with its source, a "searched N sources" line
    and the 👍/👎 (and "share in channel") buttons, as one or more messages; citebot's own
    words in the question's language (`bot.answer_words`)."""
    if answer.error:
        return [render_text(answer.text or APOLOGY)]
    question = answer.question
    parts: list[_Part] = []
    parts += _sections(answer.text, quote=False)
    for note in answer.notes:
        parts.append(_context(f"_{escape(_one_line(note, 500))}_", note))
    for group in group_by_article(answer.quotes):
        heading = _article_heading(group, question)
        parts.append(_context(heading, _article_heading_plain(group, question)))
        for item in group.quotes:
            parts += _sections(item.quote.text, quote=True)
            parts.append(_context(_quote_link(item, question), _quote_link_plain(item, question)))
    footer: list[Block] = []
    count = answer.sources_searched
    searched = worded(question, SEARCHED, sources=plural(count, "source"), count=count)
    if shared_by and _is_slack_id(shared_by):
        searched += " · " + worded(question, SHARED_BY, user=f"<@{shared_by}>")
    footer.append(_context(searched, searched).block)
    buttons = _buttons(answer, feedback=feedback, share=share)
    if buttons:
        footer.append({"type": "actions", "block_id": "citebot_actions", "elements": buttons})
    return _pack(parts, footer, worded(question, SLACK_TRIMMED))


def render_text(text: str) -> SlackMessage:
    """A short message (help, apology, rate limit): one escaped section."""
    text = text[: _fitting_chars(text, SECTION_CHARS - 10, quote=False)]
    return SlackMessage(text=_fallback(text), blocks=[_section(escape(text))])


def render_help(bot_user_id: str | None, asked: str = "") -> SlackMessage:
    """How to ask, in the language and script of the words that `asked` for it ("帮助");
    English for a bare mention or "help"."""
    mention = f"<@{bot_user_id}>" if bot_user_id and _is_slack_id(bot_user_id) else "@citebot"
    text = worded(asked, SLACK_HELP, mention=mention)
    return SlackMessage(text=text, blocks=[_section(text)])


def render_sources(records: Sequence[ArticleRecord]) -> SlackMessage:
    """`/citebot sources`: one line per article, newest first, within one message."""
    if not records:
        text = "No articles have been ingested yet (`citebot ingest PATH…`)."
        return SlackMessage(text=text, blocks=[_section(text)])
    ordered = sorted(records, key=lambda r: r.published or "", reverse=True)
    header = f"{len(ordered)} article{'s' if len(ordered) != 1 else ''} ingested:"
    blocks: list[Block] = [_section(header)]
    lines: list[str] = []
    used = len(header)
    shown = 0
    for record in ordered:
        line = "• " + link(record.url, record.title)
        if record.published:
            line += f" · {escape(record.published)}"
        if not safe_url(record.url):
            line += f" · `{escape(_one_line(source_label(record.source), 200))}`"
        also = also_line(record.other_sources)
        if also:
            line += f" · {escape(_one_line(also, ALSO_CHARS))}"
        pending = sum(len(x) + 1 for x in lines)
        if len(blocks) + 2 >= MAX_BLOCKS or used + pending + len(line) > MESSAGE_CHARS - 200:
            break
        if pending + len(line) > SECTION_CHARS:
            blocks.append(_section("\n".join(lines)))
            used += pending
            lines = []
        lines.append(line)
        shown += 1
    if lines:
        blocks.append(_section("\n".join(lines)))
    if shown < len(ordered):
        more = f"…and {len(ordered) - shown} more (`citebot sources` lists them all)."
        blocks.append(_context(more, more).block)
    return SlackMessage(text=header, blocks=blocks)


def feedback_value(answer_id: str, question: str) -> str:
    """The value of a button under an answer (👍/👎, "share in channel"): answer id and
    question, so a click is recorded after a restart, and answered in the question's
    language once the answer itself is forgotten."""
    value = json.dumps({"id": answer_id, "q": question}, ensure_ascii=False)
    while len(value) > BUTTON_VALUE_CHARS:
        question = question[: len(question) - (len(value) - BUTTON_VALUE_CHARS) - 1]
        value = json.dumps({"id": answer_id, "q": question}, ensure_ascii=False)
    return value


def parse_feedback_value(value: str) -> tuple[str, str] | None:
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not data["id"]:
        return None
    question = data.get("q")
    return data["id"], question if isinstance(question, str) else ""


# --- blocks -----------------------------------------------------------------------------------


def _section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn, "verbatim": True}}


def _context(mrkdwn: str, plain: str) -> _Part:
    block = {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn, "verbatim": True}]}
    return _Part(block, plain, len(mrkdwn))


def _sections(text: str, *, quote: bool) -> list[_Part]:
    """`text` escaped (as a block quote if `quote`) in sections of at most SECTION_CHARS."""
    parts = []
    for piece in _split(text.strip(), SECTION_CHARS - 10, quote=quote):
        mrkdwn = _as_quote(piece) if quote else escape(piece)
        parts.append(_Part(_section(mrkdwn), piece, len(mrkdwn)))
    return parts


def _as_quote(text: str) -> str:
    return "\n".join("> " + escape(line) for line in text.split("\n"))


def _article_heading(group: ArticleQuotes, question: str) -> str:
    """`<url|Title> · 2024-05-01`, or `*Title* · 2024-05-01` without a URL, then `· also
    b.md` when other sources hold the same text (in the question's language)."""
    line = link(group.url, group.title, question)
    if group.published:
        line += f" · {escape(group.published)}"
    also = also_line(group.other_sources, question=question)
    if also:
        line += f" · {escape(_one_line(also, ALSO_CHARS))}"
    return line


def _article_heading_plain(group: ArticleQuotes, question: str) -> str:
    """The heading as the fallback text shows it: `Title · 2024-05-01`, no link markup."""
    title = _one_line(group.title, TITLE_CHARS) or worded(question, UNTITLED)
    parts = [title, group.published or ""]
    parts.append(_one_line(also_line(group.other_sources, question=question), ALSO_CHARS))
    return " · ".join(part for part in parts if part)


def _quote_link(item: NumberedQuote, question: str) -> str:
    """`[2] <url#:~:text=…|open at this quote>` (`· p. 3` for a PDF), the link that
    highlights this quote; without one, `[2] `report.pdf, p. 2``."""
    quote = item.quote
    href = safe_url(quote.url)
    if not href:
        return f"[{item.number}] `{escape(_one_line(quote_location(quote, question), 200))}`"
    page = f" · {page_label(quote, question)}" if quote.page else ""
    return f"[{item.number}] <{href}|{escape(worded(question, QUOTE_LINK))}>{page}"


def _quote_link_plain(item: NumberedQuote, question: str) -> str:
    """The quote's number as the fallback text shows it (`[2]`, `[2] · p. 3`, or `[2]
    report.pdf, p. 2` without a link): the link itself is only in the blocks."""
    quote = item.quote
    if not safe_url(quote.url):
        return f"[{item.number}] {_one_line(quote_location(quote, question), 200)}"
    return f"[{item.number}] · {page_label(quote, question)}" if quote.page else f"[{item.number}]"


def _buttons(answer: Answer, *, feedback: bool, share: bool) -> list[Block]:
    question = answer.question
    buttons: list[Block] = []
    if feedback and answer.answer_id:
        value = feedback_value(answer.answer_id, question)
        buttons += [
            _button(worded(question, HELPFUL), FEEDBACK_UP, value),
            _button(worded(question, NOT_HELPFUL), FEEDBACK_DOWN, value),
        ]
    if share and answer.answer_id:
        label = worded(question, SHARE_IN_CHANNEL)
        value = feedback_value(answer.answer_id, question)
        buttons.append(_button(label, SHARE, value, style="primary"))
    return buttons


def _button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _pack(parts: list[_Part], footer: list[Block], trimmed_note: str) -> list[SlackMessage]:
    """Content parts into messages of at most MAX_BLOCKS blocks and MESSAGE_CHARS characters;
    the footer goes under the last one. Past MAX_MESSAGES the rest is replaced by
    `trimmed_note`."""
    footer_size = sum(_block_size(b) for b in footer)
    reserve_blocks, reserve_chars = len(footer) + 1, footer_size + len(trimmed_note) + 10
    messages: list[list[_Part]] = [[]]
    for part in parts:
        current = messages[-1]
        size = sum(p.size for p in current)
        if current and (
            len(current) + 1 > MAX_BLOCKS - reserve_blocks
            or size + part.size > MESSAGE_CHARS - reserve_chars
        ):
            if len(messages) == MAX_MESSAGES:
                note = escape(trimmed_note)
                current.append(_Part(_section(note), trimmed_note, len(note)))
                break
            messages.append([])
        messages[-1].append(part)
    out = []
    for index, group in enumerate(messages):
        blocks = [p.block for p in group]
        if index == len(messages) - 1:
            blocks += footer
        plain = "\n\n".join(p.plain for p in group if p.plain)
        out.append(SlackMessage(text=_fallback(plain) or "citebot", blocks=blocks))
    return out


def _block_size(block: Block) -> int:
    if block["type"] == "context":
        return sum(len(e.get("text", "")) for e in block["elements"])
    if block["type"] == "actions":
        return sum(len(e["value"]) + len(e["text"]["text"]) for e in block["elements"])
    return len(block.get("text", {}).get("text", ""))


# --- text -------------------------------------------------------------------------------------

_BREAKS = ("\n", "。", "！", "？", ". ", "! ", "? ", "；", "; ", "，", ", ", " ")


def _split(text: str, limit: int, *, quote: bool) -> list[str]:
    """Pieces of `text` whose rendered (escaped, quoted) length is at most `limit`, cut at a
    line, sentence or word end when one is in the second half of the piece."""
    pieces = []
    while text:
        cut = _fitting_chars(text, limit, quote=quote)
        if cut < len(text):
            cut = soft_cut(text[:cut], *([mark] for mark in _BREAKS))  # in order of preference
        piece, text = text[:cut].rstrip("\n"), text[cut:].lstrip("\n")
        if piece.strip():
            pieces.append(piece)
    return pieces


def _fitting_chars(text: str, limit: int, *, quote: bool) -> int:
    """How many characters of `text` fit into `limit` once escaped (and quoted)."""
    used = 2 if quote else 0
    for index, ch in enumerate(text):
        cost = 5 if ch == "&" else 4 if ch in "<>" else 3 if ch == "\n" and quote else 1
        if used + cost > limit:
            return max(1, index)
        used += cost
    return len(text)


def _fallback(plain: str) -> str:
    """The notification text: escaped, at most FALLBACK_CHARS once escaped."""
    cut = _fitting_chars(plain, FALLBACK_CHARS - 1, quote=False)
    return escape(plain[:cut]) + ("…" if cut < len(plain) else "")


def _trim_chars(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut (Discord's limits count UTF-16
    units instead: `discord_render.trim_utf16`)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _one_line(text: str, limit: int) -> str:
    return _trim_chars(" ".join(display_text(text or "").split()), limit)


_SLACK_ID = re.compile(r"^[UWB][A-Z0-9]{2,}$")


def _is_slack_id(value: str) -> bool:
    return bool(_SLACK_ID.match(value))
