"""The store's public API: one write path for many articles, vectors given or embedded in
large batches, side records, bounded caches, and sentence vectors embedded once at ingest.

Stand-in embeddings (`tests.support.embeddings`) that count what they embed.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import ingest.store as store_module
import ingest.store._sources as sources_module
import ingest.store._texts as text_cache_module
import ingest.store._writing as writing_module
from ingest.chunking import chunk_article
from ingest.models import Article, EmbeddedArticle
from ingest.reader import read_text_articles
from ingest.store import ArticleStore, StoreUnavailable, WriteCounts, embedding_text
from ingest.store._client import open_client
from ingest.store._layout import article_metadata, earlier_record, source_metadata
from ingest.store._sources import Holdings
from retrieval import Answerer
from tests.support.embeddings import MODEL_NAME, BrokenEmbeddings, HashEmbeddings
from tests.support.settings import make_settings


class CountingEmbeddings(HashEmbeddings):
    def __init__(self) -> None:
        self.calls: list[int] = []
        self.texts: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(len(texts))
        self.texts += texts
        return super().embed_documents(texts)


def _article(n: int, topic: str = "harbour") -> Article:
    body = " ".join(f"The {topic} report {n} line {i} says the ferry runs on time." for i in range(12))
    [article] = read_text_articles(f"# {topic} {n}\n\n{body}\n", f"{topic}-{n}.md")
    return article


@pytest.fixture
def model() -> CountingEmbeddings:
    return CountingEmbeddings()


@pytest.fixture
def store(tmp_path: Path, model: CountingEmbeddings) -> ArticleStore:
    return ArticleStore(make_settings(tmp_path, embedding_model=MODEL_NAME), embeddings=model)


def test_chunks_of_many_articles_are_embedded_in_few_large_batches(
    store: ArticleStore, model: CountingEmbeddings
) -> None:
    articles = [_article(n) for n in range(100)]
    items = [(a, chunk_article(a, store.settings.chunk_chars)) for a in articles]
    total = sum(len(chunks) for _, chunks in items)
    assert total > store_module.WRITE_BATCH  # more than one batch
    reported: list[int] = []
    counts = store.add_articles(items, on_embedded=reported.append)
    assert counts == [WriteCounts(len(chunks), 0, 0) for _, chunks in items]
    # Chunks of many articles go to the model EMBED_STEP at a time, each step then the
    # sentences its chunks begin (so progress moves step by step, not per write batch of
    # WRITE_BATCH), and no text is embedded twice.
    assert max(reported) < store_module.WRITE_BATCH
    step = writing_module.EMBED_STEP
    steps = -(-store_module.WRITE_BATCH // step) + -(-(total - store_module.WRITE_BATCH) // step)
    assert reported == [step] * (steps - 1) + [total - step * (steps - 1)]
    assert model.calls[0] == step and len(model.calls) <= 2 * steps + 2
    assert len(model.texts) == len(set(model.texts))
    assert store.chunk_count() == total and store.article_count() == 100
    assert store.stored_article_ids([a.article_id for a in articles] + ["nope"]) == {
        a.article_id for a in articles
    }

    model.calls.clear()
    assert store.add_articles(items) == [WriteCounts(0, len(chunks), 0) for _, chunks in items]
    assert model.calls == []  # unchanged text is never embedded again


def test_an_edited_article_reuses_the_vectors_of_its_unchanged_chunks(
    store: ArticleStore, model: CountingEmbeddings
) -> None:
    first = _article(1)
    store.add_article(first, chunk_article(first, 300))
    body = first.text.replace("line 11", "line eleven")
    [edited] = read_text_articles(f"# {first.title}\n\n{body.split(chr(10), 2)[-1]}", "harbour-1.md")
    edited_chunks = chunk_article(edited, 300)
    old_texts = {c.text for c in chunk_article(first, 300)}
    model.calls.clear()
    changed = [c for c in edited_chunks if c.text not in old_texts]
    assert 0 < len(changed) < len(edited_chunks)
    # Progress is told of the chunks embedded, not of those written with a reused vector.
    assert store.chunks_to_embed([(edited, edited_chunks)]) == len(changed)
    reported: list[int] = []
    counts = store.add_article(edited, edited_chunks, on_embedded=reported.append)
    assert counts.added == len(edited_chunks) and counts.removed == len(old_texts)
    assert model.calls[0] == len(changed)  # only the changed chunks went to the model
    assert sum(reported) == len(changed)
    assert store.chunks_to_embed([(edited, edited_chunks)]) == 0  # stored now
    assert [r.article_id for r in store.articles()] == [edited.article_id]


def test_vectors_computed_elsewhere_are_stored_as_they_are(store: ArticleStore) -> None:
    article = _article(7)
    chunks = chunk_article(article, 300)
    vectors = np.asarray(  # numpy rows, as a benchmark or another pipeline hands them over
        [HashEmbeddings().embed_query(f"anything {i}") for i in range(len(chunks))], np.float32
    )
    [counts] = store.write_embedded([EmbeddedArticle(article, chunks, vectors)])
    assert counts == WriteCounts(len(chunks), 0, 0)
    [hit] = store.dense_search(vectors[-1].tolist(), 1)
    assert hit.chunk_id == chunks[-1].chunk_id and hit.cosine == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="one vector per chunk"):
        store.write_embedded([EmbeddedArticle(_article(8), chunks, vectors[:1])])


def test_sentences_are_embedded_at_ingest_so_a_question_embeds_none(
    store: ArticleStore, model: CountingEmbeddings
) -> None:
    article = _article(3)
    store.add_article(article, chunk_article(article, 300))
    answerer = Answerer(store.settings, store=store)
    model.calls.clear()
    answer = answerer.ask("Does the harbour ferry run on time?")
    assert answer.confident and answer.error is None
    assert model.calls == []  # the query is embedded with embed_query, sentences were stored
    sentences = ["The harbour report 3 line 4 says the ferry runs on time.", "not stored at all"]
    assert np.allclose(store.sentence_vectors(sentences), HashEmbeddings().embed_documents(sentences))
    assert model.calls == [1]  # only the unknown one



def test_a_sentence_a_chunk_cuts_is_embedded_whole_and_its_pieces_are_not(
    store: ArticleStore, model: CountingEmbeddings
) -> None:
    long_sentence = (
        "The harbour ferry, which the council bought in 1998, "
        + ", ".join(f"was refitted in spring {1999 + i}" for i in range(6))
        + ", still leaves the pier at nine."
    )
    [article] = read_text_articles(f"# ferry\n\n{long_sentence} The pier opens at ten.\n", "f.md")
    chunks = chunk_article(article, 120)
    assert len(long_sentence) < 300  # an English sentence's vector is of its whole text
    assert len(chunks) > 2 and long_sentence not in [c.text for c in chunks]  # it is cut
    model.texts.clear()
    store.add_article(article, chunks)

    embedded = set(model.texts) - {embedding_text(article.title, c.text) for c in chunks}
    assert embedded == {long_sentence, "The pier opens at ten."}  # the heading is the title
    # Quote ranking asks for whole sentences (retrieval/quotes.py `_overlapping`): stored.
    assert _stored(store, model, [long_sentence]) == [True]

def _stored(store: ArticleStore, model: CountingEmbeddings, sentences: list[str]) -> list[bool]:
    """Which sentences' vectors the store holds: asking for one it lacks embeds it."""
    stored = []
    for sentence in sentences:
        model.calls.clear()
        store.sentence_vectors([sentence])
        stored.append(model.calls == [])
    return stored


