"""An `Answer` (or the source list) as Discord markup that Discord will accept and cannot abuse.

Discord rejects a whole message (HTTP 400, code 50035) when one limit is exceeded, so
everything here is measured before it is sent: 4,096 characters per embed description,
6,000 per message across all embeds, 10 embeds per message, 2,000 for plain content.
Lengths are counted in UTF-16 code units, which is never less than what Discord counts.

Quoted article text is untrusted: markdown in it is escaped so it cannot leave its block
quote or forge a link, and mentions (`@everyone`, `<@id>`, `<@&id>`) are broken with a
zero-width space so they neither ping (the adapter also sends `allowed_mentions` none) nor
look like pings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import discord

from bot.answer_words import (
    ANSWER_ID,
    NO_SOURCES,
    QUOTE_LINK,
    SEARCHED,
    SOURCES_FOOTER,
    SOURCES_TITLE,
    UNTITLED,
    Voice,
    worded,
    worded_as,
)
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

CONTENT_LIMIT = 2000
DESCRIPTION_LIMIT = 4096
MESSAGE_EMBED_CHARS = 6000
EMBEDS_PER_MESSAGE = 10
TITLE_LIMIT = 256
FOOTER_LIMIT = 2048
SOURCES_PER_PAGE = 10

# Raw text is cut into pieces of at most this many characters before escaping, so an escaped
# piece (at most twice as long, plus a prefix) always fits one embed description.
_RAW_PIECE = 1500
_TITLE_CHARS = 150
_URL_CHARS = 1500

_ZWSP = "\u200b"
_MENTION = re.compile(r"@(everyone|here|[!&]?[0-9]{15,21})")
_URL_IN_TEXT = re.compile(r"https?://[^\s<>]+")
_MARKDOWN = re.compile(r"([\\*_~`|>\[\]()#<])")
_LINE_START = re.compile(r"^(\s*)(?:([-+])|(\d+)\.)(?=\s|$)")
# Characters that could end a markdown link target or open markup inside a URL.
_URL_UNSAFE = re.compile(r"[()\[\]<>*|\"`\\{}^\s]")

COLOUR_ANSWER = discord.Colour.blurple()
COLOUR_NOT_CONFIDENT = discord.Colour.light_grey()


def discord_len(text: str) -> int:
    """Length as Discord may count it (UTF-16 code units: an emoji counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def neutralise_mentions(text: str) -> str:
    """`@everyone` → `@\u200beveryone` (same for @here, user and role mentions)."""
    return _MENTION.sub(lambda m: f"@{_ZWSP}{m.group(1)}", text)


def escape_text(text: str) -> str:
    """Untrusted text as inert Discord markdown: no formatting, links, headings or mentions.

    Bare URLs stay clickable (escaping inside them would break them) but lose the few
    characters that could open markup.
    """
    parts: list[str] = []
    position = 0
    for match in _URL_IN_TEXT.finditer(text):
        parts.append(_escape_plain(text[position : match.start()]))
        parts.append(_defang_url(match.group(0)))
        position = match.end()
    parts.append(_escape_plain(text[position:]))
    escaped = "".join(parts)
    escaped = _LINE_START.sub(_escape_line_start, escaped)
    return neutralise_mentions(escaped)


def _escape_plain(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", text)


def _escape_line_start(match: re.Match[str]) -> str:
    """`- x`, `+ x` and `1. x` at the start of a line would become list items."""
    indent, bullet, number = match.groups()
    return f"{indent}\\{bullet}" if bullet else f"{indent}{number}\\."


def _defang_url(url: str) -> str:
    """Percent-encode what could close a link target or open markup; the URL still works."""
    return _URL_UNSAFE.sub(lambda m: "".join(f"%{b:02X}" for b in m.group(0).encode()), url)


def safe_url(url: str | None) -> str | None:
    """An http(s) URL that cannot end a markdown link early, or None if it is not usable."""
    if not url:
        return None
    url = url.strip()
    if not re.match(r"^https?://[^\s/]+", url, re.IGNORECASE) or not url.isprintable():
        return None
    for variant in shorter_links(url):  # the text fragment shortened, then dropped
        cleaned = _defang_url(variant)
        if len(cleaned) <= _URL_CHARS:
            return cleaned
    return None


def trim_utf16(text: str, limit: int) -> str:
    """At most `limit` UTF-16 units, with an ellipsis when cut."""
    if discord_len(text) <= limit:
        return text
    kept: list[str] = []
    used = 0
    for ch in text:
        width = 2 if ord(ch) > 0xFFFF else 1
        if used + width > limit - 1:
            break
        kept.append(ch)
        used += width
    return "".join(kept).rstrip() + "…"


def plain_message(text: str) -> str:
    """Short text for `content` (help, refusals, acknowledgements): mentions broken, trimmed."""
    return trim_utf16(neutralise_mentions(text), CONTENT_LIMIT)


def link(title: str, url: str | None, question: str = "") -> str:
    """`[title](url)` with the title escaped and the url made safe; the bare title without one
    (an untitled article's label in the question's language)."""
    title = " ".join(display_text(title).split()) or worded(question, UNTITLED)
    text = escape_text(trim_utf16(title, _TITLE_CHARS))
    target = safe_url(url)
    return f"[{text}]({target})" if target else f"**{text}**"


def _pieces(text: str, size: int = _RAW_PIECE) -> list[str]:
    """Non-empty lines of `text`, each cut into pieces of at most `size` characters,
    preferring to cut after sentence punctuation or at a space."""
    pieces: list[str] = []
    for line in text.splitlines():
        line = line.rstrip()
        while len(line) > size:
            cut = soft_cut(line[:size], "。！？.!?；;，, ")
            pieces.append(line[:cut])
            line = line[cut:].lstrip()
        if line.strip():
            pieces.append(line)
    return pieces


def quote_lines(text: str) -> list[str]:
    """A quote as block-quote lines: every line starts with `> `, none can escape it."""
    return [f"> {escape_text(piece)}" for piece in _pieces(text)]


def article_heading(group: ArticleQuotes, question: str = "") -> str:
    """`[title](url) · 2024-05-01` (the bold title without a URL), then `· also b.md` when
    other sources hold the same text (in the question's language)."""
    parts = [link(group.title, group.url, question)]
    if group.published:
        parts.append(escape_text(group.published))
    return " · ".join([*parts, *_also(group.other_sources, question)])


def _also(other_sources: Sequence[str], question: str = "") -> list[str]:
    """`also b.md, …` escaped, as a part of a heading or a `/sources` entry (none without
    other sources); in an answer's heading, in its question's language."""
    also = also_line(other_sources, question=question)
    return [escape_text(trim_utf16(display_text(also), _TITLE_CHARS))] if also else []


def quote_link(item: NumberedQuote, question: str = "") -> str:
    """`[2] [open at this quote](url#:~:text=…)` (`· p. 3` for a PDF), the link that
    highlights this quote; without one, `[2] report.pdf, p. 2` (citebot's words in the
    question's language)."""
    quote = item.quote
    target = safe_url(quote.url)
    number = f"\\[{item.number}\\]"
    if not target:
        where = display_text(quote_location(quote, question))
        return f"{number} {escape_text(trim_utf16(where, _TITLE_CHARS))}"
    page = f" · {page_label(quote, question)}" if quote.page else ""
    return f"{number} [{escape_text(worded(question, QUOTE_LINK))}]({target}){page}"


def answer_blocks(answer: Answer) -> list[list[str]]:
    """The answer as blocks of lines: its text, its notes, then per article a heading and
    its quotes, each quote with its number and link."""
    blocks = [[escape_text(piece) for piece in _pieces(answer.text)] or ["…"]]
    for note in answer.notes:
        blocks.append([f"*{escape_text(piece)}*" for piece in _pieces(note)])
    for group in group_by_article(answer.quotes):
        for index, item in enumerate(group.quotes):
            heading = [article_heading(group, answer.question)] if index == 0 else []
            link_line = quote_link(item, answer.question)
            blocks.append([*heading, *quote_lines(item.quote.text), link_line])
    return [block for block in blocks if block]


def footer_text(answer: Answer) -> str:
    """`Searched 14 sources · answer abc123` in the question's language."""
    question, count = answer.question, answer.sources_searched
    searched = worded(question, SEARCHED, sources=plural(count, "source"), count=count)
    if answer.answer_id:
        searched += " · " + worded(question, ANSWER_ID, id=answer.answer_id)
    return trim_utf16(searched, FOOTER_LIMIT)


def pack_descriptions(blocks: Sequence[Sequence[str]], limit: int = DESCRIPTION_LIMIT) -> list[str]:
    """Blocks joined by blank lines into as few descriptions as fit `limit`.

    A block is moved whole to the next description when it does not fit in the current one;
    only a block longer than a whole description is cut, between its lines.
    """
    descriptions: list[str] = []
    current = ""
    for block in blocks:
        text = "\n".join(block)
        joined = f"{current}\n\n{text}" if current else text
        if discord_len(joined) <= limit:
            current = joined
            continue
        if current:
            descriptions.append(current)
            current = ""
        if discord_len(text) <= limit:
            current = text
            continue
        for line in block:
            line = trim_utf16(line, limit)
            joined = f"{current}\n{line}" if current else line
            if discord_len(joined) <= limit:
                current = joined
            else:
                descriptions.append(current)
                current = line
    if current:
        descriptions.append(current)
    return descriptions


def pack_messages(embeds: Sequence[discord.Embed]) -> list[list[discord.Embed]]:
    """Embeds grouped into messages of at most 10 embeds and 6,000 characters each."""
    messages: list[list[discord.Embed]] = []
    current: list[discord.Embed] = []
    size = 0
    for embed in embeds:
        length = embed_len(embed)
        if current and (size + length > MESSAGE_EMBED_CHARS or len(current) >= EMBEDS_PER_MESSAGE):
            messages.append(current)
            current, size = [], 0
        current.append(embed)
        size += length
    if current:
        messages.append(current)
    return messages


def embed_len(embed: discord.Embed) -> int:
    """What Discord counts towards the 6,000 characters of a message (in UTF-16 units)."""
    total = discord_len(embed.title or "") + discord_len(embed.description or "")
    total += discord_len(embed.footer.text or "") + discord_len(embed.author.name or "")
    for field in embed.fields:
        total += discord_len(field.name or "") + discord_len(field.value or "")
    return total


def render_answer(answer: Answer) -> list[list[discord.Embed]]:
    """The answer as one or more messages of embeds; the footer is on the very last embed."""
    colour = COLOUR_ANSWER if answer.confident else COLOUR_NOT_CONFIDENT
    footer = footer_text(answer)
    descriptions = pack_descriptions(answer_blocks(answer))
    embeds = [discord.Embed(description=text, colour=colour) for text in descriptions]
    last = embeds[-1]
    if discord_len(last.description or "") + discord_len(footer) > MESSAGE_EMBED_CHARS:
        last = discord.Embed(colour=colour)
        embeds.append(last)
    last.set_footer(text=footer)
    return pack_messages(embeds)


def _source_entry(number: int, record: ArticleRecord) -> str:
    parts = [f"**{number}.** {link(record.title, record.url)}"]
    if record.published:
        parts.append(escape_text(record.published))
    if not safe_url(record.url):
        parts.append(escape_text(trim_utf16(display_text(source_label(record.source)), _TITLE_CHARS)))
    parts.append(f"{record.chunks} chunk{'s' if record.chunks != 1 else ''}")
    return " · ".join([*parts, *_also(record.other_sources)])


def source_pages(records: Sequence[ArticleRecord]) -> list[str]:
    """The article list cut into page descriptions (at most 10 articles and 4,096 characters)."""
    pages: list[str] = []
    current: list[str] = []
    size = 0
    budget = DESCRIPTION_LIMIT - 100
    for number, record in enumerate(records, 1):
        entry = trim_utf16(_source_entry(number, record), budget)
        if current and (len(current) >= SOURCES_PER_PAGE or size + discord_len(entry) + 1 > budget):
            pages.append("\n".join(current))
            current, size = [], 0
        current.append(entry)
        size += discord_len(entry) + 1
    if current:
        pages.append("\n".join(current))
    return pages


def render_sources_page(
    records: Sequence[ArticleRecord], page: int, collection: str, voice: Voice = "en"
) -> tuple[discord.Embed, int, int]:
    """One page of `/sources`: (embed, page shown, number of pages), citebot's words on it in
    `voice` (the articles' lines as `citebot sources` writes them)."""
    pages = source_pages(records)
    title = trim_utf16(worded_as(voice, SOURCES_TITLE, collection=collection), TITLE_LIMIT)
    if not pages:
        description = worded_as(voice, NO_SOURCES)
        empty = discord.Embed(title=title, description=description, colour=COLOUR_NOT_CONFIDENT)
        return empty, 0, 1
    page = min(max(page, 0), len(pages) - 1)
    embed = discord.Embed(title=title, description=pages[page], colour=COLOUR_ANSWER)
    count = len(records)
    footer = worded_as(
        voice,
        SOURCES_FOOTER,
        page=page + 1,
        pages=len(pages),
        articles=plural(count, "article"),
        count=count,
    )
    embed.set_footer(text=footer)
    return embed, page, len(pages)
