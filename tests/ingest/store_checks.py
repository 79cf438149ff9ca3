"""Assertions about a store's bookkeeping, shared by the bad-input and crash-safety tests."""

from __future__ import annotations

from ingest.store import ArticleStore


def assert_consistent(store: ArticleStore) -> None:
    """Every chunk belongs to a stored article, counts agree, and chunks are the article text."""
    records = {r.article_id: r for r in store.articles()}
    per_article: dict[str, int] = {}
    chunk_ids = []
    for chunk_id, meta in store.iter_chunk_metadatas():
        chunk_ids.append(chunk_id)
        article_id = str(meta["article_id"])
        assert article_id in records, f"orphan chunk {chunk_id}"
        per_article[article_id] = per_article.get(article_id, 0) + 1
    assert len(chunk_ids) == len(set(chunk_ids)) == store.chunk_count()
    assert per_article == {aid: r.chunks for aid, r in records.items()}
    texts = store.article_texts(list(records))
    for chunk_id, (text, meta) in store.chunks_by_id(chunk_ids).items():
        assert texts[str(meta["article_id"])][int(meta["start"]) : int(meta["end"])] == text, chunk_id
