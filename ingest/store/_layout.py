"""How the store lays its records out in Chroma: the only module that knows the collections'
names, what metadata a chunk and an article carry, and how a record reads back.

Five collections per store (see `ingest.store`): `<name>` (chunks), `<name>__articles`,
`<name>__sources`, `<name>__sentences` and `<name>__bilingual`, plus `<name>__<kind>` for side
records. Reading and writing both go through the functions here, so a field is named in one
place.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, TypeVar

from config import Settings
from ingest.models import Article, ArticleRecord, Chunk, ChunkHit, StoredChunk, page_at
from ingest.store._client import StoreUnavailable, describe_location
from ingest.text import LANGUAGES, content_id, keyword_tokens, language_of

PAGE = 1000
# Chunks embedded and written per Chroma call. Large batches keep the model busy and the
# number of writes small; 256 ids per call stay far below SQLite's variable limit. Every call
# that takes ids, or reads the metadata of what a `where` matches, goes in batches of this
# size (`batches`, `iter_metadatas`): each id becomes one SQLite variable, and a 12 MB
# file's ~40k chunk ids in one call failed with "too many SQL variables" (chromadb 1.5).
WRITE_BATCH = 256
# Chroma needs a vector for every record; article and side records are looked up by id only.
NO_VECTOR = [1.0]
# The vector index of a new collection. With Chroma's defaults (16 neighbours, ef 100 to build
# and to search) the 30 chunks found for a question missed one of the exact 30 nearest for 57
# of XQuAD en's 1,190 questions, and two builds of that store found different chunks for 105
# of them: a question near the "I don't know" threshold was answered in one eval run and not
# in the next. With these: 1 missed, 3 differ (and 0 of the mixed set's 2,026 questions,
# searched per language, missed one, against 19), for 0.4 ms more a search (BENCHMARKS.md,
# twenty-fourth session). An existing collection keeps its graph and is given the ef_search
# (`_search_as_wide`).
VECTOR_INDEX = {
    "hnsw": {"space": "cosine", "max_neighbors": 32, "ef_construction": 200, "ef_search": 200}
}

_T = TypeVar("_T")
log = logging.getLogger(__name__)


class EmbeddingModelMismatch(RuntimeError):
    """The collection was built with another embedding model; vectors must not mix."""


@dataclass(frozen=True)
class Collections:
    """The five Chroma collections of one store."""

    chunks: Any
    articles: Any
    sources: Any
    sentences: Any
    bilingual: Any


def articles_collection_name(name: str) -> str:
    return f"{name}__articles"


def sources_collection_name(name: str) -> str:
    return f"{name}__sources"


def side_collection_name(name: str, kind: str) -> str:
    return f"{name}__{kind}"


def open_collections(client: Any, name: str, model_name: str, settings: Settings) -> Collections:
    """Open (or create) a store's collections; refuse one built with another model."""
    try:
        collections = Collections(
            chunks=client.get_or_create_collection(
                name,
                embedding_function=None,
                metadata={"embedding_model": model_name},
                configuration=VECTOR_INDEX,
            ),
            articles=client.get_or_create_collection(
                articles_collection_name(name), embedding_function=None
            ),
            sources=client.get_or_create_collection(
                sources_collection_name(name), embedding_function=None
            ),
            sentences=client.get_or_create_collection(
                f"{name}__sentences",
                embedding_function=None,
                configuration=VECTOR_INDEX,
            ),
            bilingual=client.get_or_create_collection(
                f"{name}__bilingual",
                embedding_function=None,
                configuration=VECTOR_INDEX,
            ),
        )
    except Exception as exc:
        raise StoreUnavailable(
            f"cannot open collection {name!r} at {describe_location(settings)}: {exc}"
        ) from exc
    built_with = (collections.chunks.metadata or {}).get("embedding_model")
    if built_with and built_with != model_name:
        raise EmbeddingModelMismatch(
            f"collection {name!r} was built with embedding model {built_with!r}, but "
            f"CITEBOT_EMBEDDING_MODEL is {model_name!r}. Use another CITEBOT_COLLECTION "
            "or re-ingest into a new one: vectors of different models cannot be mixed."
        )
    for collection in (collections.chunks, collections.sentences, collections.bilingual):
        _search_as_wide(collection)
    return collections


def _search_as_wide(collection: Any) -> None:
    """Give a collection made before `VECTOR_INDEX` its ef_search, the one index setting
    Chroma lets change: on XQuAD en's old store it alone took the questions that missed one
    of their exact 30 nearest chunks from 57 to 2 of 1,190. A Chroma that refuses keeps the
    index as it is (searching works either way)."""
    wanted = VECTOR_INDEX["hnsw"]["ef_search"]
    index = (getattr(collection, "configuration", None) or {}).get("hnsw") or {}
    if index.get("ef_search", wanted) >= wanted:
        return
    try:
        collection.modify(configuration={"hnsw": {"ef_search": wanted}})
    except Exception as exc:
        log.warning("could not widen the vector search of %r: %s", collection.name, exc)


