"""Side records: small records that live and die with a store but are not articles.

The web ingester keeps what it fetched here (`side_records("web")`), beside the articles
rather than in a local file, so that stateless replicas sharing one Chroma server share it,
and a wiped or new collection starts with an empty record.
"""

from __future__ import annotations

from typing import Any

from ingest.store._layout import NO_VECTOR


class SideRecords:
    """A document and flat metadata per key, in a collection of their own."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection

    def get(self, key: str) -> tuple[str, dict[str, Any]] | None:
        got = self._collection.get(ids=[key], include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        return str(got["documents"][0] or ""), dict(got["metadatas"][0] or {})

    def put(self, key: str, document: str, metadata: dict[str, Any]) -> None:
        self._collection.upsert(
            ids=[key], documents=[document], embeddings=[NO_VECTOR], metadatas=[metadata]
        )
