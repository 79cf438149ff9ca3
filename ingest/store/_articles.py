"""`ArticleStore`: the store's public face — open one collection, read it, and hand writes to
the one write path (`ingest.store._writing`).

Every read goes to the chromadb collections directly (listing, fetching texts, dense search,
the keyword tokens of chunks, sentence vectors); the layout of the records is read through
`ingest.store._layout`, so nothing here names a metadata field on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain_core.embeddings import Embeddings

from config import Settings
from ingest.embeddings import load_bilingual_embeddings, load_embeddings
from ingest.messages import describe_error
from ingest.models import (
    Article,
    ArticleRecord,
    Chunk,
    ChunkHit,
    EmbeddedArticle,
    SourceFile,
    StoredChunk,
)
from ingest.store._client import StoreUnavailable, describe_location, open_client
from ingest.store._layout import (
    UNLABELLED,
    all_ids,
    article_record,
    articles_collection_name,
    batches,
    chunk_hit,
    holder_name,
    iter_metadatas,
    named_source,
    open_collections,
    recorded_file,
    sentence_id,
    side_collection_name,
    stored_chunk,
)
from ingest.store._side import SideRecords
from ingest.store._sources import current_holders
from ingest.store._texts import TextCache
from ingest.store._writing import ArticleWriter, DetailsUpdate, FileForgotten, WriteCounts
from ingest.text import LANGUAGES


class ArticleStore:
    """Articles and their chunks in Chroma. One instance per collection and process.

        store = ArticleStore(settings)                    # opens or creates the collection
        store.add_articles([(article, chunk_article(article, 300))])
        store.articles()                                  # [ArticleRecord, ...]
        hits = store.dense_search(store.embeddings.embed_query("…"), k=10)
        store.bilingual_search(store.bilingual_embeddings.embed_query("…"), k=10, language="zh")
        store.article_texts([hits[0].article_id])         # full texts, for quoting
        store.revision()                                  # changes on every write
        store.forget(article_id)
        store.forget_file("/srv/articles/old.md")          # one file's record (see forget_file)
    """

    def __init__(
        self,
        settings: Settings,
        *,
        collection: str | None = None,
        embeddings: Embeddings | None = None,
        client: Any = None,
        bilingual_embeddings: Embeddings | None = None,
    ) -> None:
        self.settings = settings
        self.name = collection or settings.collection
        self.model_name = settings.embedding_model
        self._model = embeddings or load_embeddings(self.model_name)
        self._bilingual_model = bilingual_embeddings or load_bilingual_embeddings()
        self.client = client if client is not None else open_client(settings)
        collections = open_collections(self.client, self.name, self.model_name, settings)
        self._chunks = collections.chunks
        self._articles = collections.articles
        self._sources = collections.sources
        self._sentences = collections.sentences
        self._bilingual = collections.bilingual
        self._text_cache = TextCache()
        self._languages: tuple[str, frozenset[str]] = ("", frozenset())
        self._writer = ArticleWriter(
            collections, self._model, self._text_cache, self._bilingual_model
        )

    # --- reading ------------------------------------------------------------------------------

    @property
    def embeddings(self) -> Embeddings:
        """The store's embedding model (queries are embedded with it, chunks were)."""
        return self._model

    @property
    def bilingual_embeddings(self) -> Embeddings:
        """The second model, for questions across languages (`bilingual_search`): every
        chunk's text has a vector of it too (`ingest.embeddings.BilingualEmbeddings`)."""
        return self._bilingual_model

    def heartbeat(self) -> None:
        """Raise StoreUnavailable unless the store answers."""
        try:
            self._chunks.count()
        except Exception as exc:
            raise StoreUnavailable(
                f"the Chroma store at {describe_location(self.settings)} is not answering: "
                f"{describe_error(exc)}"
            ) from exc

    def chunk_count(self) -> int:
        return self._chunks.count()

    def article_count(self) -> int:
        return self._articles.count()

    def missing_bilingual_vectors(self) -> int:
        """How many chunks have no bilingual vector yet (stored by a citebot before them, or
        by a write the bilingual model failed): the next ingest adds them."""
        return max(0, self._chunks.count() - self._bilingual.count())

    def revision(self) -> str:
        """Changes whenever articles are added or removed (by any process)."""
        collection = self.client.get_collection(
            articles_collection_name(self.name), embedding_function=None
        )
        return str((collection.metadata or {}).get("revision", "")) + f"/{collection.count()}"

    def articles(self) -> list[ArticleRecord]:
        """Every stored article once, newest first, with the sources that hold its text."""
        held: dict[str, list[dict[str, Any]]] = {}
        for _, meta in iter_metadatas(self._sources):
            held.setdefault(str(meta.get("article_id", "")), []).append(meta)
        records = [
            article_record(aid, meta, held.get(aid, ()))
            for aid, meta in iter_metadatas(self._articles)
        ]
        return sorted(records, key=lambda r: (r.published or "", r.title), reverse=True)

    def source_files(self) -> list[SourceFile]:
        """Every file a stored article was read from whose path the store knows, with the
        sources holding the same text: what `ingest` compares with the disk."""
        records = [meta for _, meta in iter_metadatas(self._sources)]
        holders = current_holders(records, dict(iter_metadatas(self._articles)))
        found: list[SourceFile] = []
        for aid, held in holders.items():
            names = tuple(sorted({holder_name(m) for m in held.values()}))
            for meta in held.values():
                if file := recorded_file(meta):
                    found.append(SourceFile(file, named_source(meta), aid, names))
        return found

    def article_ids(self) -> list[str]:
        """The ids of every stored article (complete articles only: the record is written
        after all of its chunks)."""
        return all_ids(self._articles)

    def stored_article_ids(self, article_ids: Sequence[str]) -> set[str]:
        """Which of these articles are stored (complete)."""
        stored: set[str] = set()
        for batch in batches(list(dict.fromkeys(article_ids))):
            stored.update(self._articles.get(ids=batch, include=[])["ids"])
        return stored

    def article(self, article_id: str) -> ArticleRecord | None:
        got = self._articles.get(ids=[article_id], include=["metadatas"])
        if not got["ids"]:
            return None
        held = [meta for _, meta in iter_metadatas(self._sources, {"article_id": article_id})]
        return article_record(got["ids"][0], got["metadatas"][0], held)

    def article_texts(self, article_ids: list[str], *, cached: bool = True) -> dict[str, str]:
        """Full cleaned texts by article id (ids are content hashes, so caching is safe).

        `cached=False` reads them from Chroma again: the article as stored, for verification.
        """
        wanted = list(dict.fromkeys(article_ids))
        if not cached:
            return self._documents(wanted)
        found = self._text_cache.get_many(wanted)
        missing = [a for a in wanted if a not in found]
        if missing:
            fetched = self._documents(missing)
            found.update(fetched)
            self._text_cache.remember(fetched)
        return {a: found[a] for a in wanted if a in found}

    def _documents(self, article_ids: list[str]) -> dict[str, str]:
        texts: dict[str, str] = {}
        for batch in batches(article_ids):
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

    def _stored_sentence_vectors(self, texts: list[str]) -> dict[str, Sequence[float]]:
        by_id = {sentence_id(t): t for t in texts}
        vectors: dict[str, Sequence[float]] = {}
        for batch in batches(list(by_id)):
            got = self._sentences.get(ids=batch, include=["embeddings"])
            for sid, vector in zip(got["ids"], got["embeddings"], strict=True):
                vectors[by_id[sid]] = vector
        return vectors

    def iter_chunk_metadatas(self) -> Iterator[tuple[str, dict[str, Any]]]:
        return iter_metadatas(self._chunks)

    def chunks_of(self, article_ids: Sequence[str]) -> list[StoredChunk]:
        """The stored chunks of these articles, with their keyword tokens."""
        chunks: list[StoredChunk] = []
        for batch in batches(list(article_ids)):
            chunks += [
                stored_chunk(cid, meta)
                for cid, meta in iter_metadatas(self._chunks, where={"article_id": {"$in": batch}})
            ]
        return chunks

    def languages(self) -> frozenset[str]:
        """The languages ('zh', 'en') the chunks are written in, re-read when the store changes.

        While any chunk was stored before chunks carried a `language` (the next write labels
        them), none is given: such a store is searched whole.
        """
        revision = self.revision()
        if self._languages[0] != revision:
            found = frozenset(
                language
                for language in LANGUAGES
                if self._chunks.get(where={"language": language}, limit=1, include=[])["ids"]
            )
            unlabelled = self._chunks.get(where=UNLABELLED, limit=1, include=[])["ids"]
            self._languages = (revision, frozenset() if unlabelled else found)
        return self._languages[1]

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
        return [
            chunk_hit(cid, text, meta, distance)
            for cid, text, meta, distance in zip(
                found["ids"][0],
                found["documents"][0],
                found["metadatas"][0],
                found["distances"][0],
                strict=True,
            )
        ]

    def bilingual_search(
        self, query_vector: list[float], k: int, *, language: str | None = None
    ) -> list[ChunkHit]:
        """The `k` chunks (optionally of one language) nearest a `bilingual_embeddings`
        query vector, cosine highest first. Empty while some chunk has no bilingual vector
        (a store written before them: the next ingest adds them), so a partial search is
        never taken for the whole store's."""
        count = self._bilingual.count()
        if count == 0 or count != self._chunks.count():
            return []
        found = self._bilingual.query(
            query_embeddings=[query_vector],
            n_results=min(k, count),
            where={"language": language} if language else None,
            include=["distances"],
        )
        ids, distances = found["ids"][0], found["distances"][0]
        records = self.chunks_by_id(ids)
        return [
            chunk_hit(cid, *records[cid], distance)
            for cid, distance in zip(ids, distances, strict=True)
            if cid in records
        ]

    def chunks_by_id(self, chunk_ids: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        for batch in batches(chunk_ids):
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
                self.client.get_or_create_collection(
                    side_collection_name(self.name, kind), embedding_function=None
                )
            )
        except Exception as exc:
            raise StoreUnavailable(f"cannot open the {kind} records of {self.name!r}: {exc}") from exc

    # --- writing (the one write path: `ingest.store._writing`) --------------------------------

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
        `on_embedded(n)` reports progress in chunk texts embedded (`chunks_to_embed` counts
        them beforehand): a chunk stored already, or whose text reuses a stored vector, is
        not among them.
        """
        return self._writer.write(
            [(article, list(chunks), None) for article, chunks in items], on_embedded
        )

    def chunks_to_embed(self, items: Sequence[tuple[Article, Sequence[Chunk]]]) -> int:
        """How many chunk texts `add_articles(items)` would embed: those not stored yet and
        with no stored vector of the same text (each text once); 0 when nothing is new."""
        return self._writer.to_embed([(article, list(chunks)) for article, chunks in items])

    def write_embedded(self, items: Sequence[EmbeddedArticle]) -> list[WriteCounts]:
        """Store articles whose chunk vectors were computed elsewhere (same model)."""
        for item in items:
            if len(item.vectors) != len(item.chunks):
                raise ValueError(f"{item.article.article_id}: one vector per chunk is needed")
        return self._writer.write(
            [(item.article, list(item.chunks), list(item.vectors)) for item in items], None
        )

    def update_details(self, articles: Sequence[Article]) -> DetailsUpdate:
        """For stored articles met again with the same text, at their source or at another
        (a copy): record that the source holds them, and rewrite their title, link, date,
        author and source when those changed at the source their record names (the ids hash
        the text, so such an edit is otherwise invisible). What such a source held before
        goes unless another source still holds it. Returns the ids rewritten and the chunks
        removed (`DetailsUpdate`). Nothing is embedded; articles not stored are passed over."""
        return self._writer.update_details(list(articles))

    def forget(self, article_id: str) -> int:
        """Remove an article and its chunks, whichever sources hold its text (an ingest of one
        of them brings it back); returns how many chunks were removed."""
        return self._writer.forget(article_id)

    def forget_file(self, file: str) -> FileForgotten:
        """Forget one file as a source, by its resolved path (as `ingest` records it and
        `source_files` lists it): the same text in other files or URLs stays theirs, and an
        article only this file held is removed with its chunks (an ingest of the file brings
        it back). KeyError when no stored article is held by that file."""
        return self._writer.forget_file(file)

    def add_missing_bilingual_vectors(self) -> None:
        """Give every chunk that has none its bilingual vector (`missing_bilingual_vectors`);
        every write does this too."""
        self._writer.fill_bilingual()