def test_forget_deletes_the_sentence_vectors_no_other_article_uses(
    store: ArticleStore, model: CountingEmbeddings
) -> None:
    shared = "Both reports end with the same harbour warning about fog."
    own, other = (
        read_text_articles(f"# {title}\n\n{body} {shared}\n", f"{title}.md")[0]
        for title, body in (("ferry", "The ferry leaves at nine."), ("pier", "The pier opens at ten."))
    )
    store.add_articles([(a, chunk_article(a, 300)) for a in (own, other)])
    own_sentence, other_sentence = "The ferry leaves at nine.", "The pier opens at ten."
    assert _stored(store, model, [own_sentence, shared, other_sentence]) == [True, True, True]

    store.forget(own.article_id)
    # Only the forgotten article's own sentence goes; the shared one still serves the other.
    assert _stored(store, model, [own_sentence, shared, other_sentence]) == [False, True, True]
    store.forget(other.article_id)
    assert _stored(store, model, [own_sentence, shared, other_sentence]) == [False, False, False]


def test_an_edit_deletes_the_sentence_vectors_only_the_old_version_had(
    store: ArticleStore, model: CountingEmbeddings
) -> None:
    first = _article(5)
    store.add_article(first, chunk_article(first, 300))
    [edited] = read_text_articles(
        f"# {first.title}\n\n{first.text.split(chr(10), 2)[-1].replace('line 11', 'line eleven')}",
        "harbour-5.md",
    )
    model.texts.clear()
    store.add_article(edited, chunk_article(edited, 300))
    old = "The harbour report 5 line 11 says the ferry runs on time."
    new = "The harbour report 5 line eleven says the ferry runs on time."
    kept = "The harbour report 5 line 4 says the ferry runs on time."
    assert kept not in model.texts  # the sentence both versions have was not embedded again
    assert _stored(store, model, [old, new, kept]) == [False, True, True]


