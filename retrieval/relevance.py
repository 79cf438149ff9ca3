"""Whether the store holds an answer: the relevance features of one question and the decision.

`relevance_features` reads what retrieval and quote selection found; `decide` turns the
features into a probability-like confidence and compares it with the operator's threshold
(CITEBOT_MIN_CONFIDENCE). Both are pure functions, so the decision has a unit test table
and `Answerer.explain` can show every number behind an "I don't know".
"""

from __future__ import annotations

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
    - `cross_language`: the question and the best quote are in different scripts.
    """

    top_dense: float = 0.0
    margin: float = 0.0
    lexical: float = 0.0
    sentence: float = 0.0
    cross_language: bool = False
    found: bool = False

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


def dense_margin(dense_similarities: Sequence[float]) -> float:
    """The best cosine minus the mean of the ones ranked 6-30 (or of all others, if few)."""
    if not dense_similarities:
        return 0.0
    top = dense_similarities[0]
    rest = dense_similarities[5:30] if len(dense_similarities) > 10 else dense_similarities[1:]
    return top - sum(rest) / len(rest) if rest else 0.0


def relevance_features(
    dense_similarities: Sequence[float],
    lexical: float,
    sentence: float,
    cross_language: bool,
    found: bool = True,
) -> RelevanceFeatures:
    """The features of one question from its dense similarities and best quote."""
    return RelevanceFeatures(
        top_dense=dense_similarities[0] if dense_similarities else 0.0,
        margin=dense_margin(dense_similarities),
        lexical=lexical,
        sentence=sentence,
        cross_language=cross_language,
        found=found and bool(dense_similarities),
    )


def confidence(features: RelevanceFeatures) -> float:
    """How sure we are that the store holds an answer, 0..1 (0.5 = the default threshold).

    Any of four signals suffices. They were chosen with benchmarks/calibrate_confidence.py
    on CMRC, DRCD and XQuAD (answerable questions against questions from another set),
    see BENCHMARKS.md:
    - a quoted sentence is very close to the question (cosine ≥ 0.89),
    - the best chunk is close (cosine ≥ 0.86) and the quote shares the question's rarer
      words (coverage ≥ 0.1): a same-language match,
    - the best chunk stands out from the chunks ranked 6-30 (margin ≥ 0.04): holds across
      languages, where cosines are lower, in a store of varied topics,
    - a quoted sentence is fairly close (≥ 0.81) and shares names or numbers (≥ 0.15),
    - across languages only (an English question, a Chinese quote), where cosines run lower:
      a quoted sentence ≥ 0.78 and a margin ≥ 0.025.
    """
    if not features.found:
        return 0.0
    f = features
    score = max(
        0.5 + (f.sentence - 0.89) * 5,
        min(0.5 + (f.top_dense - 0.86) * 5, 0.5 + (f.lexical - 0.1)),
        0.5 + (f.margin - 0.04) * 10,
        min(0.5 + (f.sentence - 0.81) * 5, 0.5 + (f.lexical - 0.15)),
    )
    if f.cross_language:
        score = max(score, min(0.5 + (f.sentence - 0.78) * 5, 0.5 + (f.margin - 0.025) * 10))
    return min(1.0, max(0.0, score))


def decide(features: RelevanceFeatures, threshold: float = DEFAULT_MIN_CONFIDENCE) -> Decision:
    """The decision for one question: its confidence against the threshold."""
    return Decision(confidence(features), threshold)