def batches(items: Sequence[_T], size: int = WRITE_BATCH) -> Iterator[list[_T]]:
    """`items` in slices of at most `size`: what one Chroma call may take (see WRITE_BATCH)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def all_ids(collection: Any) -> list[str]:
    """Every record id of a collection, `PAGE * 10` at a time (ids only: no SQL variable
    per record)."""
    ids: list[str] = []
    while True:
        page = collection.get(include=[], limit=PAGE * 10, offset=len(ids))
        ids += page["ids"]
        if len(page["ids"]) < PAGE * 10:
            return ids


def iter_metadatas(
    collection: Any, where: dict[str, Any] | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(id, metadata) of every record (matching `where`), a page at a time: Chroma reads
    the metadata of a `where` match with one SQL variable per record (see WRITE_BATCH)."""
    offset = 0
    while True:
        page = collection.get(where=where, include=["metadatas"], limit=PAGE, offset=offset)
        yield from zip(page["ids"], page["metadatas"], strict=True)
        if len(page["ids"]) < PAGE:
            return
        offset += PAGE


def embedding_text(title: str, chunk_text: str) -> str:
    """What is embedded for a chunk: its article's title gives the chunk its context."""
    return f"{title}\n{chunk_text}".strip()


def sentence_id(sentence: str) -> str:
    return content_id("sentence", sentence, length=24)


# What an article's record says of the source it names (its first source still holding its
# text): the same fields in a source's record, for that source.
DETAILS = ("title", "url", "published", "author", "source", "source_key", "pages", "file_format")
# A source's record of a file: the file's resolved path (`Article.file`). Not a detail: an
# article's record does not show it, so records written before it stay as they are.
FILE = "file"
# What a chunk's metadata repeats of its article's record: rewritten on every chunk, with its
# page, when the record's details change (`rewritten_chunk_metadata`).
CHUNK_DETAILS = ("title", "url", "published", "source", "source_key")


def article_details(article: Article) -> dict[str, Any]:
    """The details an article has at the source it was read from (`DETAILS`)."""
    return {
        "title": article.title,
        "url": article.url or "",
        "published": article.published or "",
        "author": article.author or "",
        "source": article.source,
        "source_key": article.source_key,
        "pages": ",".join(map(str, article.pages)),
        "file_format": article.file_format,
    }


def chunk_article_fields(details: dict[str, Any]) -> dict[str, Any]:
    """What a chunk's metadata repeats of its article's details (`CHUNK_DETAILS`)."""
    return {key: details.get(key, "") for key in CHUNK_DETAILS}


def rewritten_chunk_metadata(chunk_meta: dict[str, Any], details: dict[str, Any]) -> dict[str, Any]:
    """A chunk's metadata once its article shows the details of another source (or new ones
    of its own): their copies, and the chunk's page in that source, none when it has no pages
    (a PDF copy gone, a text file holding the same text left)."""
    page = page_at(_pages(details), int(chunk_meta.get("start", 0)))
    return {**chunk_meta, **chunk_article_fields(details), "page": page or 0}


def _pages(details: dict[str, Any]) -> tuple[int, ...]:
    """The page offsets a record's details give (`article_details`' `pages`)."""
    return tuple(int(p) for p in str(details.get("pages") or "").split(",") if p)


def held_article(record: dict[str, Any]) -> str:
    """The article a source's record says that source holds."""
    return str(record.get("article_id", ""))


def named_source_key(meta: dict[str, Any]) -> str:
    """The source key a record names: a source's own, or the one an article's record shows."""
    return str(meta.get("source_key", ""))


def named_source(meta: dict[str, Any]) -> str:
    """The file or URL (as given) a record names."""
    return str(meta.get("source", ""))


def earlier_record(meta: dict[str, Any], article: Article) -> bool:
    """Whether a record (a source's, or an article's naming its source) is what the file or
    URL `article` was read from gave under an earlier key: the same source as given, another
    key, a link behind one of the two keys (a `> link:` or canonical link added, changed or
    dropped in that file or page), and, for a file, the same file (`_same_file`). Two keys
    that are both paths are never one source's versions: a file's key is its absolute path,
    and the posts of one listing file are `path#title` each (they hold their own texts side
    by side)."""
    key = named_source_key(meta)
    if key == article.source_key or named_source(meta) != article.source:
        return False
    if not (
        _keyed_by_link(key, meta.get("url")) or _keyed_by_link(article.source_key, article.url)
    ):
        return False
    return _same_file(meta, article)