def test_side_records_live_beside_the_store(store: ArticleStore) -> None:
    records = store.side_records("web")
    assert records.get("k") is None
    records.put("k", "[]", {"etag": "x"})
    assert store.side_records("web").get("k") == ("[]", {"etag": "x"})


def test_the_article_text_cache_is_bounded(
    store: ArticleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(text_cache_module, "TEXT_CACHE_ARTICLES", 3)
    articles = [_article(n, "kelp") for n in range(6)]
    store.add_articles([(a, chunk_article(a, 300)) for a in articles])
    texts = store.article_texts([a.article_id for a in articles])
    assert texts == {a.article_id: a.text for a in articles}
    assert len(store._text_cache) == 3
    assert embedding_text("T", " x ") == "T\n x"


def _chinese_article(n: int) -> Article:
    body = "".join(f"港口第{n}号报告第{i}行说渡轮准时开出。" for i in range(12))
    [article] = read_text_articles(f"# 港口 {n}\n\n{body}\n", f"gangkou-{n}.md")
    return article


def test_chunks_carry_their_language_and_are_searched_by_it(store: ArticleStore) -> None:
    english, chinese = _article(1), _chinese_article(2)
    store.add_articles([(a, chunk_article(a, 300)) for a in (english, chinese)])
    assert store.languages() == {"en", "zh"}
    vector = store.embeddings.embed_query("ferry")
    assert {h.article_id for h in store.dense_search(vector, 50, language="zh")} == {
        chinese.article_id
    }
    found = store.dense_search(vector, 50, language="en")
    assert {h.article_id for h in found} == {english.article_id}
    assert {h.language for h in found} == {"en"}


def test_chunks_stored_without_a_language_get_one_at_the_next_write(
    store: ArticleStore,
) -> None:
    english, chinese = _article(1), _chinese_article(2)
    store.add_articles([(a, chunk_article(a, 300)) for a in (english, chinese)])
    # As a store written before chunks carried a language: drop the field (None deletes).
    ids = store._chunks.get(include=[])["ids"]
    store._chunks.update(ids=ids, metadatas=[{"language": None}] * len(ids))
    reopened = ArticleStore(store.settings, embeddings=store.embeddings)
    assert reopened.languages() == frozenset()  # searched whole, as before
    store.add_articles([(_article(3), chunk_article(_article(3), 300))])  # any write
    assert store.languages() == {"en", "zh"}
    vector = store.embeddings.embed_query("ferry")
    assert {h.article_id for h in store.dense_search(vector, 50, language="zh")} == {
        chinese.article_id
    }


def _battery_articles() -> list[Article]:
    texts = [
        ("电池", "伏打在1800年发明了电池。这座城市有很多公园，春天开满了花。", "dianchi.md"),
        ("公园", "这座城市有很多公园。市民周末常去湖边散步。", "gongyuan.md"),
        ("Parks", "The city has many parks. People walk by the lake at weekends.", "parks.md"),
    ]
    return [read_text_articles(f"# {t}\n\n{body}\n", name)[0] for t, body, name in texts]


def _store_battery_articles(store: ArticleStore) -> list[Article]:
    articles = _battery_articles()
    store.add_articles([(a, chunk_article(a, 300)) for a in articles])
    return articles


def _bilingual_search(store: ArticleStore, question: str, language: str) -> list[str]:
    vector = store.bilingual_embeddings.embed_query(question)
    return [hit.article_id for hit in store.bilingual_search(vector, 10, language=language)]


def test_every_chunk_has_a_bilingual_vector_searched_across_languages(
    store: ArticleStore,
) -> None:
    battery, parks_zh, parks_en = _store_battery_articles(store)
    # An English question finds the Chinese answer first, among the Chinese chunks only.
    assert _bilingual_search(store, "Who invented the battery?", "zh") == [
        battery.article_id,
        parks_zh.article_id,
    ]
    assert _bilingual_search(store, "谁发明了电池？", "en") == [parks_en.article_id]
    store.forget(battery.article_id)  # its vectors go with it: the search stays whole
    assert _bilingual_search(store, "Who invented the battery?", "zh") == [parks_zh.article_id]


def test_an_ingest_with_nothing_new_labels_chunks_before_giving_them_bilingual_vectors(
    store: ArticleStore,
) -> None:
    battery, parks_zh, parks_en = _store_battery_articles(store)
    # As a store written before chunks carried a language and before bilingual vectors.
    ids = store._chunks.get(include=[])["ids"]
    store._chunks.update(ids=ids, metadatas=[{"language": None}] * len(ids))
    store._bilingual.delete(ids=ids)
    upgraded = ArticleStore(store.settings, embeddings=store.embeddings)
    upgraded.add_missing_bilingual_vectors()  # what `citebot ingest` does with nothing new
    assert upgraded.missing_bilingual_vectors() == 0
    upgraded.add_article(_article(3), chunk_article(_article(3), 300))  # a later write
    assert upgraded.languages() == {"en", "zh"}
    assert _bilingual_search(upgraded, "Who invented the battery?", "zh")[0] == battery.article_id


def test_bilingual_records_written_without_a_language_get_their_chunks_at_the_next_ingest(
    store: ArticleStore,
) -> None:
    battery, parks_zh, parks_en = _store_battery_articles(store)
    # As an earlier citebot left them: bilingual records copied from unlabelled chunks.
    ids = store._bilingual.get(include=[])["ids"]
    store._bilingual.update(ids=ids, metadatas=[{"language": ""}] * len(ids))
    assert _bilingual_search(store, "Who invented the battery?", "zh") == []
    store.add_missing_bilingual_vectors()
    assert _bilingual_search(store, "Who invented the battery?", "zh")[0] == battery.article_id
    assert _bilingual_search(store, "谁发明了电池？", "en") == [parks_en.article_id]


def test_chunks_without_bilingual_vectors_get_them_at_the_next_write(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path, embedding_model=MODEL_NAME)
    battery, parks_zh, parks_en = _battery_articles()
    # As a store written before bilingual vectors, or by a process whose model failed.
    broken = ArticleStore(settings, embeddings=HashEmbeddings(), bilingual_embeddings=BrokenEmbeddings())
    counts = broken.add_articles([(a, chunk_article(a, 300)) for a in (battery, parks_zh)])
    assert [c.added for c in counts] == [1, 1]  # the articles are stored all the same
    assert "bilingual vectors not written" in caplog.text
    store = ArticleStore(settings, embeddings=HashEmbeddings())
    # A partial bilingual search is never taken for the whole store's.
    assert _bilingual_search(store, "Who invented the battery?", "zh") == []
    store.add_article(parks_en, chunk_article(parks_en, 300))  # any write fills them in
    assert _bilingual_search(store, "Who invented the battery?", "zh")[0] == battery.article_id


def _as_written_before_source_records(store: ArticleStore) -> None:
    """Make the store what a citebot before source records wrote: the same chunks, article
    records and sentence vectors, and no `__sources` collection."""
    store.client.delete_collection(store._sources.name)


def test_a_store_written_before_source_records_reads_as_before_and_keeps_copies(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, embedding_model=MODEL_NAME)
    ferry, pier = _article(1), _article(2, "pier")
    old = ArticleStore(settings, embeddings=HashEmbeddings(), bilingual_embeddings=HashEmbeddings())
    old.add_articles([(a, chunk_article(a, 300)) for a in (ferry, pier)])
    _as_written_before_source_records(old)

    store = ArticleStore(settings, embeddings=HashEmbeddings(), bilingual_embeddings=HashEmbeddings())
    assert {(r.article_id, r.source, r.other_sources) for r in store.articles()} == {
        (ferry.article_id, "harbour-1.md", ()),
        (pier.article_id, "pier-2.md", ()),
    }
    # A copy of the ferry report turns up in another file, and harbour-1.md is edited (what
    # an ingest of the folder does: the stored text met again first, then the new one).
    copy = replace(ferry, source="copy.md", source_key="copy.md")
    assert store.update_details([copy]) == (set(), 0)
    edited = _edited(ferry, "line 11", "line eleven")
    [counts] = store.add_articles([(edited, chunk_article(edited, 300))])
    assert counts.removed == 0
    kept = store.article(ferry.article_id)
    assert kept is not None and (kept.source, kept.other_sources) == ("copy.md", ())
    assert store.article(edited.article_id) is not None
    # A source whose text no copy holds is replaced as it always was.
    edited_pier = _edited(pier, "line 11", "line eleven")
    [counts] = store.add_articles([(edited_pier, chunk_article(edited_pier, 300))])
    assert counts.removed == len(chunk_article(pier, 300))
    assert store.article(pier.article_id) is None
    assert sorted(r.source for r in store.articles()) == ["copy.md", "harbour-1.md", "pier-2.md"]


def _edited(article: Article, old: str, new: str) -> Article:
    """`article` read again from its file after `old` became `new` in its text."""
    body = article.text.split(chr(10), 2)[-1].replace(old, new)
    [edited] = read_text_articles(f"# {article.title}\n\n{body}", article.source)
    return edited


def test_a_text_another_source_still_holds_keeps_its_sentence_vectors(
    store: ArticleStore, model: CountingEmbeddings
) -> None:
    ferry = _article(4)
    store.add_article(ferry, chunk_article(ferry, 300))
    store.update_details([replace(ferry, source="copy.md", source_key="copy.md")])
    edited = _edited(ferry, "line 11", "line eleven")
    store.add_article(edited, chunk_article(edited, 300))
    only_old = "The harbour report 4 line 11 says the ferry runs on time."
    assert _stored(store, model, [only_old]) == [True]  # copy.md still holds it


def test_a_store_path_that_is_a_file_is_said_to_be_one(tmp_path: Path) -> None:
    (tmp_path / "chroma").write_text("not a store")
    settings = make_settings(tmp_path, embedding_model=MODEL_NAME)
    with pytest.raises(StoreUnavailable, match=r"chroma \(CITEBOT_CHROMA_PATH\): it is a file"):
        ArticleStore(settings, embeddings=HashEmbeddings())
    assert (tmp_path / "chroma").read_text() == "not a store"  # left as it was


def test_meeting_many_sources_compares_each_only_with_records_of_its_own_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Which records are a source's earlier ones is asked of the records naming the same file
    or URL only. Here every text is also held by a copy in another folder (records of other
    files): comparing every met source with every record took 6.5 s for 3,000 files."""
    articles = [Article(f"id{i}", "T", "x", f"f{i}.md", f"f{i}.md") for i in range(300)]
    holdings = Holdings()
    for article in articles:
        copy = replace(article, source=f"copies/{article.source}", source_key=f"copies/{article.source}")
        holdings.records[article.source_key] = source_metadata(article)
        holdings.records[copy.source_key] = source_metadata(copy)
        holdings.articles[article.article_id] = article_metadata(article, 1)
        holdings.holders[article.article_id] = {
            a.source_key: source_metadata(a) for a in (article, copy)
        }
    asked: list[str] = []

    def counted(meta: dict[str, object], article: Article) -> bool:
        asked.append(article.source)
        return earlier_record(meta, article)

    monkeypatch.setattr(sources_module, "earlier_record", counted)
    plan = sources_module.plan_settle({a.source_key: a for a in articles}, holdings)
    assert plan.put == [] and plan.orphans == {} and plan.drop == []
    assert len(asked) <= 2 * len(articles)


def test_a_new_store_builds_its_vector_index_with_the_measured_settings(
    store: ArticleStore,
) -> None:
    # What the index settings buy is measured in BENCHMARKS.md (twenty-fourth session); here,
    # that every vector collection of a new store is built with them, not Chroma's defaults.
    for collection in (store._chunks, store._sentences, store._bilingual):
        index = collection.configuration["hnsw"]
        assert index["space"] == "cosine"
        assert (index["max_neighbors"], index["ef_construction"], index["ef_search"]) == (
            32,
            200,
            200,
        )


def test_a_store_made_before_the_index_settings_opens_and_searches_by_cosine(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, embedding_model=MODEL_NAME)
    client = open_client(settings)
    legacy = {"hnsw:space": "cosine"}  # how the first versions made their collections
    client.create_collection(
        settings.collection, metadata={**legacy, "embedding_model": MODEL_NAME}
    )
    for suffix in ("sentences", "bilingual"):
        client.create_collection(f"{settings.collection}__{suffix}", metadata=legacy)

    store = ArticleStore(settings, embeddings=HashEmbeddings())
    for collection in (store._chunks, store._sentences, store._bilingual):
        index = collection.configuration["hnsw"]
        assert index["max_neighbors"] == 16  # its graph, as it was built
        assert index["ef_search"] == 200  # searched as widely as a new store
    article = _article(3)
    chunks = chunk_article(article, 300)
    store.add_articles([(article, chunks)])
    [hit] = store.dense_search(store.embeddings.embed_query(chunks[0].text), 1)
    assert hit.cosine > 0.99  # a cosine, not an L2 distance read as one
