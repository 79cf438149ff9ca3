"""Whether the store holds an answer: the relevance features of one question and the decision.

`relevance_features` reads what retrieval and quote selection found; `decide` turns the
features into a probability-like confidence and compares it with the operator's threshold
(CITEBOT_MIN_CONFIDENCE). Both are pure functions, so the decision has a unit test table
and `Answerer.explain` can show every number behind an "I don't know".

The words, one idea each: the *relevance features* are the measured signals; the
*confidence* is the probability (0..1) the decision computes from them; *confident* is that
probability at or above the threshold — `Answer.confident`, what every adapter shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

# Calibrated on the public QA sets with `citebot eval` (see BENCHMARKS.md).
DEFAULT_MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class RelevanceFeatures:
    """The signals behind `confident`, for one question.

    - `top_dense`: cosine of the best chunk found by dense search,
    - `margin`: how far the best chunk stands out from the chunks ranked 6-30,
    - `lexical`: how much of the question's rarer wording the best quote holds (0..1),
    - `sentence`: the best cosine of a quoted sentence to the question,
    - `cross_language`: the question and the best quote are in different languages,
    - `lead`: how far the best chunk's article leads the next article (cosine difference),
    - `language_certainty`: in a store of both languages, the language gate's probability
      that the answer is in the quote's language (1.0 in a store of one language),
    - `translated_agrees`: across languages, the search of the question's words translated
      into the quote's language (retrieval/translation.py) ranks the quote's article first,
    - `translated_coverage`: across languages, the share of the question's translatable
      words whose translation the quote holds.

    The chunks compared are those of the best quote's language only.
    """

    top_dense: float = 0.0
    margin: float = 0.0
    lexical: float = 0.0
    sentence: float = 0.0
    cross_language: bool = False
    found: bool = False
    lead: float = 0.0
    language_certainty: float = 1.0
    translated_agrees: bool = False
    translated_coverage: float = 0.0

    def as_json(self) -> dict[str, object]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Decision:
    """The confidence (0..1) and whether it reaches the threshold."""

    confidence: float
    threshold: float

    @property
    def confident(self) -> bool:
        return self.confidence >= self.threshold

    def as_json(self) -> dict[str, object]:
        return {
            "confidence": round(self.confidence, 4),
            "threshold": self.threshold,
            "confident": self.confident,
        }


def dense_margin(cosines: Sequence[float]) -> float:
    """The best cosine minus the mean of the ones ranked 6-30 (or of all others, if few)."""
    if not cosines:
        return 0.0
    top = cosines[0]
    rest = cosines[5:30] if len(cosines) > 10 else cosines[1:]
    return top - sum(rest) / len(rest) if rest else 0.0


def article_lead(hits: Sequence[tuple[str, float]]) -> float:
    """The best cosine minus the best one of another article; in a store of one article,
    the best chunk's margin over the article's other chunks stands in for it."""
    if not hits:
        return 0.0
    best_article, best = hits[0]
    others = [s for a, s in hits if a != best_article]
    if not others:
        return dense_margin([s for _, s in hits])
    return best - max(others)


def relevance_features(
    dense_hits: Sequence[tuple[str, float]],
    lexical: float,
    sentence: float,
    cross_language: bool,
    found: bool = True,
    language_certainty: float = 1.0,
    translated_agrees: bool = False,
    translated_coverage: float = 0.0,
) -> RelevanceFeatures:
    """The features of one question from the dense hits of its best quote's language
    ((article id, cosine), best first) and its best quote."""
    similarities = [s for _, s in dense_hits]
    return RelevanceFeatures(
        top_dense=similarities[0] if similarities else 0.0,
        margin=dense_margin(similarities),
        lexical=lexical,
        sentence=sentence,
        cross_language=cross_language,
        found=found and bool(similarities),
        lead=article_lead(dense_hits),
        language_certainty=language_certainty,
        translated_agrees=translated_agrees,
        translated_coverage=translated_coverage,
    )


# Across languages cosines run lower and no wording is shared but names and numbers, so a
# quote in the other language than the question's is judged by its own, fitted model:
# P(the first quote is from an article that answers) =
#     sigmoid(CROSS_INTERCEPT + Σ CROSS_COEFFICIENTS[name] · features[name]),
# fitted by `benchmarks/fit_relevance.py benchmarks/calibration/*.jsonl` on the
# cross-language questions of the public sets (the commands and validation figures are in
# BENCHMARKS.md, "I don't know" across languages).
CROSS_INTERCEPT = -13.641
CROSS_COEFFICIENTS: dict[str, float] = {
    "top_dense": 8.948,
    "margin": 49.403,
    "lexical": 0.922,
    "lead": 38.292,
    "language_certainty": 2.872,
    "translated_agrees": 1.350,
    "translated_coverage": 3.726,
}


def _same_language_confidence(f: RelevanceFeatures) -> float:
    """Any of four signals suffices. They were chosen with benchmarks/calibrate_confidence.py
    on CMRC, DRCD and XQuAD (answerable questions against questions from another set):
    - a quoted sentence is very close to the question (cosine ≥ 0.89),
    - the best chunk is close (cosine ≥ 0.86) and the quote shares the question's rarer
      words (coverage ≥ 0.1),
    - the best chunk stands out from the chunks ranked 6-30 of its language (margin ≥ 0.04),
    - a quoted sentence is fairly close (≥ 0.81) and shares names or numbers (≥ 0.15).
    """
    score = max(
        0.5 + (f.sentence - 0.89) * 5,
        min(0.5 + (f.top_dense - 0.86) * 5, 0.5 + (f.lexical - 0.1)),
        0.5 + (f.margin - 0.04) * 10,
        names_rule(f),
    )
    return min(1.0, max(0.0, score))


def cross_language_inputs(f: RelevanceFeatures) -> dict[str, float]:
    """The cross-language model's inputs."""
    return {
        "top_dense": f.top_dense,
        "margin": f.margin,
        "lexical": f.lexical,
        "lead": f.lead,
        "language_certainty": f.language_certainty,
        "translated_agrees": float(f.translated_agrees),
        "translated_coverage": f.translated_coverage,
    }


