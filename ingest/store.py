"""The article store: chunks with their vectors in Chroma, and one record per article.

Three Chroma collections hold everything, so bots in several processes (or containers) can
share one Chroma server and stay stateless:

- `<collection>`: one record per chunk: its text, the vector of title + text, and metadata
  (article id, offsets, title, url, date, source, and the keyword tokens the keyword index
  is built from), under explicit, content-derived ids.
- `<collection>__articles`: one record per article: its full cleaned text (for quote
  verification and sentence windows) and metadata. Its collection metadata carries a
  `revision` that changes on every write, so readers know when to update keyword indexes.
- `<collection>__sentences`: the vector of every quotable sentence, keyed by the hash of its
  text, embedded once at ingest so that ranking quotes at question time embeds nothing
  (`sentence_vectors`).

Writes go to the chromadb collections directly, with the vectors passed as what they are:
a chunk's document is its exact text but its vector is of title + text, which LangChain's
`Chroma.add_documents` (one text, embedded by the store) cannot express. Chunks of many
articles are embedded together in large batches and written in one call per batch
(`add_articles`); `write_embedded` takes vectors computed elsewhere. Everything else —
listing, fetching, dense search, side records such as the web cache — goes through this
module's public methods, so nobody else knows the collection layout.

Why not LangChain's `index()` with a record manager: the record manager is a second store
(SQL) that every replica would have to share and keep in step with Chroma. Ids derived from
content, checked against Chroma itself, give the same guarantees with one source of truth:
re-ingesting adds nothing, an edited source replaces its chunks, and unchanged text is never
embedded again (its stored vector is reused, found by the hash of the embedded text).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple, TypeVar
from urllib.parse import urlparse

import numpy as np
from langchain_core.embeddings import Embeddings

from config import Settings
from ingest.embeddings import load_embeddings
from ingest.models import Article, ArticleRecord, Chunk, ChunkHit, EmbeddedArticle, StoredChunk
from ingest.text import LANGUAGES, content_id, keyword_tokens, language_of, quotable_sentences

log = logging.getLogger(__name__)

__all__ = [
    "ArticleRecord",
    "ArticleStore",
    "ChunkHit",
    "EmbeddedArticle",
    "EmbeddingModelMismatch",
    "SideRecords",
    "StoreUnavailable",
    "StoredChunk",
    "WriteCounts",
    "describe_location",
    "embedding_text",
    "is_store_error",
    "open_client",
]

_PAGE = 1000
# Chunks embedded and written per Chroma call. Large batches keep the model busy and the
# number of writes small; 256 ids per call stay far below SQLite's variable limit. Every call
# that takes ids, or reads the metadata of what a `where` matches, goes in batches of this
# size (`_batches`, `_iter_metadatas`): each id becomes one SQLite variable, and a 12 MB
# file's ~40k chunk ids in one call failed with "too many SQL variables" (chromadb 1.5).
WRITE_BATCH = 256
# Full article texts kept in memory for quoting (ids are content hashes, so entries never go
# stale); bounded so a long-running bot does not hold the whole store.
TEXT_CACHE_ARTICLES = 2048
# Chroma needs a vector for every record; article and side records are looked up by id only.
_NO_VECTOR = [1.0]

_T = TypeVar("_T")


class StoreUnavailable(RuntimeError):
    """The Chroma store cannot be reached or opened; the message says which one and why."""


class EmbeddingModelMismatch(RuntimeError):
    """The collection was built with another embedding model; vectors must not mix."""


class WriteCounts(NamedTuple):
    """What storing one article did to its chunks."""

    added: int
    unchanged: int
    removed: int


def embedding_text(title: str, chunk_text: str) -> str:
    """What is embedded for a chunk: its article's title gives the chunk its context."""
    return f"{title}\n{chunk_text}".strip()


def describe_location(settings: Settings) -> str:
    return settings.chroma_url or str(settings.chroma_path)


def empty_store_message(settings: Settings, collection: str | None = None) -> str:
    """What every reading command says, once, when the store holds no article: where it
    looked (a store made by accident in another folder is the usual cause) and what to run."""
    where = settings.chroma_url or str(settings.chroma_path.resolve())
    return (
        f"the store at {where} (collection {collection or settings.collection!r}) is empty: "
        "add articles with `citebot ingest PATH…`, or point CITEBOT_CHROMA_PATH "
        "(or CITEBOT_CHROMA_URL) at the store you ingested into"
    )


