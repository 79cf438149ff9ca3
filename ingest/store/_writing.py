"""The store's one write path: chunks with their vectors, then the article record, then the
cleanup of earlier versions — in an order that an interrupted write cannot corrupt.

Writes go to the chromadb collections directly, with the vectors passed as what they are:
a chunk's document is its exact text but its vector is of title + text, which LangChain's
`Chroma.add_documents` (one text, embedded by the store) cannot express. Chunks of many
articles are embedded together and written `WRITE_BATCH` at a time; text already stored
(an edited article's unchanged parts) reuses its stored vector, found by the hash of the
embedded text. Removing an article (`forget`, or a replaced version) is here too, since it
must keep the same order in reverse: chunks first, then the record.

Beside each chunk the bilingual model's vector of its text is written under the chunk's id
(`<name>__bilingual`). A chunk whose bilingual vector is missing — a store written before
them, or a write interrupted between the two — gets it at the next write (`_fill_bilingual`);
until then the store answers bilingual searches with nothing.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.models import Article, Chunk
from ingest.store._layout import (
    NO_VECTOR,
    UNLABELLED,
    WRITE_BATCH,
    Collections,
    all_ids,
    article_metadata,
    batches,
    bilingual_metadata,
    chunk_article_fields,
    chunk_metadata,
    embedding_text,
    iter_metadatas,
    same_source,
    sentence_id,
)
from ingest.store._texts import TextCache
from ingest.text import content_id, language_of, quotable_sentences

log = logging.getLogger(__name__)

# One article to write: its chunks, and their vectors when computed elsewhere.
WriteItem = tuple[Article, list[Chunk], list[Sequence[float]] | None]


class WriteCounts(NamedTuple):
    """What storing one article did to its chunks."""

    added: int
    unchanged: int
    removed: int


class ArticleWriter:
    """Adds and removes articles of one store; one write at a time per process."""

    def __init__(
        self,
        collections: Collections,
        model: Embeddings,
        texts: TextCache,
        bilingual_model: Embeddings,
    ) -> None:
        self._chunks = collections.chunks
        self._articles = collections.articles
        self._sentences = collections.sentences
        self._bilingual = collections.bilingual
        self._model = model
        self._bilingual_model = bilingual_model
        self._texts = texts
        self._lock = threading.Lock()

    def write(
        self, items: list[WriteItem], on_embedded: Callable[[int], None] | None
    ) -> list[WriteCounts]:
        """Store articles; one `WriteCounts` per item, in order. Chunks go in first and each
        article record after all of its chunks, so an interrupted write leaves at worst
        chunks that the next run finds already present. A previous version of the same
        source (same URL, or same file) is removed once the new one is complete."""
        with self._lock:
            all_ids = [c.chunk_id for _, chunks, _ in items for c in chunks]
            existing = self._existing_chunk_ids(all_ids)
            pending: list[tuple[int, Article, Chunk, Sequence[float] | None]] = []
            waiting = [0] * len(items)
            for position, (article, chunks, vectors) in enumerate(items):
                for n, chunk in enumerate(chunks):
                    if chunk.chunk_id not in existing:
                        vector = vectors[n] if vectors is not None else None
                        pending.append((position, article, chunk, vector))
                        waiting[position] += 1
            counts: list[WriteCounts] = []
            for start in range(0, len(pending), WRITE_BATCH):
                batch = pending[start : start + WRITE_BATCH]
                self._write_chunks(batch)
                for position, *_ in batch:
                    waiting[position] -= 1
                done = len(counts)
                while done < len(items) and waiting[done] == 0:
                    done += 1
                counts += self._finish(items[len(counts) : done], existing)
                if on_embedded:
                    on_embedded(len(batch))
            counts += self._finish(items[len(counts) :], existing)
            return counts

    def update_details(self, articles: list[Article]) -> set[str]:
        """Rewrite the title, link, date, author and source of stored articles whose text is
        unchanged but whose details changed at the same source (the ids hash the text only);
        returns the ids rewritten. Their chunks' copies are rewritten first and the record
        last, so an interrupted update is redone by the next run. Nothing is embedded again:
        the chunks keep their vectors and keyword tokens (of the title they were embedded
        with). An identical text from another source changes nothing here."""
        with self._lock:
            stored: dict[str, dict[str, Any]] = {}
            for batch in batches([a.article_id for a in articles]):
                got = self._articles.get(ids=batch, include=["metadatas"])
                stored.update(zip(got["ids"], got["metadatas"], strict=True))
            changed: list[tuple[Article, dict[str, Any]]] = []
            for article in articles:
                old = stored.get(article.article_id)
                if old is None or not same_source(old, article):
                    continue
                new = article_metadata(article, int(old.get("chunks", 0)))
                if any(old.get(key) != value for key, value in new.items()):
                    changed.append((article, new))
            for article, new in changed:
                fields = chunk_article_fields(article)
                chunks = list(iter_metadatas(self._chunks, where={"article_id": article.article_id}))
                for batch in batches(chunks):
                    self._chunks.update(
                        ids=[cid for cid, _ in batch],
                        metadatas=[{**meta, **fields} for _, meta in batch],
                    )
                self._articles.update(ids=[article.article_id], metadatas=[new])
            if changed:
                self._bump_revision()
            return {article.article_id for article, _ in changed}

    def forget(self, article_id: str) -> int:
        """Remove an article and its chunks; returns how many chunks were removed."""
        with self._lock:
            if not self._articles.get(ids=[article_id], include=[])["ids"]:
                raise KeyError(article_id)
            sentences = self._article_sentences([article_id])
            removed = self._delete_articles([article_id])
            self._delete_unused_sentences(sentences)
            self._bump_revision()
            return removed

    def _existing_chunk_ids(self, chunk_ids: list[str]) -> set[str]:
        existing: set[str] = set()
        for batch in batches(chunk_ids):
            existing.update(self._chunks.get(ids=batch, include=[])["ids"])
        return existing

    def _write_chunks(self, batch: list[tuple[int, Article, Chunk, Sequence[float] | None]]) -> None:
        """Embed what has no vector yet (reusing stored vectors of identical text) and write
        the batch in one call."""
        texts = [embedding_text(article.title, chunk.text) for _, article, chunk, _ in batch]
        vectors: dict[str, Sequence[float]] = {}
        for (_, _, _, given), text in zip(batch, texts, strict=True):
            if given is not None:
                vectors[text] = given
        wanted = [t for t in dict.fromkeys(texts) if t not in vectors]
        if wanted:
            vectors.update(self._stored_vectors(wanted))
            missing = [t for t in wanted if t not in vectors]
            if missing:
                vectors.update(zip(missing, self._model.embed_documents(missing), strict=True))
        ids = [chunk.chunk_id for _, _, chunk, _ in batch]
        documents = [chunk.text for _, _, chunk, _ in batch]
        metadatas = [chunk_metadata(article, chunk) for _, article, chunk, _ in batch]
        self._chunks.upsert(
            ids=ids,
            documents=documents,
            metadatas=metadatas,
            embeddings=np.asarray([vectors[t] for t in texts], dtype=np.float32),
        )
        self._write_bilingual(ids, documents, metadatas)

    def _write_bilingual(
        self, ids: list[str], documents: list[str], metadatas: list[dict[str, Any]]
    ) -> bool:
        """The bilingual vectors of written chunks; False (logged) if the model cannot run:
        the chunks stay stored and the next write adds the vectors (`_fill_bilingual`)."""
        try:
            vectors = self._bilingual_model.embed_documents(documents)
        except Exception as exc:
            log.warning(
                "bilingual vectors not written (%s: %s); the next ingest adds them",
                exc.__class__.__name__,
                exc,
            )
            return False
        self._bilingual.upsert(
            ids=ids,
            metadatas=[bilingual_metadata(meta) for meta in metadatas],
            embeddings=np.asarray(vectors, dtype=np.float32),
        )
        return True

    def fill_bilingual(self) -> None:
        """`_fill_bilingual` for a caller outside a write (an ingest with nothing new); the
        chunks are labelled first, as in a write, so the records copy their language."""
        with self._lock:
            self._label_languages()
            self._fill_bilingual()

    def _fill_bilingual(self) -> None:
        """Give every chunk its bilingual vector and drop those of removed chunks; only
        when the two collections' counts differ (a store written before bilingual vectors,
        or an interrupted write)."""
        if self._bilingual.count() == self._chunks.count():
            return
        chunk_ids = set(all_ids(self._chunks))
        bilingual_ids = set(all_ids(self._bilingual))
        for batch in batches(sorted(bilingual_ids - chunk_ids)):
            self._bilingual.delete(ids=batch)
        missing = sorted(chunk_ids - bilingual_ids)
        if missing:
            log.info("adding bilingual vectors to %d stored chunks", len(missing))
        for batch in batches(missing):
            got = self._chunks.get(ids=batch, include=["documents", "metadatas"])
            if not self._write_bilingual(got["ids"], got["documents"], got["metadatas"]):
                return

    def _stored_vectors(self, texts: list[str]) -> dict[str, Sequence[float]]:
        """Vectors already stored for identical embedded text, by text."""
        by_hash = {content_id(t): t for t in texts}
        found = self._chunks.get(
            where={"embed_hash": {"$in": list(by_hash)}}, include=["metadatas", "embeddings"]
        )
        vectors: dict[str, Sequence[float]] = {}
        for meta, vector in zip(found["metadatas"], found["embeddings"], strict=True):
            text = by_hash.get(str(meta.get("embed_hash")))
            if text is not None:
                vectors[text] = vector
        return vectors

    def _finish(self, items: list[WriteItem], existing: set[str]) -> list[WriteCounts]:
        """Record articles whose chunks are all written, replacing earlier versions."""
        if not items:
            return []
        articles = [article for article, _, _ in items]
        keys = list(dict.fromkeys(a.source_key for a in articles))
        # The last article of a source in this group wins over the earlier ones.
        last_of_source = {a.source_key: a.article_id for a in articles}
        recorded = self._articles.get(where={"source_key": {"$in": keys}}, include=["metadatas"])
        previous: dict[str, list[str]] = {}
        for aid, meta in zip(recorded["ids"], recorded["metadatas"], strict=True):
            key = str(meta.get("source_key", ""))
            if last_of_source.get(key) != aid:
                previous.setdefault(key, []).append(aid)
        for article in articles:
            if last_of_source[article.source_key] != article.article_id:
                previous.setdefault(article.source_key, []).append(article.article_id)
        removed_by_key: dict[str, int] = {}
        replaced = list(dict.fromkeys(aid for ids in previous.values() for aid in ids))
        replaced_sentences = self._article_sentences(replaced) if replaced else set()
        for key, old_ids in previous.items():
            removed_by_key[key] = self._delete_articles(list(dict.fromkeys(old_ids)))
        for key, count in self._delete_unfinished_versions(keys, last_of_source).items():
            removed_by_key[key] = removed_by_key.get(key, 0) + count
        winners = [
            (article, chunks)
            for article, chunks, _ in items
            if last_of_source[article.source_key] == article.article_id
        ]
        winner_sentences = self._embed_sentences([article for article, _ in winners])
        if winners:
            self._articles.upsert(
                ids=[a.article_id for a, _ in winners],
                documents=[a.text for a, _ in winners],
                embeddings=[NO_VECTOR] * len(winners),
                metadatas=[article_metadata(a, len(chunks)) for a, chunks in winners],
            )
        # After the new versions are recorded: what they share with the old ones stays.
        self._delete_unused_sentences(replaced_sentences - winner_sentences)
        self._bump_revision()
        self._texts.remember({a.article_id: a.text for a, _ in winners})
        counts = []
        for article, chunks, _ in items:
            unchanged = sum(1 for c in chunks if c.chunk_id in existing)
            removed = 0
            if last_of_source[article.source_key] == article.article_id:
                removed = removed_by_key.get(article.source_key, 0)
            counts.append(WriteCounts(len(chunks) - unchanged, unchanged, removed))
        return counts

    def _embed_sentences(self, articles: list[Article]) -> set[str]:
        """Embed each quotable sentence once, at ingest, so a question does not have to;
        returns the articles' sentences.

        Kept by content (id = hash of the sentence text, vector only, no text), so sentences
        shared by articles or versions are embedded once; `forget` and a replaced version
        delete only those no stored article contains (`_delete_unused_sentences`).
        """
        texts: list[str] = []
        for article in articles:
            texts += quotable_sentences(article.text, [(0, len(article.text))])
        unique = list(dict.fromkeys(texts))
        for batch in batches(unique):
            ids = [sentence_id(t) for t in batch]
            stored = set(self._sentences.get(ids=ids, include=[])["ids"])
            missing = [t for t, i in zip(batch, ids, strict=True) if i not in stored]
            if missing:
                self._sentences.upsert(
                    ids=[sentence_id(t) for t in missing],
                    embeddings=np.asarray(self._model.embed_documents(missing), dtype=np.float32),
                )
        return set(unique)

    def _article_sentences(self, article_ids: list[str]) -> set[str]:
        """The quotable sentences of stored articles, read before the articles are deleted:
        the whole text's (what `_embed_sentences` stores) and each chunk range's, which
        stores written before quotes offered whole sentences (`cffd32d`) embedded too."""
        texts: dict[str, str] = {}
        for batch in batches(article_ids):
            got = self._articles.get(ids=batch, include=["documents"])
            texts.update(zip(got["ids"], got["documents"], strict=True))
        ranges: dict[str, list[tuple[int, int]]] = {aid: [(0, len(t))] for aid, t in texts.items()}
        for batch in batches(list(texts)):
            for _, meta in iter_metadatas(self._chunks, where={"article_id": {"$in": batch}}):
                ranges[str(meta["article_id"])].append((int(meta["start"]), int(meta["end"])))
        return {s for aid, text in texts.items() for s in quotable_sentences(text, ranges[aid])}

    def _delete_unused_sentences(self, sentences: set[str]) -> None:
        """Delete the vectors of these sentences unless a stored article's text contains
        them. A sentence is a substring of every article it was embedded for, so this keeps
        every vector still used (and, rarely, one whose text another article contains outside
        its quotable sentences). An ingest by another process that found a vector stored just
        before this deletes it only costs that article's questions one embedding per sentence
        (`sentence_vectors` embeds what is missing)."""
        for batch in batches(sorted(sentences)):
            unused = self._uncontained(batch)
            if unused:
                self._sentences.delete(ids=[sentence_id(t) for t in unused])

    def _uncontained(self, texts: list[str]) -> list[str]:
        """The texts no stored article contains: one query for the whole list, halved only
        where some article contains one of them (most sentences are one article's own, and
        a 50,000-chunk article has as many sentences: one query each took minutes)."""
        if not texts:
            return []
        where: dict[str, Any] = (
            {"$contains": texts[0]}
            if len(texts) == 1
            else {"$or": [{"$contains": t} for t in texts]}
        )
        if not self._articles.get(where_document=where, limit=1, include=[])["ids"]:
            return texts
        if len(texts) == 1:
            return []
        half = len(texts) // 2
        return self._uncontained(texts[:half]) + self._uncontained(texts[half:])

    def _delete_unfinished_versions(
        self, keys: list[str], keep: dict[str, str]
    ) -> dict[str, int]:
        """Chunks of other versions of these sources whose write was interrupted (they have
        no article record, so the version check cannot see them): an ingest killed midway,
        then the file edited before the re-run. Returns chunks removed per source key."""
        found = list(iter_metadatas(self._chunks, where={"source_key": {"$in": keys}}))
        others = {
            str(m["article_id"])
            for _, m in found
            if str(m["article_id"]) != keep.get(str(m.get("source_key")))
        }
        if not others:
            return {}
        recorded: set[str] = set()
        for batch in batches(list(others)):
            recorded.update(self._articles.get(ids=batch, include=[])["ids"])
        unfinished = others - recorded
        stale: dict[str, list[str]] = {}
        for cid, meta in found:
            if str(meta["article_id"]) in unfinished:
                stale.setdefault(str(meta.get("source_key")), []).append(cid)
        for ids in stale.values():
            for batch in batches(ids):
                self._bilingual.delete(ids=batch)
                self._chunks.delete(ids=batch)
        return {key: len(ids) for key, ids in stale.items()}

    def _delete_articles(self, article_ids: list[str]) -> int:
        """Remove articles' chunks, then their records; returns chunks removed."""
        removed = 0
        for batch in batches(article_ids):
            chunk_ids = self._chunks.get(where={"article_id": {"$in": batch}}, include=[])["ids"]
            for chunk_batch in batches(chunk_ids):
                self._bilingual.delete(ids=chunk_batch)
                self._chunks.delete(ids=chunk_batch)
            self._articles.delete(ids=batch)
            removed += len(chunk_ids)
        self._texts.drop(article_ids)
        return removed

    def _bump_revision(self) -> None:
        self._label_languages()
        self._fill_bilingual()
        self._articles.modify(metadata={"revision": uuid.uuid4().hex})

    def _label_languages(self) -> None:
        """Give chunks stored before chunks carried a `language` theirs (every write does),
        and bilingual records written without one their chunk's."""
        while True:
            page = self._chunks.get(
                where=UNLABELLED, include=["documents", "metadatas"], limit=WRITE_BATCH
            )
            if not page["ids"]:
                break
            self._chunks.update(
                ids=page["ids"],
                metadatas=[
                    {**meta, "language": language_of(text)}
                    for text, meta in zip(page["documents"], page["metadatas"], strict=True)
                ],
            )
        # Records an earlier citebot wrote from still-unlabelled chunks.
        unlabelled = [cid for cid, _ in iter_metadatas(self._bilingual, UNLABELLED)]
        for batch in batches(unlabelled):
            chunks = self._chunks.get(ids=batch, include=["metadatas"])
            self._bilingual.update(
                ids=chunks["ids"], metadatas=[bilingual_metadata(m) for m in chunks["metadatas"]]
            )
