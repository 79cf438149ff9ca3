"""Property tests: whatever the text, chunks are exact, cover it all and respect the size limit.

Quotes are verified against `article.text[start:end]`, so a chunk whose offsets drift, or a
character that falls between chunks, would make a true quote unverifiable.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.chunking import chunk_article
from ingest.models import Article
from ingest.text import sentence_spans

_PIECES = st.one_of(
    st.text(alphabet="人工智能的发展需要算法数据和算力臺灣半導體產業", min_size=1, max_size=40),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=1, max_size=60),
    st.sampled_from(["。", "！", "？", "；", "…", ".", "!", "?", ". ", "... ", "，", ",", "、", "：",
                     "”", "」", ")", "\n", "\n\n", " ", "\t", "\u3000", "Dr. ", "3.14", "U.S. "]),
    st.text(alphabet="。！？.!?;；…,，\n", min_size=1, max_size=30),  # only punctuation
    st.text(min_size=1, max_size=30),  # any code point except surrogates
)
ARTICLE_TEXT = st.one_of(
    st.lists(_PIECES, max_size=80).map("".join),
    st.text(max_size=2000),
    st.text(alphabet="字", min_size=1, max_size=3000),  # one endless sentence, no punctuation
)
MAX_CHARS = st.integers(min_value=80, max_value=600)  # CITEBOT_CHUNK_CHARS allows 80..2000


def _article(text: str) -> Article:
    return Article(article_id="a1", title="t", text=text, source="s.txt", source_key="s.txt")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=ARTICLE_TEXT, max_chars=MAX_CHARS)
def test_chunks_are_exact_cover_everything_and_fit(text: str, max_chars: int) -> None:
    chunks = chunk_article(_article(text), max_chars)
    if not text:
        assert chunks == []
        return
    covered = [False] * len(text)
    for index, chunk in enumerate(chunks):
        assert chunk.index == index
        assert chunk.text == text[chunk.start : chunk.end]
        assert 0 < len(chunk.text) <= max_chars
        for i in range(chunk.start, chunk.end):
            covered[i] = True
    assert all(covered), f"characters {[i for i, c in enumerate(covered) if not c][:5]} lost"
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)
    assert len({c.chunk_id for c in chunks}) == len(chunks)


@settings(max_examples=300, deadline=None)
@given(text=ARTICLE_TEXT, data=st.data())
def test_sentence_spans_tile_the_range(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(min_value=0, max_value=len(text)))
    end = data.draw(st.integers(min_value=start, max_value=len(text)))
    spans = sentence_spans(text, start, end)
    cursor = start
    for span_start, span_end in spans:
        assert span_start == cursor and span_end > span_start
        cursor = span_end
    assert cursor == end
