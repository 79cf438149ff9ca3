"""The article store: chunks with their vectors in Chroma, and one record per article.

Five Chroma collections hold everything, so bots in several processes (or containers) can
share one Chroma server and stay stateless:

- `<collection>`: one record per chunk: its text, the vector of title + text, and metadata
  (article id, offsets, title, url, date, source, and the keyword tokens the keyword index
  is built from), under explicit, content-derived ids.
- `<collection>__articles`: one record per article: its full cleaned text (for quote
  verification and sentence windows) and metadata. Its collection metadata carries a
  `revision` that changes on every write, so readers know when to update keyword indexes.
- `<collection>__sources`: one record per source (file or URL, by source key): the article
  whose text it holds now, and the details it gives it. The same text in several files is
  one article (ids hash the text); it stays stored while any of them holds it, and its record
  shows the details of the first of them. A store written before these records reads as it
  did (an article is held by the source its record names) and gains them as its sources are
  ingested again.
- `<collection>__sentences`: the vector of every quotable sentence, keyed by the hash of its
  text, embedded once at ingest so that ranking quotes at question time embeds nothing
  (`sentence_vectors`); shared by the articles that contain the sentence, deleted when the
  last of them is forgotten or replaced.
- `<collection>__bilingual`: every chunk's vector of the second, bilingual model
  (`ingest.embeddings.BilingualEmbeddings`), under the chunk's id, with its language: the
  search for questions across languages (`bilingual_search`). Chunks without one (a store
  written before them) get it at the next ingest; until then that search finds nothing.

Nobody outside this package knows that layout: everything goes through `ArticleStore`'s
public methods and the names below. Inside, one module per part:

- `_client`: opening Chroma (embedded or server) and its errors;
- `_layout`: the collections' names, the metadata of each record, how records read back;
- `_articles`: `ArticleStore`, opening a collection and reading it;
- `_writing`: the one write path (and removal), in crash-safe order;
- `_sources`: which sources hold which article, and what meeting a source changes;
- `_texts`: the bounded in-memory cache of article texts; `_side`: side records.

Why not LangChain's `index()` with a record manager: the record manager is a second store
(SQL) that every replica would have to share and keep in step with Chroma. Ids derived from
content, checked against Chroma itself, give the same guarantees with one source of truth:
re-ingesting adds nothing, an edited source replaces its chunks unless another source still
holds the old text (an edit of only its title, link or date rewrites those in place,
`update_details`), and unchanged text is never embedded again (its stored vector is reused,
found by the hash of the embedded text).
"""

from ingest.models import ArticleRecord, ChunkHit, EmbeddedArticle, StoredChunk
from ingest.store._articles import ArticleStore
from ingest.store._client import (
    StoreUnavailable,
    describe_location,
    empty_store_message,
    is_store_error,
    open_client,
)
from ingest.store._layout import WRITE_BATCH, EmbeddingModelMismatch, embedding_text
from ingest.store._side import SideRecords
from ingest.store._writing import DetailsUpdate, FileForgotten, WriteCounts

__all__ = [
    "WRITE_BATCH",
    "ArticleRecord",
    "ArticleStore",
    "ChunkHit",
    "DetailsUpdate",
    "EmbeddedArticle",
    "EmbeddingModelMismatch",
    "FileForgotten",
    "SideRecords",
    "StoreUnavailable",
    "StoredChunk",
    "WriteCounts",
    "describe_location",
    "embedding_text",
    "empty_store_message",
    "is_store_error",
    "open_client",
]