def cross_language_model(
    f: RelevanceFeatures, intercept: float, coefficients: dict[str, float]
) -> float:
    """The fitted cross-language model with these coefficients (benchmarks/fit_relevance.py)."""
    x = cross_language_inputs(f)
    z = intercept + sum(weight * x[name] for name, weight in coefficients.items())
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def names_rule(f: RelevanceFeatures) -> float:
    """A quoted sentence fairly close to the question (cosine ≥ 0.81) that holds its names and
    numbers (coverage ≥ 0.15; across languages, of those alone: GPT-5, AtCoder and 2025 are
    written the same in both)."""
    return min(0.5 + (f.sentence - 0.81) * 5, 0.5 + (f.lexical - 0.15))


def _cross_language_confidence(f: RelevanceFeatures) -> float:
    """The fitted model, or the names rule: a name both texts write alike is evidence the
    model's cosines, lower across languages, do not carry."""
    fitted = cross_language_model(f, CROSS_INTERCEPT, CROSS_COEFFICIENTS)
    return min(1.0, max(0.0, fitted, names_rule(f)))


def confidence(features: RelevanceFeatures) -> float:
    """How sure we are that the store holds the answer the first quote gives, 0..1
    (0.5 = the default threshold; 0 when nothing was found): the same-language rule, or the
    fitted cross-language model when the quote is in the other language."""
    if not features.found:
        return 0.0
    if features.cross_language:
        return _cross_language_confidence(features)
    return _same_language_confidence(features)


def decide(features: RelevanceFeatures, threshold: float = DEFAULT_MIN_CONFIDENCE) -> Decision:
    """The decision for one question: its confidence against the threshold."""
    return Decision(confidence(features), threshold)
