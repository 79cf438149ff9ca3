"""Retrieval: question → hybrid search → verified verbatim quotes → `Answer`."""

from retrieval.answerer import Answerer, clean_question
from retrieval.models import Answer, ArticleRecord, Quote, Turn

__all__ = ["Answer", "ArticleRecord", "Answerer", "Quote", "Turn", "clean_question"]
