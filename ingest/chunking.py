"""Splitting an article into chunks that suit both Chinese and English.

Chunks end at sentence ends (。！？；… and .!?, or a line break), are sized in characters
(a CJK character carries about as much as an English word piece), overlap by one short
sentence, and keep their offsets into the cleaned article text, so a chunk is always
`article.text[start:end]` and every character of the article lies in some chunk.
"""

from __future__ import annotations

from ingest.models import Article, Chunk, page_at
from ingest.text import sentence_spans, soft_cut

_SOFT_BREAKS = "，,、：:；;）) \n"


def chunk_article(article: Article, max_chars: int = 300) -> list[Chunk]:
    """The article's chunks, in order, each at most `max_chars` characters."""
    spans = _bounded_sentences(article.text, max_chars)
    overlap_limit = max_chars // 3
    chunks: list[Chunk] = []
    i = 0
    while i < len(spans):
        start, end = spans[i]
        j = i + 1
        while j < len(spans) and spans[j][1] - start <= max_chars:
            end = spans[j][1]
            j += 1
        chunks.append(
            Chunk(
                chunk_id=f"{article.article_id}-{len(chunks):04d}",
                article_id=article.article_id,
                index=len(chunks),
                text=article.text[start:end],
                start=start,
                end=end,
                page=page_at(article.pages, start),
            )
        )
        if j >= len(spans):
            break
        last_start, last_end = spans[j - 1]
        # Start the next chunk on the previous chunk's last sentence when it is short.
        i = j - 1 if j - 1 > i and last_end - last_start <= overlap_limit else j
    return chunks


def _bounded_sentences(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Sentence spans, with any sentence longer than `max_chars` cut at soft breaks."""
    bounded: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        while end - start > max_chars:
            cut = soft_cut(text[start : start + max_chars], _SOFT_BREAKS)
            bounded.append((start, start + cut))
            start += cut
        if end > start:
            bounded.append((start, end))
    return bounded
