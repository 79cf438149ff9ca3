"""Ingestion: files and web pages → cleaned articles → chunks → the Chroma store."""

from ingest.models import Article, ArticleRecord, Chunk, IngestReport, SkippedInput
from ingest.pipeline import ingest_articles, ingest_paths
from ingest.store import ArticleStore, StoreUnavailable

__all__ = [
    "Article",
    "ArticleRecord",
    "ArticleStore",
    "Chunk",
    "IngestReport",
    "SkippedInput",
    "StoreUnavailable",
    "ingest_articles",
    "ingest_paths",
]
