"""Which sources hold which article, so that an article stays stored while any file or URL
still holds its text.

Article ids hash the text alone: two files (or a file and a URL) with the same text are one
article. `<name>__sources` keeps one record per source key: the article whose text that
source holds now, and the details (title, link, date…) it gives it. The article's own record
names one of its sources — the first still holding its text — and shows that one's details.

When a write meets sources (`plan_settle`), each of them holds the given article from now on.
What a source held before loses that holder and is removed only when no other source holds
it; an article whose named source moved away takes the details of one still holding it; an
article met at its named source takes the details found there (an edited title, link or
date). Forgetting one file (`plan_forget_file`) is the same decision with no source met:
the file's sources stop holding what they held. This module only decides, from what the
writer (`ArticleWriter._settle`, `forget_file`) read before writing; the writer writes in a
crash-safe order.

Stores written before source records, and an article whose write was interrupted before its
source was recorded: an article is also held by the source its own record names, as long as
no record of that source points elsewhere. So nothing needs migrating at once: each source
gets its record the next time it is ingested.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ingest.models import Article
from ingest.store._layout import (
    DETAILS,
    earlier_record,
    held_article,
    holder_name,
    named_source,
    named_source_key,
    recorded_file,
    source_metadata,
)

Meta = dict[str, Any]


@dataclass
class Holdings:
    """What the store says about the sources met and the articles they touch, read before
    any write: `records` by source key (of the sources met, and of the sources the touched
    articles name), the touched articles' records by id (stored ones only), and for each of
    them the records pointing at it, by source key."""

    records: dict[str, Meta] = field(default_factory=dict)
    articles: dict[str, Meta] = field(default_factory=dict)
    holders: dict[str, dict[str, Meta]] = field(default_factory=dict)


@dataclass
class SettlePlan:
    """What to write: articles no source holds any more (with the source key that held them
    last, for the counts), new metadata of articles whose details change, which of those
    changed at the source met (`reported`), source records to write and to delete."""

    orphans: dict[str, str] = field(default_factory=dict)
    rewrites: dict[str, Meta] = field(default_factory=dict)
    reported: set[str] = field(default_factory=set)
    put: list[Article] = field(default_factory=list)
    drop: list[str] = field(default_factory=list)


def current_holders(records: Iterable[Meta], articles: dict[str, Meta]) -> dict[str, dict[str, Meta]]:
    """The sources holding each of these stored articles (records by id) now, by source key:
    the source records pointing at it, and the source its own record names while no record
    of that source exists (a store written before source records)."""
    holders: dict[str, dict[str, Meta]] = {aid: {} for aid in articles}
    keys: set[str] = set()
    for record in records:
        keys.add(named_source_key(record))
        if held_article(record) in holders:
            holders[held_article(record)][named_source_key(record)] = record
    for aid, meta in articles.items():
        if named_source_key(meta) not in keys:
            holders[aid][named_source_key(meta)] = meta
    return holders


def held_before(met: dict[str, Article], holdings: Holdings) -> dict[str, set[str]]:
    """For each source key met, the articles it held before, other than the one it holds now:
    what its record names, or (no record) the articles whose own record names it; and what
    the same file or URL held under an earlier key (`earlier_record`: its link changed)."""
    naming: dict[str, set[str]] = {}
    for aid, meta in holdings.articles.items():
        naming.setdefault(named_source_key(meta), set()).add(aid)
    records = _by_source(holdings.records)
    articles = _by_source(holdings.articles)
    before: dict[str, set[str]] = {}
    for key, article in met.items():
        record = holdings.records.get(key)
        held = {held_article(record)} if record is not None else set(naming.get(key, ()))
        held |= {
            held_article(r)
            for k, r in records.get(article.source, ())
            if k not in met and earlier_record(r, article)
        }
        held |= {
            aid
            for aid, meta in articles.get(article.source, ())
            if named_source_key(meta) not in holdings.records and earlier_record(meta, article)
        }
        before[key] = held - {article.article_id}
    return before


def _by_source(metas: dict[str, Meta]) -> dict[str, list[tuple[str, Meta]]]:
    """Records (by key or id) grouped by the file or URL they name: a met source's earlier
    records are among those of its own, so none is compared with every record."""
    grouped: dict[str, list[tuple[str, Meta]]] = {}
    for name, meta in metas.items():
        grouped.setdefault(named_source(meta), []).append((name, meta))
    return grouped


def plan_settle(met: dict[str, Article], holdings: Holdings) -> SettlePlan:
    """What meeting these sources (source key → the stored article it holds now) changes."""
    plan = SettlePlan()
    before = held_before(met, holdings)
    touched = {a.article_id for a in met.values()} | {aid for ids in before.values() for aid in ids}
    met_by_source: dict[str, list[Article]] = {}
    for article in met.values():
        met_by_source.setdefault(article.source, []).append(article)
    holders = {
        aid: _holders_after(aid, met, met_by_source, holdings, plan)
        for aid in touched
        if aid in holdings.articles
    }
    for key in met:
        for aid in sorted(before[key]):
            if aid in holders and not holders[aid]:
                plan.orphans.setdefault(aid, key)
    for aid, held in holders.items():
        if aid in plan.orphans:
            continue
        meta = holdings.articles[aid]
        named, at_source = _named_source(meta, held, met, aid)
        new = {**meta, **{k: named[k] for k in DETAILS if k in named}}
        if new != meta:
            plan.rewrites[aid] = new
            if at_source:
                plan.reported.add(aid)
    for key, article in met.items():
        if holdings.records.get(key) != source_metadata(article):
            plan.put.append(article)
    return plan


def _holders_after(
    aid: str,
    met: dict[str, Article],
    met_by_source: dict[str, list[Article]],
    holdings: Holdings,
    plan: SettlePlan,
) -> dict[str, Meta]:
    """The sources holding `aid` once the met ones hold what they hold now, by key. A record
    of a met file or URL under an earlier key (`earlier_record`) holds nothing any more: it
    goes (`plan.drop`)."""
    meta = holdings.articles[aid]
    held = {k: r for k, r in holdings.holders.get(aid, {}).items() if k not in met}
    named = named_source_key(meta)
    if named not in met and named not in holdings.records:
        held[named] = meta  # a store written before source records: the record's own source
    for key in list(held):
        if any(earlier_record(held[key], a) for a in met_by_source.get(named_source(held[key]), ())):
            del held[key]
            if key in holdings.records or key in holdings.holders.get(aid, {}):
                plan.drop.append(key)
    held.update({k: source_metadata(a) for k, a in met.items() if a.article_id == aid})
    return held


def _named_source(
    meta: Meta, held: dict[str, Meta], met: dict[str, Article], aid: str
) -> tuple[Meta, bool]:
    """Which source's details the article's record shows from now on, and whether that is
    the source it named, met now: the one it names while that still holds it, else the same
    file met under a new key, else the first of the others."""
    named = named_source_key(meta)
    if named in held:
        return held[named], named in met
    for article in met.values():
        if article.article_id == aid and earlier_record(meta, article):
            return source_metadata(article), True
    first = min(held, key=lambda k: (named_source(held[k]), k))
    return held[first], False


@dataclass
class FilePlan:
    """What forgetting one file changes (`plan_forget_file`): the `SettlePlan` to carry out
    (no records to put), and, of each article the file held that stays, the other sources
    holding it (`holder_name`)."""

    settle: SettlePlan
    kept_by: dict[str, tuple[str, ...]]


def plan_forget_file(file: str, records: Iterable[Meta], articles: dict[str, Meta]) -> FilePlan | None:
    """What forgetting the file at this resolved path changes, from every source record and
    every stored article's record; None when no stored article is held by that file.

    Every source of the file (a listing file has one per post) stops holding its article:
    its record goes. An article no other source holds goes with it; one that another source
    still holds stays, and when its record named the file it takes the details of the first
    of the others (as when a file met with another text gives an article up, `plan_settle`).
    """
    records = list(records)
    recorded = {named_source_key(record) for record in records}
    plan, found = FilePlan(SettlePlan(), {}), False
    for aid, held in current_holders(records, articles).items():
        gone = sorted(key for key, meta in held.items() if recorded_file(meta) == file)
        if not gone:
            continue
        found = True
        # A source known only by the article's own record (a store written before source
        # records) has no record to delete: the article is removed or names another.
        plan.settle.drop += [key for key in gone if key in recorded]
        rest = {key: meta for key, meta in held.items() if key not in gone}
        if not rest:
            plan.settle.orphans[aid] = gone[0]
            continue
        plan.kept_by[aid] = tuple(sorted({holder_name(meta) for meta in rest.values()}))
        meta = articles[aid]
        named, _ = _named_source(meta, rest, {}, aid)
        new = {**meta, **{k: named[k] for k in DETAILS if k in named}}
        if new != meta:
            plan.settle.rewrites[aid] = new
    return plan if found else None
