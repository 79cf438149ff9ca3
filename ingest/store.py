"""The article store: chunks with their vectors in Chroma, and one record per article.

Two Chroma collections hold everything, so bots in several processes (or containers) can
share one Chroma server and stay stateless:

- `<collection>`: one record per chunk: its text, vector and metadata (article id, offsets,
  title, url, date, source, and the keyword tokens the BM25 index is built from). Written
  through LangChain's `Chroma` vector store with explicit, content-derived ids.
- `<collection>__articles`: one record per article: its full cleaned text (for quote
  verification and sentence windows) and metadata. Its collection metadata carries a
  `revision` that changes on every write, so readers know when to rebuild keyword indexes.

Why not LangChain's `index()` with a record manager: the record manager is a second store
(SQL) that every replica would have to share and keep in step with Chroma. Ids derived from
content, checked against Chroma itself, give the same guarantees with one source of truth:
re-ingesting adds nothing, an edited source replaces its chunks, and unchanged text is never
embedded again.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlparse

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from config import Settings
from ingest.embeddings import ReusingEmbeddings, load_embeddings
from ingest.models import Article, Chunk
from ingest.text import content_id, keyword_tokens

log = logging.getLogger(__name__)

_PAGE = 1000
_WRITE_BATCH = 64
# Ids (or `$in` values, or records read with their metadata) per Chroma call: each becomes one
# SQLite variable, and a 12 MB file's ~40k chunk ids in one `get` failed with "too many SQL
# variables" (SQLite allows 32,766; chromadb 1.5).
_ID_BATCH = 1000

_T = TypeVar("_T")


class StoreUnavailable(RuntimeError):
    """The Chroma store cannot be reached or opened; the message says which one and why."""


class EmbeddingModelMismatch(RuntimeError):
    """The collection was built with another embedding model; vectors must not mix."""


@dataclass(frozen=True)
class ArticleRecord:
    """What the store knows about one ingested article (the `citebot sources` row)."""

    article_id: str
    title: str
    url: str | None
    published: str | None
    source: str
    source_key: str
    chunks: int
    author: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.article_id,
            "title": self.title,
            "url": self.url,
            "published": self.published,
            "source": self.source,
            "chunks": self.chunks,
        }


@dataclass(frozen=True)
class ChunkHit:
    """A chunk found by dense search, with its cosine similarity to the question."""

    chunk_id: str
    article_id: str
    text: str
    start: int
    end: int
    similarity: float


def is_store_error(exc: BaseException) -> bool:
    """True when `exc` was raised by Chroma: its own errors, or its HTTP client's."""
    import chromadb.errors
    import httpx

    return isinstance(exc, chromadb.errors.ChromaError | httpx.HTTPError)


def embedding_text(title: str, chunk_text: str) -> str:
    """What is embedded for a chunk: its article's title gives the chunk its context."""
    return f"{title}\n{chunk_text}".strip()


def describe_location(settings: Settings) -> str:
    return settings.chroma_url or str(settings.chroma_path)


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


