"""The relevance decision as a table: typical features of answerable and unanswerable
questions (means measured with benchmarks/calibrate_confidence.py), and its invariants: the
same-language rule and the fitted cross-language model."""

from __future__ import annotations

from dataclasses import replace

import pytest

from retrieval.relevance import (
    DEFAULT_MIN_CONFIDENCE,
    Decision,
    RelevanceFeatures,
    confidence,
    cross_language_inputs,
    decide,
    dense_margin,
)

# (what it is, sentence cosine, best chunk cosine, margin and lead in its language, lexical,
#  cross-language, translated search agrees, translated coverage, confident): the mean
#  features of each kind of question in the calibration (benchmarks/calibration/).
TABLE = [
    ("Chinese question, its Chinese article", 0.912, 0.894, 0.061, 0.048, 0.343, False, 0, 0, True),
    ("English question, its English article", 0.857, 0.868, 0.091, 0.080, 0.522, False, 0, 0, True),
    (
        "English question, its Chinese article",
        0.791,
        0.782,
        0.051,
        0.033,
        0.126,
        True,
        1,
        0.38,
        True,
    ),
    (
        "Chinese question, its English article",
        0.814,
        0.808,
        0.054,
        0.039,
        0.201,
        True,
        1,
        0.33,
        True,
    ),
    ("Chinese question, nothing stored", 0.858, 0.863, 0.025, 0.009, 0.044, False, 0, 0, False),
    ("English question, nothing stored", 0.793, 0.795, 0.030, 0.012, 0.150, False, 0, 0, False),
    (
        "English question, Chinese off topic",
        0.764,
        0.750,
        0.025,
        0.008,
        0.045,
        True,
        0,
        0.08,
        False,
    ),
    (
        "Chinese question, English off topic",
        0.805,
        0.781,
        0.032,
        0.013,
        0.086,
        True,
        0,
        0.06,
        False,
    ),
]


@pytest.mark.parametrize(
    ("sentence", "top", "margin", "lead", "lexical", "cross", "agrees", "coverage", "expected"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_decision_table(
    sentence: float,
    top: float,
    margin: float,
    lead: float,
    lexical: float,
    cross: bool,
    agrees: int,
    coverage: float,
    expected: bool,
) -> None:
    features = RelevanceFeatures(
        top,
        margin,
        lexical,
        sentence,
        cross,
        found=True,
        lead=lead,
        translated_agrees=bool(agrees),
        translated_coverage=coverage,
    )
    assert decide(features).confident is expected


def test_the_translated_search_is_evidence_across_languages() -> None:
    """The same cosines, with and without the question's translated words in the quote."""
    base = RelevanceFeatures(0.79, 0.045, 0.1, 0.79, True, found=True, lead=0.03)
    translated = replace(base, translated_agrees=True, translated_coverage=0.4)
    assert not decide(base).confident and decide(translated).confident
    same_language = replace(base, cross_language=False)
    assert confidence(replace(same_language, translated_coverage=1.0)) == confidence(same_language)


def test_nothing_found_is_never_confident() -> None:
    assert confidence(RelevanceFeatures(0.99, 0.5, 1.0, 0.99, False, found=False)) == 0.0


@pytest.mark.parametrize(
    "field", ["top_dense", "margin", "sentence", "lead", "lexical", "translated_coverage"]
)
def test_more_evidence_never_lowers_the_confidence(field: str) -> None:
    base = {
        "top_dense": 0.80,
        "margin": 0.04,
        "lexical": 0.2,
        "sentence": 0.80,
        "lead": 0.02,
        "translated_coverage": 0.2,
    }
    for cross in (False, True):
        low = RelevanceFeatures(**base, cross_language=cross, found=True)
        high = RelevanceFeatures(
            **{**base, field: base[field] + 0.03}, cross_language=cross, found=True
        )
        assert confidence(high) >= confidence(low)
        if cross and field in cross_language_inputs(low):  # the fitted model weighs them all
            assert confidence(high) > confidence(low)


def test_a_doubtful_language_gate_lowers_a_cross_language_confidence() -> None:
    features = RelevanceFeatures(
        0.78, 0.047, 0.15, 0.79, True, found=True, lead=0.03, translated_coverage=0.2
    )
    doubtful = replace(features, language_certainty=0.5)
    assert confidence(doubtful) < confidence(features)
    assert decide(features).confident and not decide(doubtful).confident


def test_the_threshold_is_a_probability_an_operator_sets() -> None:
    features = RelevanceFeatures(0.87, 0.05, 0.3, 0.87, False, found=True)
    p = confidence(features)
    assert 0.0 < p < 1.0
    assert Decision(p, threshold=p).confident and not Decision(p, threshold=p + 1e-6).confident
    assert decide(features).threshold == DEFAULT_MIN_CONFIDENCE


def test_margin_compares_the_best_with_the_chunks_ranked_6_to_30() -> None:
    similarities = [0.9] + [0.85] * 4 + [0.8] * 25
    assert dense_margin(similarities) == pytest.approx(0.1)
    assert dense_margin([0.9, 0.8]) == pytest.approx(0.1)
    assert dense_margin([]) == 0.0