def _same_file(meta: dict[str, Any], article: Article) -> bool:
    """Whether a record of the same source as given was read from `article`'s file: `post.md`
    is two files when given from inside two folders. A record whose file is not known (see
    `recorded_file`) is trusted by its source as given, as before files were recorded."""
    if not article.file:
        return True  # a URL or an upload: its source as given is all there is
    recorded = recorded_file(meta)
    return not recorded or recorded == article.file


def recorded_file(meta: dict[str, Any]) -> str:
    """The resolved path of the file a record (a source's, or an article's naming its
    source) was read from; '' for a URL, an upload, or a file keyed by its link in a record
    written before records named their file (`FILE`). Such a record keyed by the file's
    path (a post's by `path#title`) names it by that key, when the key ends in the name of
    the file as given."""
    recorded = str(meta.get(FILE) or "")
    if recorded:
        return recorded
    key = named_source_key(meta)
    if _keyed_by_link(key, meta.get("url")) or not PurePath(key).is_absolute():
        return ""
    post = f"#{meta.get('title', '')}"
    candidates = (key, key[: key.rfind(post)] if post in key else "")
    name = PurePath(named_source(meta)).name
    return next((file for file in candidates if file and PurePath(file).name == name), "")


def holder_name(meta: dict[str, Any]) -> str:
    """How a source holding an article is named to people: a file by its resolved path
    (`recorded_file`), anything else (a URL, an upload, a file whose path is not known) as
    given."""
    return recorded_file(meta) or named_source(meta)


def _keyed_by_link(key: str, url: object) -> bool:
    """A source key that is the article's link (a file's `> link:`, a page's canonical URL)."""
    return bool(url) and key == url


def where_sources(sources: Sequence[str]) -> dict[str, Any]:
    """A `where` matching the records (a source's or an article's) read from these files or
    URLs, as given."""
    return {"source": {"$in": list(sources)}}


def source_record_id(source_key: str) -> str:
    """A source's record id in `<name>__sources`: one record per source key."""
    return content_id("source", source_key, length=24)


def source_metadata(article: Article) -> dict[str, Any]:
    """A source's record: the article whose text it holds now, its details there, and the
    file it was read from (none for a URL or an upload)."""
    record = {"article_id": article.article_id, **article_details(article)}
    if article.file:
        record[FILE] = article.file
    return record


def chunk_metadata(article: Article, chunk: Chunk) -> dict[str, Any]:
    return {
        "article_id": article.article_id,
        "index": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        **chunk_article_fields(article_details(article)),
        "page": chunk.page or 0,
        "tokens": " ".join(keyword_tokens(f"{article.title}\n{chunk.text}")),
        "embed_hash": content_id(embedding_text(article.title, chunk.text)),
        "language": language_of(chunk.text),
    }


def bilingual_metadata(chunk_meta: dict[str, Any]) -> dict[str, Any]:
    """A chunk's record in `<name>__bilingual` (its id is the chunk's): the language searches
    filter on, and the article it belongs to."""
    return {"article_id": chunk_meta["article_id"], "language": chunk_meta.get("language") or ""}


def article_metadata(article: Article, chunk_count: int) -> dict[str, Any]:
    return {**article_details(article), "chunks": chunk_count}


def article_record(
    article_id: str, meta: dict[str, Any], sources: Sequence[dict[str, Any]] = ()
) -> ArticleRecord:
    """An article as listed; `sources` are the records of the sources holding it (their
    `source` beside the one its own record names become `other_sources`)."""
    source = str(meta.get("source", ""))
    others = sorted({str(s.get("source", "")) for s in sources} - {source, ""})
    return ArticleRecord(
        article_id=article_id,
        title=str(meta.get("title", "")),
        url=str(meta.get("url") or "") or None,
        published=str(meta.get("published") or "") or None,
        source=source,
        source_key=str(meta.get("source_key", "")),
        chunks=int(meta.get("chunks", 0)),
        author=str(meta.get("author") or "") or None,
        pages=_pages(meta),
        file_format=str(meta.get("file_format") or ""),
        other_sources=tuple(others),
    )


def chunk_hit(chunk_id: str, text: str, meta: dict[str, Any], distance: float) -> ChunkHit:
    """A dense-search match; Chroma's cosine distance becomes a cosine similarity (higher is nearer)."""
    return ChunkHit(
        chunk_id=chunk_id,
        article_id=str(meta["article_id"]),
        text=text,
        start=int(meta["start"]),
        end=int(meta["end"]),
        cosine=1.0 - float(distance),
        language=str(meta.get("language") or ""),
    )


def stored_chunk(chunk_id: str, meta: dict[str, Any]) -> StoredChunk:
    return StoredChunk(chunk_id, str(meta.get("article_id", "")), str(meta.get("tokens", "")))


# `$nin` also matches records without the key: chunks written before chunks had a language.
UNLABELLED = {"language": {"$nin": list(LANGUAGES)}}
