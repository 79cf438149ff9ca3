"""What was fetched before: one `SeenURL` record per URL, kept in the store's side records.

ETag, Last-Modified, body hash, the feed/sitemap entry date, the article id, and for feeds
and sitemaps their links. They live beside the articles rather than in a local file because
bots may run as stateless replicas sharing one Chroma server, and because they must live and
die with the store they describe. The cache is only an optimisation: the walker trusts a
record only while its article is still stored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from ingest.store import ArticleStore
from ingest.web._kinds import HTML, SITEMAP, SITEMAP_INDEX


@dataclass
class SeenURL:
    """The cache record of one fetched URL (see the module docstring)."""

    url: str
    kind: str
    etag: str = ""
    last_modified: str = ""
    body_hash: str = ""
    article_id: str = ""
    stamp: str = ""
    links: list[tuple[str, str]] = field(default_factory=list)


class WebCache:
    """`SeenURL` records kept beside the store (`ArticleStore.side_records("web")`)."""

    def __init__(self, store: ArticleStore) -> None:
        self._records = store.side_records("web")

    @staticmethod
    def _id(url: str) -> str:
        return hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]

    def get(self, url: str) -> SeenURL | None:
        got = self._records.get(self._id(url))
        if got is None:
            return None
        document, meta = got
        links = json.loads(document or "[]")
        return SeenURL(
            url=str(meta.get("url", url)),
            kind=str(meta.get("kind", HTML)),
            etag=str(meta.get("etag", "")),
            last_modified=str(meta.get("last_modified", "")),
            body_hash=str(meta.get("body_hash", "")),
            article_id=str(meta.get("article_id", "")),
            stamp=str(meta.get("stamp", "")),
            links=[(str(u), str(s)) for u, s in links],
        )

    def put(self, seen: SeenURL) -> None:
        self._records.put(
            self._id(seen.url),
            json.dumps(seen.links, ensure_ascii=False),
            {
                "url": seen.url,
                "kind": seen.kind,
                "etag": seen.etag,
                "last_modified": seen.last_modified,
                "body_hash": seen.body_hash,
                "article_id": seen.article_id,
                "stamp": seen.stamp,
            },
        )



def detected_kind(seen: SeenURL) -> str:
    """The kind `detect_kind` gave the URL (a sitemap index is recorded apart)."""
    return SITEMAP if seen.kind == SITEMAP_INDEX else seen.kind
