"""How citebot tells people about their inputs and its failures, in a single line.

Anything said about a file, a URL or an error is shown in a terminal or a chat and written
to logs. Text that comes from files and pages (their names, titles and reasons) is shown
without the characters that would act instead of being shown (`display_text`). A URL's
credentials are masked (`hide_credentials`). Counts and sizes are written in words
(`plural`, `format_size`), and an exception is one line that says what failed
(`describe_error`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Characters that act on a terminal or reorder a line instead of being shown: C0 and C1
# controls and DEL (ESC starts terminal escape sequences, CR overwrites the line), and the
# bidirectional marks, embeddings, overrides and isolates (U+202E shows `gnp.exe` as
# `exe.png`). Tabs and line breaks are kept.
_UNDISPLAYABLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def display_text(text: str) -> str:
    """`text` as it may be shown to a person (console, Slack, Discord): without the
    characters that would act instead of being shown. For file names, titles, URLs and
    reasons, which come from files and pages and so from anyone."""
    return _UNDISPLAYABLE.sub("", text)


# The user info of a URL (`alice:s3cretpw@`), up to its last `@` before the path.
_URL_USERINFO = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]*://)([^/?#\s]*)@")


def hide_credentials(text: str) -> str:
    """`text` with the password of every URL in it masked (`http://alice:***@host/x`), and a
    user name that stands alone too (`https://***@host/`: often a token). For what is shown
    or logged about an input: a URL someone typed may carry its credentials, which a skip
    line must not repeat."""

    def mask(match: re.Match[str]) -> str:
        user, colon, _ = match.group(2).partition(":")
        return f"{match.group(1)}{user + ':***' if colon else '***'}@"

    return _URL_USERINFO.sub(mask, text)


def plural(count: int, noun: str, plural_noun: str | None = None) -> str:
    """`1 article`, `2 articles`, `0 articles` (English count phrases in messages)."""
    return f"{count} {noun if count == 1 else plural_noun or noun + 's'}"


def held_by(names: Sequence[str]) -> str:
    """`held by a.md`, `held by a.md and 2 more`: the other sources of a text that stays."""
    more = f" and {len(names) - 1} more" if len(names) > 1 else ""
    return f"held by {names[0]}{more}"


def format_size(size_bytes: float) -> str:
    """A byte count as people read it: `512 bytes`, `2.3 KB`, `14.1 MB` (decimal units)."""
    if size_bytes < 1000:
        return plural(int(size_bytes), "byte")
    value, unit = size_bytes / 1e3, "KB"
    for next_unit in ("MB", "GB"):
        if round(value) < 1000:
            break
        value, unit = value / 1000, next_unit
    return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"


def describe_error(exc: BaseException) -> str:
    """`ValueError: Could not connect to a Chroma server. Are you sure it is running?`: an
    error's class and the first line of its message (at most 200 characters), the one way a
    failure is told in a single line (store errors, `citebot doctor`'s checks). Libraries
    such as chromadb raise plain `ValueError`s whose message is all that says what failed,
    so the class name alone tells the user nothing."""
    detail = (str(exc).strip().splitlines() or [""])[0][:200]
    return f"{exc.__class__.__name__}: {detail}" if detail else exc.__class__.__name__
