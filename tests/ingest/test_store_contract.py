"""What every store mode must do: the same tests against embedded Chroma and `chroma run`.

Like langchain's standard vector-store tests, each test here takes a store and knows nothing
of where it lives; the `store` fixture gives one per mode (a fresh directory, or a fresh
collection on one server started for the module). Stand-in embeddings for the store's model:
this is about what the store keeps and returns, not about relevance (the bilingual model is
the real one: its search is checked on two sentences whose answer is not in doubt).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from ingest.chunking import chunk_article
from ingest.models import Article
from ingest.reader import read_text_articles
from ingest.store import ArticleStore, WriteCounts
from tests.support.chroma import ChromaServer
from tests.support.embeddings import MODEL_NAME, HashEmbeddings
from tests.support.settings import make_settings

_COLLECTIONS = itertools.count()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChromaServer]:
    root = tmp_path_factory.mktemp("chroma-server")
    running = ChromaServer(root / "data", root / "chroma.log")
    running.start()
    yield running
    running.stop()


@pytest.fixture(params=["embedded", "server"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, object]:
    """Settings of an empty store in each mode."""
    values: dict[str, object] = {"embedding_model": MODEL_NAME}
    if request.param == "server":
        server: ChromaServer = request.getfixturevalue("server")
        values.update(chroma_url=server.url, collection=f"contract{next(_COLLECTIONS)}")
    return values


@pytest.fixture
def store(location: dict[str, object], tmp_path: Path) -> ArticleStore:
    return ArticleStore(make_settings(tmp_path, **location), embeddings=HashEmbeddings())


def _article(name: str, body: str) -> Article:
    [article] = read_text_articles(f"# {name}\n\n{body}\n", f"{name}.md")
    return article


HARBOUR = _article("Harbour", "The ferry now crosses the harbour in nine minutes. " * 3)
LIBRARY = _article("Library", "云岭村的图书馆收到了两千本新书。孩子们每周六去借书。")


def _add(store: ArticleStore, *articles: Article) -> list[WriteCounts]:
    chunk_chars = store.settings.chunk_chars
    return store.add_articles([(a, chunk_article(a, chunk_chars)) for a in articles])


def test_a_new_store_is_empty(store: ArticleStore) -> None:
    store.heartbeat()
    assert (store.chunk_count(), store.article_count(), store.articles()) == (0, 0, [])
    assert store.article("nope") is None
    assert store.dense_search(HashEmbeddings().embed_query("ferry"), 5) == []


def test_what_is_added_is_listed_read_back_and_found(store: ArticleStore) -> None:
    before = store.revision()
    counts = _add(store, HARBOUR, LIBRARY)
    assert [c.added > 0 and c.unchanged == c.removed == 0 for c in counts] == [True, True]
    assert store.revision() != before
    assert sorted(r.title for r in store.articles()) == ["Harbour", "Library"]
    assert store.article_count() == 2 and store.chunk_count() == sum(c.added for c in counts)
    record = store.article(LIBRARY.article_id)
    assert record is not None and record.title == "Library" and record.source == "Library.md"
    texts = store.article_texts([LIBRARY.article_id], cached=False)
    assert texts == {LIBRARY.article_id: LIBRARY.text}
    hits = store.dense_search(HashEmbeddings().embed_query("云岭村的图书馆收到了两千本新书。"), 3)
    assert hits[0].article_id == LIBRARY.article_id
    assert LIBRARY.text[hits[0].start : hits[0].end] == hits[0].text  # offsets into the text
    assert set(store.chunks_by_id([hits[0].chunk_id])) == {hits[0].chunk_id}
    # The bilingual model's vectors are kept beside: an English question finds the Chinese text.
    assert store.missing_bilingual_vectors() == 0
    question = store.bilingual_embeddings.embed_query("How many new books did the library get?")
    [found] = store.bilingual_search(question, 3, language="zh")
    assert found.article_id == LIBRARY.article_id and found.language == "zh"


def test_adding_the_same_article_again_changes_nothing(store: ArticleStore) -> None:
    [first] = _add(store, HARBOUR)
    [again] = _add(store, HARBOUR)
    assert again == WriteCounts(0, first.added, 0)
    assert store.chunk_count() == first.added and store.article_count() == 1


def test_forget_removes_an_article_and_its_chunks(store: ArticleStore) -> None:
    [harbour, _] = _add(store, HARBOUR, LIBRARY)
    assert store.forget(HARBOUR.article_id) == harbour.added
    assert store.article(HARBOUR.article_id) is None
    assert [r.title for r in store.articles()] == ["Library"]
    assert all(h.article_id == LIBRARY.article_id
               for h in store.dense_search(HashEmbeddings().embed_query("ferry harbour"), 10))
    # Its bilingual vectors went too: the search is whole (it would find nothing otherwise).
    question = store.bilingual_embeddings.embed_query("How fast does the ferry cross?")
    assert [h.article_id for h in store.bilingual_search(question, 10)] == [LIBRARY.article_id]
    with pytest.raises(KeyError):
        store.forget(HARBOUR.article_id)


def test_another_instance_sees_the_writes(store: ArticleStore) -> None:
    """A second process or replica opening the same store."""
    _add(store, LIBRARY)
    other = ArticleStore(store.settings, embeddings=HashEmbeddings())
    assert [r.article_id for r in other.articles()] == [LIBRARY.article_id]
    assert other.revision() == store.revision()


def test_side_records_round_trip(store: ArticleStore) -> None:
    records = store.side_records("web")
    assert records.get("https://example.com/a") is None
    records.put("https://example.com/a", "etag-1", {"fetched": 1.5, "status": 200})
    again = ArticleStore(store.settings, embeddings=HashEmbeddings()).side_records("web")
    assert again.get("https://example.com/a") == ("etag-1", {"fetched": 1.5, "status": 200})


def test_a_text_stays_stored_while_any_of_its_sources_holds_it(store: ArticleStore) -> None:
    first, copy = HARBOUR, replace(HARBOUR, source="copy.md", source_key="copy.md")
    [written] = _add(store, first)
    assert store.update_details([copy]) == (set(), 0)  # a second source: nothing to rewrite
    record = store.article(HARBOUR.article_id)
    assert record is not None and (record.source, record.other_sources) == ("Harbour.md", ("copy.md",))

    edited = _article("Harbour", "The ferry was retired last spring.")  # Harbour.md, edited
    [counts] = _add(store, edited)
    assert counts.removed == 0  # copy.md still holds the old text
    kept = store.article(HARBOUR.article_id)
    assert kept is not None and (kept.source, kept.other_sources) == ("copy.md", ())
    assert store.article_texts([HARBOUR.article_id], cached=False) == {
        HARBOUR.article_id: HARBOUR.text
    }
    assert store.chunk_count() == written.added + counts.added

    # Its last source edited too: the text goes.
    [last] = _add(store, replace(LIBRARY, source="copy.md", source_key="copy.md"))
    assert last.removed == written.added and store.article(HARBOUR.article_id) is None
    assert sorted(r.source for r in store.articles()) == ["Harbour.md", "copy.md"]


def test_two_posts_of_one_file_with_the_same_text_both_hold_it(store: ArticleStore) -> None:
    text = (
        "Weekly notes\nThe ferry was late again.\nAugust 1, 2025 · 1 min · ann\n"
        "Weekly notes\nThe ferry was late again.\nAugust 8, 2025 · 1 min · ann\n"
    )
    first, second = read_text_articles(text, "notes.txt")
    assert first.article_id == second.article_id and first.source_key != second.source_key
    _add(store, first)
    store.update_details([second])  # what an ingest does with a copy of a text it stored
    edited = read_text_articles(text.replace("again.\nAugust 8", "ok.\nAugust 8"), "notes.txt")[1]
    [counts] = _add(store, edited)
    assert counts.removed == 0  # the first post still holds the text
    assert {r.article_id for r in store.articles()} == {first.article_id, edited.article_id}


def test_chunks_claim_no_pdf_page_once_no_pdf_holds_their_text(store: ArticleStore) -> None:
    body = "The ferry now crosses the harbour in nine minutes. " * 12
    [text_file] = read_text_articles(f"# Harbour\n\n{body}\n", "harbour.txt")
    pdf = replace(text_file, source="harbour.pdf", source_key="harbour.pdf", pages=(0, 300))
    pdf = replace(pdf, file_format="pdf")
    _add(store, pdf)
    store.update_details([text_file])  # the same text, also in a text file

    def pages() -> list[int]:
        chunks = store.chunks_of([pdf.article_id])
        found = store.chunks_by_id([c.chunk_id for c in chunks]).values()
        return sorted(int(meta["page"]) for _, meta in found)

    assert pages()[0] == 1 and pages()[-1] == 2
    [other] = read_text_articles("# Harbour\n\nThe PDF now holds another text.\n", "harbour.pdf")
    _add(store, replace(other, source_key="harbour.pdf", pages=(0,), file_format="pdf"))
    record = store.article(pdf.article_id)
    assert record is not None and (record.source, record.pages) == ("harbour.txt", ())
    assert set(pages()) == {0}  # 0: no page, as the chunks of a text file are written