class ArticleStore:
    """Articles and their chunks in Chroma. One instance per collection and process."""

    def __init__(
        self,
        settings: Settings,
        *,
        collection: str | None = None,
        embeddings: Embeddings | None = None,
        client: Any = None,
    ) -> None:
        from langchain_chroma import Chroma

        self.settings = settings
        self.name = collection or settings.collection
        self.model_name = settings.embedding_model
        self._embeddings = ReusingEmbeddings(embeddings or load_embeddings(self.model_name))
        self.client = client if client is not None else open_client(settings)
        self._write_lock = threading.Lock()
        self._text_cache: dict[str, str] = {}
        try:
            self._chunks = self.client.get_or_create_collection(
                self.name,
                embedding_function=None,
                metadata={"hnsw:space": "cosine", "embedding_model": self.model_name},
            )
            self._articles = self.client.get_or_create_collection(
                f"{self.name}__articles", embedding_function=None
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
        self.vectorstore = Chroma(
            client=self.client,
            collection_name=self.name,
            embedding_function=self._embeddings,
            create_collection_if_not_exists=False,
        )

    # --- reading ------------------------------------------------------------------------------

    @property
    def embeddings(self) -> Embeddings:
        return self._embeddings.base

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

    def article(self, article_id: str) -> ArticleRecord | None:
        got = self._articles.get(ids=[article_id], include=["metadatas"])
        if not got["ids"]:
            return None
        return _record(got["ids"][0], got["metadatas"][0])

    def article_texts(self, article_ids: list[str], *, cached: bool = True) -> dict[str, str]:
        """Full cleaned texts by article id (ids are content hashes, so caching is safe).

        `cached=False` reads them from Chroma again: the article as stored, for verification.
        """
        if not cached:
            got = self._articles.get(ids=list(dict.fromkeys(article_ids)), include=["documents"])
            return dict(zip(got["ids"], got["documents"], strict=True))
        missing = [a for a in dict.fromkeys(article_ids) if a not in self._text_cache]
        for batch in _batches(missing):
            got = self._articles.get(ids=batch, include=["documents"])
            for aid, text in zip(got["ids"], got["documents"], strict=True):
                self._text_cache[aid] = text
        return {a: self._text_cache[a] for a in article_ids if a in self._text_cache}

    def iter_chunk_metadatas(self) -> Iterator[tuple[str, dict[str, Any]]]:
        return self._iter_metadatas(self._chunks)

    def dense_search(
        self, query_vector: list[float], k: int, article_ids: list[str] | None = None
    ) -> list[ChunkHit]:
        """The `k` chunks nearest the query vector (cosine similarity, highest first)."""
        count = self._chunks.count()
        if count == 0:
            return []
        where = {"article_id": {"$in": article_ids}} if article_ids else None
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

    # --- writing ------------------------------------------------------------------------------

    def add_article(
        self,
        article: Article,
        chunks: list[Chunk],
        on_embedded: Callable[[int], None] | None = None,
    ) -> tuple[int, int, int]:
        """Store an article; returns (chunks added, unchanged, removed).

        Chunks go in first and the article record last, so an interrupted write leaves at
        worst chunks that the next run finds already present. A previous version of the same
        source (same URL, or same file) is removed once the new one is in.
        """
        with self._write_lock:
            existing = self._existing_ids(self._chunks, [c.chunk_id for c in chunks])
            new_chunks = [c for c in chunks if c.chunk_id not in existing]
            if new_chunks:
                self._prefill_embeddings(article, new_chunks)
                self._embeddings.on_embedded = on_embedded
                try:
                    self._write_chunks(article, new_chunks)
                finally:
                    self._embeddings.on_embedded = None
            removed = 0
            for old_id in self._previous_versions(article):
                removed += self._delete_article(old_id)
            removed += self._delete_unfinished_versions(article)
            self._articles.upsert(
                ids=[article.article_id],
                documents=[article.text],
                embeddings=[[1.0]],
                metadatas=[_article_metadata(article, len(chunks))],
            )
            self._bump_revision()
            self._text_cache[article.article_id] = article.text
            return len(new_chunks), len(chunks) - len(new_chunks), removed

    def forget(self, article_id: str) -> int:
        """Remove an article and its chunks; returns how many chunks were removed."""
        with self._write_lock:
            if self.article(article_id) is None:
                raise KeyError(article_id)
            removed = self._delete_article(article_id)
            self._bump_revision()
            return removed

    def _write_chunks(self, article: Article, chunks: list[Chunk]) -> None:
        """Upsert chunks through LangChain's `Chroma.add_documents` with explicit ids.

        Documents hold the exact chunk text, but the vector is of title + text: each batch is
        embedded first, and the wrapper hands those vectors back when the vector store asks
        for the documents' embeddings.
        """
        for start in range(0, len(chunks), _WRITE_BATCH):
            batch = chunks[start : start + _WRITE_BATCH]
            vectors = self._embeddings.embed_documents(
                [embedding_text(article.title, c.text) for c in batch]
            )
            self._embeddings.pinned = dict(zip((c.text for c in batch), vectors, strict=True))
            try:
                self.vectorstore.add_documents(
                    [
                        Document(page_content=c.text, metadata=_chunk_metadata(article, c))
                        for c in batch
                    ],
                    ids=[c.chunk_id for c in batch],
                )
            finally:
                self._embeddings.pinned = {}

    def _prefill_embeddings(self, article: Article, chunks: list[Chunk]) -> None:
        """Reuse stored vectors of identical embedded text (an edited article's unchanged parts)."""
        hashes = {content_id(embedding_text(article.title, c.text)): c for c in chunks}
        for batch in _batches(list(hashes)):
            found = self._chunks.get(
                where={"embed_hash": {"$in": batch}}, include=["metadatas", "embeddings"]
            )
            for meta, vector in zip(found["metadatas"], found["embeddings"], strict=True):
                chunk = hashes.get(str(meta.get("embed_hash")))
                if chunk is not None:
                    text = embedding_text(article.title, chunk.text)
                    self._embeddings.cache[text] = list(vector)

    def _previous_versions(self, article: Article) -> list[str]:
        found = self._articles.get(where={"source_key": article.source_key}, include=[])
        return [aid for aid in found["ids"] if aid != article.article_id]

    def _delete_unfinished_versions(self, article: Article) -> int:
        """Chunks of another version of this source whose write was interrupted (they have no
        article record, so `_previous_versions` cannot see them): an ingest killed midway,
        then the file edited before the re-run."""
        found = list(self._iter_metadatas(self._chunks, where={"source_key": article.source_key}))
        others = {str(meta["article_id"]) for _, meta in found} - {article.article_id}
        if not others:
            return 0
        unfinished = others - self._existing_ids(self._articles, list(others))
        stale = [cid for cid, meta in found if str(meta["article_id"]) in unfinished]
        for batch in _batches(stale):
            self._chunks.delete(ids=batch)
        return len(stale)

    def _delete_article(self, article_id: str) -> int:
        chunk_ids = self._chunks.get(where={"article_id": article_id}, include=[])["ids"]
        for batch in _batches(chunk_ids):
            self._chunks.delete(ids=batch)
        self._articles.delete(ids=[article_id])
        self._text_cache.pop(article_id, None)
        return len(chunk_ids)

    @staticmethod
    def _existing_ids(collection: Any, ids: list[str]) -> set[str]:
        found: set[str] = set()
        for batch in _batches(ids):
            found.update(collection.get(ids=batch, include=[])["ids"])
        return found

    def _bump_revision(self) -> None:
        self._articles.modify(metadata={"revision": uuid.uuid4().hex})

    def _iter_metadatas(
        self, collection: Any, where: dict[str, Any] | None = None
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """(id, metadata) of every record (matching `where`), a page at a time: Chroma reads a
        `where` match's metadata with one SQL variable per record, so 40k at once fail."""
        offset = 0
        while True:
            page = collection.get(where=where, include=["metadatas"], limit=_PAGE, offset=offset)
            yield from zip(page["ids"], page["metadatas"], strict=True)
            if len(page["ids"]) < _PAGE:
                return
            offset += _PAGE


def _batches(items: Sequence[_T], size: int = _ID_BATCH) -> Iterator[list[_T]]:
    """`items` in slices of at most `size`: what one Chroma call may take (see `_ID_BATCH`)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


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
        "tokens": " ".join(keyword_tokens(f"{article.title}\n{chunk.text}")),
        "embed_hash": content_id(embedding_text(article.title, chunk.text)),
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
    )