def open_client(settings: Settings) -> Any:
    """A Chroma client: `HttpClient` when CITEBOT_CHROMA_URL is set, else the embedded store."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        parsed = urlparse(settings.chroma_url)
        try:
            client = chromadb.HttpClient(
                host=parsed.hostname or "localhost",
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=chroma_settings,
            )
            client.heartbeat()
        except Exception as exc:  # chromadb raises several types for a dead server
            raise StoreUnavailable(
                f"cannot reach the Chroma server at {settings.chroma_url} "
                f"(CITEBOT_CHROMA_URL): {exc.__class__.__name__}"
            ) from exc
        return client
    try:
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    except Exception as exc:
        raise StoreUnavailable(
            f"cannot open the Chroma store at {settings.chroma_path} (CITEBOT_CHROMA_PATH): {exc}"
        ) from exc


class SideRecords:
    """Small records kept beside a store and living and dying with it: a document and flat
    metadata per key (e.g. the web ingester's record of what it fetched, `side_records("web")`)."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection

    def get(self, key: str) -> tuple[str, dict[str, Any]] | None:
        got = self._collection.get(ids=[key], include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        return str(got["documents"][0] or ""), dict(got["metadatas"][0] or {})

    def put(self, key: str, document: str, metadata: dict[str, Any]) -> None:
        self._collection.upsert(
            ids=[key], documents=[document], embeddings=[_NO_VECTOR], metadatas=[metadata]
        )


class ArticleStore:
    """Articles and their chunks in Chroma. One instance per collection and process.

        store = ArticleStore(settings)                    # opens or creates the collection
        store.add_articles([(article, chunk_article(article, 300))])
        store.articles()                                  # [ArticleRecord, ...]
        hits = store.dense_search(store.embeddings.embed_query("…"), k=10)
        store.article_texts([hits[0].article_id])         # full texts, for quoting
        store.revision()                                  # changes on every write
        store.forget(article_id)
    """

    def __init__(
        self,
        settings: Settings,
        *,
        collection: str | None = None,
        embeddings: Embeddings | None = None,
        client: Any = None,
    ) -> None:
        self.settings = settings
        self.name = collection or settings.collection
        self.model_name = settings.embedding_model
        self._model = embeddings or load_embeddings(self.model_name)
        self.client = client if client is not None else open_client(settings)
        self._write_lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._text_cache: OrderedDict[str, str] = OrderedDict()
        self._languages: tuple[str, frozenset[str]] = ("", frozenset())
        try:
            self._chunks = self.client.get_or_create_collection(
                self.name,
                embedding_function=None,
                metadata={"hnsw:space": "cosine", "embedding_model": self.model_name},
            )
            self._articles = self.client.get_or_create_collection(
                f"{self.name}__articles", embedding_function=None
            )
            self._sentences = self.client.get_or_create_collection(
                f"{self.name}__sentences",
                embedding_function=None,
                metadata={"hnsw:space": "cosine"},
            )
        except Exception as exc:
            raise StoreUnavailable(
                f"cannot open collection {self.name!r} at {describe_location(settings)}: {exc}"
            ) from exc
        built_with = (self._chunks.metadata or {}).get("embedding_model")
        if built_with and built_with != self.model_name:
            raise EmbeddingModelMismatch(
                f"collection {self.name!r} was built with embedding model {built_with!r}, but "
                f"CITEBOT_EMBEDDING_MODEL is {self.model_name!r}. Use another CITEBOT_COLLECTION "
                "or re-ingest into a new one: vectors of different models cannot be mixed."
            )

    # --- reading ------------------------------------------------------------------------------

    @property
    def embeddings(self) -> Embeddings:
        """The store's embedding model (queries are embedded with it, chunks were)."""
        return self._model

    def heartbeat(self) -> None:
        """Raise StoreUnavailable unless the store answers."""
        try:
            self._chunks.count()
        except Exception as exc:
            raise StoreUnavailable(
                f"the Chroma store at {describe_location(self.settings)} is not answering: "
                f"{exc.__class__.__name__}"
            ) from exc

    def chunk_count(self) -> int:
        return self._chunks.count()

    def article_count(self) -> int:
        return self._articles.count()

    def revision(self) -> str:
        """Changes whenever articles are added or removed (by any process)."""
        collection = self.client.get_collection(f"{self.name}__articles", embedding_function=None)
        return str((collection.metadata or {}).get("revision", "")) + f"/{collection.count()}"

    def articles(self) -> list[ArticleRecord]:
        records = [_record(aid, meta) for aid, meta in self._iter_metadatas(self._articles)]
        return sorted(records, key=lambda r: (r.published or "", r.title), reverse=True)

    def article_ids(self) -> list[str]:
        """The ids of every stored article (complete articles only: the record is written
        after all of its chunks)."""
        ids: list[str] = []
        offset = 0
        while True:
            page = self._articles.get(include=[], limit=_PAGE * 10, offset=offset)
            ids += page["ids"]
            if len(page["ids"]) < _PAGE * 10:
                return ids
            offset += _PAGE * 10

    def stored_article_ids(self, article_ids: Sequence[str]) -> set[str]:
        """Which of these articles are stored (complete)."""
        ids = list(dict.fromkeys(article_ids))
        stored: set[str] = set()
        for start in range(0, len(ids), WRITE_BATCH):
            batch = ids[start : start + WRITE_BATCH]
            stored.update(self._articles.get(ids=batch, include=[])["ids"])
        return stored

    def article(self, article_id: str) -> ArticleRecord | None:
        got = self._articles.get(ids=[article_id], include=["metadatas"])
        if not got["ids"]:
            return None
        return _record(got["ids"][0], got["metadatas"][0])

    def article_texts(self, article_ids: list[str], *, cached: bool = True) -> dict[str, str]:
        """Full cleaned texts by article id (ids are content hashes, so caching is safe).

        `cached=False` reads them from Chroma again: the article as stored, for verification.
        """
        wanted = list(dict.fromkeys(article_ids))
        if not cached:
            return self._documents(wanted)
        with self._cache_lock:
            found = {a: self._text_cache[a] for a in wanted if a in self._text_cache}
            for article_id in found:
                self._text_cache.move_to_end(article_id)
        missing = [a for a in wanted if a not in found]
        if missing:
            fetched = self._documents(missing)
            found.update(fetched)
            self._remember_texts(fetched)
        return {a: found[a] for a in wanted if a in found}

    def _documents(self, article_ids: list[str]) -> dict[str, str]:
        texts: dict[str, str] = {}
        for batch in _batches(article_ids):
            got = self._articles.get(ids=batch, include=["documents"])
            texts.update(zip(got["ids"], got["documents"], strict=True))
        return texts

    def sentence_vectors(self, texts: list[str]) -> list[list[float]]:
        """Vectors of quotable sentences (`ingest.text.sentence_vector_text`): the ones
        embedded at ingest are read from the store, any other is embedded now. Same contract
        as `Embeddings.embed_documents`."""
        unique = list(dict.fromkeys(texts))
        vectors = self._stored_sentence_vectors(unique)
        missing = [t for t in unique if t not in vectors]
        if missing:
            vectors.update(zip(missing, self._model.embed_documents(missing), strict=True))
        return [list(vectors[t]) for t in texts]

    def iter_chunk_metadatas(self) -> Iterator[tuple[str, dict[str, Any]]]:
        return self._iter_metadatas(self._chunks)

    def chunks_of(self, article_ids: Sequence[str]) -> list[StoredChunk]:
        """The stored chunks of these articles, with their keyword tokens."""
        chunks: list[StoredChunk] = []
        for batch in _batches(list(article_ids)):
            chunks += [
                StoredChunk(cid, str(meta.get("article_id", "")), str(meta.get("tokens", "")))
                for cid, meta in self._iter_metadatas(
                    self._chunks, where={"article_id": {"$in": batch}}
                )
            ]
        return chunks

    def languages(self) -> frozenset[str]:
        """The languages ('zh', 'en') the chunks are written in, re-read when the store changes.

        Chunks written before they carried a `language` have none; a store of only those is
        searched whole.
        """
        revision = self.revision()
        if self._languages[0] != revision:
            found = frozenset(
                language
                for language in LANGUAGES
                if self._chunks.get(where={"language": language}, limit=1, include=[])["ids"]
            )
            self._languages = (revision, frozenset() if self._has_unlabelled() else found)
        return self._languages[1]

    def _has_unlabelled(self) -> bool:
        # `$nin` also matches records without the key: chunks written before they had one.
        unlabelled = {"language": {"$nin": list(LANGUAGES)}}
        return bool(self._chunks.get(where=unlabelled, limit=1, include=[])["ids"])

    def _label_languages(self) -> None:
        """Give chunks stored before chunks carried a `language` theirs (any write does it)."""
        if not self._has_unlabelled():
            return
        while True:
            page = self._chunks.get(
                where={"language": {"$nin": list(LANGUAGES)}},
                include=["documents", "metadatas"],
                limit=WRITE_BATCH,
            )
            if not page["ids"]:
                return
            self._chunks.update(
                ids=page["ids"],
                metadatas=[
                    {**meta, "language": language_of(text)}
                    for text, meta in zip(page["documents"], page["metadatas"], strict=True)
                ],
            )

    def dense_search(
        self,
        query_vector: list[float],
        k: int,
        article_ids: list[str] | None = None,
        *,
        language: str | None = None,
    ) -> list[ChunkHit]:
        """The `k` chunks nearest the query vector (cosine similarity, highest first),
        optionally only those of some articles or of one language (`languages()`)."""
        count = self._chunks.count()
        if count == 0:
            return []
        filters: list[dict[str, Any]] = []
        if article_ids:
            filters.append({"article_id": {"$in": article_ids}})
        if language:
            filters.append({"language": language})
        where = filters[0] if len(filters) == 1 else ({"$and": filters} if filters else None)
        found = self._chunks.query(
            query_embeddings=[query_vector],
            n_results=min(k, count),
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        hits = []
        for cid, text, meta, distance in zip(
            found["ids"][0],
            found["documents"][0],
            found["metadatas"][0],
            found["distances"][0],
            strict=True,
        ):
            hits.append(
                ChunkHit(
                    chunk_id=cid,
                    article_id=str(meta["article_id"]),
                    text=text,
                    start=int(meta["start"]),
                    end=int(meta["end"]),
                    similarity=1.0 - float(distance),
                    language=str(meta.get("language") or ""),
                )
            )
        return hits

    def chunks_by_id(self, chunk_ids: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        for batch in _batches(chunk_ids):
            got = self._chunks.get(ids=batch, include=["documents", "metadatas"])
            for cid, text, meta in zip(
                got["ids"], got["documents"], got["metadatas"], strict=True
            ):
                found[cid] = (text, meta)
        return found

    def side_records(self, kind: str) -> SideRecords:
        """Records of `kind` kept beside this store (and dropped with it)."""
        try:
            return SideRecords(
                self.client.get_or_create_collection(f"{self.name}__{kind}", embedding_function=None)
            )
        except Exception as exc:
            raise StoreUnavailable(f"cannot open the {kind} records of {self.name!r}: {exc}") from exc

    # --- writing ------------------------------------------------------------------------------

    def add_article(
        self,
        article: Article,
        chunks: list[Chunk],
        on_embedded: Callable[[int], None] | None = None,
    ) -> WriteCounts:
        """Store one article (see `add_articles`)."""
        return self.add_articles([(article, chunks)], on_embedded)[0]

    def add_articles(
        self,
        items: Sequence[tuple[Article, Sequence[Chunk]]],
        on_embedded: Callable[[int], None] | None = None,
    ) -> list[WriteCounts]:
        """Store articles, embedding their new chunks; one `WriteCounts` per item, in order.

        New chunks of all the articles are embedded and written `WRITE_BATCH` at a time.
        Text already stored (an edited article's unchanged parts) reuses its stored vector.
        `on_embedded(n)` reports progress in chunks written.
        """
        return self._write(
            [(article, list(chunks), None) for article, chunks in items],
            on_embedded,
        )

    def write_embedded(self, items: Sequence[EmbeddedArticle]) -> list[WriteCounts]:
        """Store articles whose chunk vectors were computed elsewhere (same model)."""
        for item in items:
            if len(item.vectors) != len(item.chunks):
                raise ValueError(f"{item.article.article_id}: one vector per chunk is needed")
        return self._write(
            [(item.article, list(item.chunks), list(item.vectors)) for item in items], None
        )

    def forget(self, article_id: str) -> int:
        """Remove an article and its chunks; returns how many chunks were removed."""
        with self._write_lock:
            if self.article(article_id) is None:
                raise KeyError(article_id)
            removed = self._delete_articles([article_id])
            self._bump_revision()
            return removed

    def _write(
        self,
        items: list[tuple[Article, list[Chunk], list[Sequence[float]] | None]],
        on_embedded: Callable[[int], None] | None,
    ) -> list[WriteCounts]:
        """The one write path. Chunks go in first and each article record after all of its
        chunks, so an interrupted write leaves at worst chunks that the next run finds
        already present. A previous version of the same source (same URL, or same file) is
        removed once the new one is complete."""
        with self._write_lock:
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

    def _existing_chunk_ids(self, chunk_ids: list[str]) -> set[str]:
        existing: set[str] = set()
        for start in range(0, len(chunk_ids), WRITE_BATCH):
            batch = chunk_ids[start : start + WRITE_BATCH]
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
        self._chunks.upsert(
            ids=[chunk.chunk_id for _, _, chunk, _ in batch],
            documents=[chunk.text for _, _, chunk, _ in batch],
            metadatas=[_chunk_metadata(article, chunk) for _, article, chunk, _ in batch],
            embeddings=np.asarray([vectors[t] for t in texts], dtype=np.float32),
        )

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

    def _finish(
        self,
        items: list[tuple[Article, list[Chunk], Any]],
        existing: set[str],
    ) -> list[WriteCounts]:
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
        for key, old_ids in previous.items():
            removed_by_key[key] = self._delete_articles(list(dict.fromkeys(old_ids)))
        for key, count in self._delete_unfinished_versions(keys, last_of_source).items():
            removed_by_key[key] = removed_by_key.get(key, 0) + count
        winners = [
            (article, chunks)
            for article, chunks, _ in items
            if last_of_source[article.source_key] == article.article_id
        ]
        self._embed_sentences(winners)
        if winners:
            self._articles.upsert(
                ids=[a.article_id for a, _ in winners],
                documents=[a.text for a, _ in winners],
                embeddings=[_NO_VECTOR] * len(winners),
                metadatas=[_article_metadata(a, len(chunks)) for a, chunks in winners],
            )
        self._bump_revision()
        self._remember_texts({a.article_id: a.text for a, _ in winners})
        counts = []
        for article, chunks, _ in items:
            unchanged = sum(1 for c in chunks if c.chunk_id in existing)
            removed = 0
            if last_of_source[article.source_key] == article.article_id:
                removed = removed_by_key.get(article.source_key, 0)
            counts.append(WriteCounts(len(chunks) - unchanged, unchanged, removed))
        return counts

    def _embed_sentences(self, articles: list[tuple[Article, list[Chunk]]]) -> None:
        """Embed each quotable sentence once, at ingest, so a question does not have to.

        Kept by content (id = hash of the sentence text, vector only, no text), so sentences
        shared by articles or versions are embedded once; `forget` leaves them (they are
        not the article's text, and another article may share them).
        """
        texts: list[str] = []
        for article, chunks in articles:
            ranges = [(0, len(article.text))] + [(c.start, c.end) for c in chunks]
            texts += quotable_sentences(article.text, ranges)
        unique = list(dict.fromkeys(texts))
        for start in range(0, len(unique), WRITE_BATCH):
            batch = unique[start : start + WRITE_BATCH]
            ids = [_sentence_id(t) for t in batch]
            stored = set(self._sentences.get(ids=ids, include=[])["ids"])
            missing = [t for t, i in zip(batch, ids, strict=True) if i not in stored]
            if missing:
                self._sentences.upsert(
                    ids=[_sentence_id(t) for t in missing],
                    embeddings=np.asarray(self._model.embed_documents(missing), dtype=np.float32),
                )

    def _stored_sentence_vectors(self, texts: list[str]) -> dict[str, Sequence[float]]:
        by_id = {_sentence_id(t): t for t in texts}
        vectors: dict[str, Sequence[float]] = {}
        ids = list(by_id)
        for start in range(0, len(ids), WRITE_BATCH):
            got = self._sentences.get(ids=ids[start : start + WRITE_BATCH], include=["embeddings"])
            for sid, vector in zip(got["ids"], got["embeddings"], strict=True):
                vectors[by_id[sid]] = vector
        return vectors

    def _delete_unfinished_versions(
        self, keys: list[str], keep: dict[str, str]
    ) -> dict[str, int]:
        """Chunks of other versions of these sources whose write was interrupted (they have
        no article record, so the version check cannot see them): an ingest killed midway,
        then the file edited before the re-run. Returns chunks removed per source key."""
        found = list(self._iter_metadatas(self._chunks, where={"source_key": {"$in": keys}}))
        others = {
            str(m["article_id"])
            for _, m in found
            if str(m["article_id"]) != keep.get(str(m.get("source_key")))
        }
        if not others:
            return {}
        recorded: set[str] = set()
        for batch in _batches(list(others)):
            recorded.update(self._articles.get(ids=batch, include=[])["ids"])
        unfinished = others - recorded
        stale: dict[str, list[str]] = {}
        for cid, meta in found:
            if str(meta["article_id"]) in unfinished:
                stale.setdefault(str(meta.get("source_key")), []).append(cid)
        for ids in stale.values():
            for batch in _batches(ids):
                self._chunks.delete(ids=batch)
        return {key: len(ids) for key, ids in stale.items()}

    def _delete_articles(self, article_ids: list[str]) -> int:
        """Remove articles' chunks, then their records; returns chunks removed."""
        removed = 0
        for start in range(0, len(article_ids), WRITE_BATCH):
            batch = article_ids[start : start + WRITE_BATCH]
            chunk_ids = self._chunks.get(where={"article_id": {"$in": batch}}, include=[])["ids"]
            for first in range(0, len(chunk_ids), WRITE_BATCH):
                self._chunks.delete(ids=chunk_ids[first : first + WRITE_BATCH])
            self._articles.delete(ids=batch)
            removed += len(chunk_ids)
        with self._cache_lock:
            for article_id in article_ids:
                self._text_cache.pop(article_id, None)
        return removed

    def _remember_texts(self, texts: dict[str, str]) -> None:
        with self._cache_lock:
            for article_id, text in texts.items():
                self._text_cache[article_id] = text
                self._text_cache.move_to_end(article_id)
            while len(self._text_cache) > TEXT_CACHE_ARTICLES:
                self._text_cache.popitem(last=False)

    def _bump_revision(self) -> None:
        self._label_languages()
        self._articles.modify(metadata={"revision": uuid.uuid4().hex})

    def _iter_metadatas(
        self, collection: Any, where: dict[str, Any] | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """(id, metadata) of every record (matching `where`), a page at a time: Chroma reads
        the metadata of a `where` match with one SQL variable per record (see WRITE_BATCH)."""
        offset = 0
        while True:
            page = collection.get(where=where, include=["metadatas"], limit=_PAGE, offset=offset)
            yield from zip(page["ids"], page["metadatas"], strict=True)
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE


def _batches(items: Sequence[_T], size: int = WRITE_BATCH) -> Iterator[list[_T]]:
    """`items` in slices of at most `size`: what one Chroma call may take (see WRITE_BATCH)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def is_store_error(exc: BaseException) -> bool:
    """True when `exc` was raised by Chroma: its own errors, or its HTTP client's."""
    import chromadb.errors
    import httpx

    return isinstance(exc, chromadb.errors.ChromaError | httpx.HTTPError)


def _sentence_id(sentence: str) -> str:
    return content_id("sentence", sentence, length=24)


def _chunk_metadata(article: Article, chunk: Chunk) -> dict[str, Any]:
    return {
        "article_id": article.article_id,
        "index": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        "title": article.title,
        "url": article.url or "",
        "published": article.published or "",
        "source": article.source,
        "source_key": article.source_key,
        "page": chunk.page or 0,
        "tokens": " ".join(keyword_tokens(f"{article.title}\n{chunk.text}")),
        "embed_hash": content_id(embedding_text(article.title, chunk.text)),
        "language": language_of(chunk.text),
    }


def _article_metadata(article: Article, chunk_count: int) -> dict[str, Any]:
    return {
        "title": article.title,
        "url": article.url or "",
        "published": article.published or "",
        "author": article.author or "",
        "source": article.source,
        "source_key": article.source_key,
        "chunks": chunk_count,
        "pages": ",".join(map(str, article.pages)),
        "file_format": article.file_format,
    }


def _record(article_id: str, meta: dict[str, Any]) -> ArticleRecord:
    return ArticleRecord(
        article_id=article_id,
        title=str(meta.get("title", "")),
        url=str(meta.get("url") or "") or None,
        published=str(meta.get("published") or "") or None,
        source=str(meta.get("source", "")),
        source_key=str(meta.get("source_key", "")),
        chunks=int(meta.get("chunks", 0)),
        author=str(meta.get("author") or "") or None,
        pages=tuple(int(p) for p in str(meta.get("pages") or "").split(",") if p),
        file_format=str(meta.get("file_format") or ""),
    )
