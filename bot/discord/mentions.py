"""Whose a Discord mention is: the names behind `<@id>`, `<@&id>` and `<#id>` in a question.

A question is asked as a person reads it (`bot.core.question_from_chat`: `@alice`,
`@Moderators`, `#general`), never with the ids Discord writes in the text. The names come
from what the event carries (a message's mentioned users, an interaction's `resolved` data),
then from the guild's cache (its roles and channels come with the guild; members only as
they are seen, citebot has no members intent), then from the client's. A name found nowhere
is left to `question_from_chat`, which reads the mention as what it is (`@role`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import discord

from bot.core import MentionKind, NameOf


def names_in(
    client: discord.Client | None,
    guild: discord.Guild | None,
    *,
    users: Iterable[discord.abc.User] = (),
    resolved: Mapping[str, Any] | None = None,
) -> NameOf:
    """The lookup `question_from_chat` uses for one message or interaction."""
    mentioned = {str(user.id): user.display_name for user in users}
    resolved = resolved or {}

    def name_of(kind: MentionKind, ident: str) -> str | None:
        if not ident.isdigit():
            return None
        if kind == "user":
            return (
                mentioned.get(ident)
                or _resolved_user(resolved, ident)
                or _display_name(guild.get_member(int(ident)) if guild else None)
                or _display_name(client.get_user(int(ident)) if client else None)
            )
        if kind == "role":
            role = guild.get_role(int(ident)) if guild else None
            return _resolved_name(resolved, "roles", ident) or (role.name if role else None)
        if kind == "channel":
            channel = (guild.get_channel_or_thread(int(ident)) if guild else None) or (
                client.get_channel(int(ident)) if client else None
            )
            return _resolved_name(resolved, "channels", ident) or getattr(channel, "name", None)
        return None

    return name_of


def _display_name(user: discord.abc.User | None) -> str | None:
    return user.display_name if user is not None else None


def _resolved_name(resolved: Mapping[str, Any], kind: str, ident: str) -> str | None:
    entry = (resolved.get(kind) or {}).get(ident) or {}
    return entry.get("name") or None


def _resolved_user(resolved: Mapping[str, Any], ident: str) -> str | None:
    """A resolved member's nickname, else the user's display name, else the user name."""
    member = (resolved.get("members") or {}).get(ident) or {}
    user = (resolved.get("users") or {}).get(ident) or {}
    return member.get("nick") or user.get("global_name") or user.get("username") or None
