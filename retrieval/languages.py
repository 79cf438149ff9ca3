"""Which language's articles hold the answer, in a store of Chinese and English articles.

The embedding model prefers its own language: in a store of both, an English question's
nearest chunks are English ones even when the answer is in a Chinese article, and the keyword
search cannot cross at all. So retrieval searches each language's chunks on its own (Chroma
`where` on the chunk's `language`) and this module judges, from the two searches, whether
the answer is in the question's language or in the other one:

    P(other) = sigmoid(INTERCEPT + Σ COEFFICIENTS[name] · gate_features(...)[name])

a logistic regression over how each language's best chunk stands out (its cosine, its margin
over that language's chunks ranked 6-30) and whether the keyword search agrees with it. The
other language wins only when P(other) ≥ GATE_THRESHOLD; its candidates then lead and the
question's language follows (retrieval/steps.py). Fitted by `benchmarks/fit_relevance.py`
on the mixed XQuAD set (`benchmarks/calibration/`); the commands and the validation figures
are in BENCHMARKS.md. The bilingual model's best chunk of each language can overrule it when
one leads by far (`BILINGUAL_CROSSES`, `BILINGUAL_STAYS`). Pure functions, so the gate has a
unit test table.

Names come first: a word of a question written in the other language's script — "Mark Chen"
in a Chinese question, 元英宗 in an English one — is a name, which articles of both languages
write the same way. When one of a language's best articles holds every such name and none of
the other language's holds any, that language answers (`foreign_names`, `holds_names`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ingest.text import CJK_RUN, STOPWORDS, fold, holds_phrase
from retrieval.relevance import dense_margin, rounded_fields

# Fitted by benchmarks/fit_relevance.py (see the module docstring).
INTERCEPT = 5.126
COEFFICIENTS: dict[str, float] = {
    "top_difference": 46.020,
    "same_margin": -45.912,
    "other_margin": 25.804,
    "same_keyword_agrees": -1.270,
    "other_keyword_agrees": 1.161,
    "same_keyword": -2.242,
    "other_keyword": -0.133,
    "other_translated_agrees": 1.953,
    "other_translated": 1.900,
}
# Above 0.5 so that a question in doubt stays with its own language. 0.8 when it was fitted: on
# the validation half of the mixed set it kept same-language recall@1 within a point of a
# one-language store while crossing for 0.86 of the other questions (BENCHMARKS.md). 0.7 since
# the bilingual encoder judges the quotes a crossing finds (ninth session): `citebot eval` of the
# mixed set, before the refit, recall@1 en→zh / zh→en / en→en / zh→zh 0.797 / 0.772 / 0.987 /
# 0.967 at 0.8, 0.816 / 0.780 / 0.985 / 0.967 at 0.7, 0.818 / 0.785 / 0.981 / 0.960 at 0.6.
GATE_THRESHOLD = 0.7
# The bilingual model (retrieval/bilingual.py, trained on question–answer pairs of both
# languages) prefers neither language. When its best chunk of one language beats the other
# language's best by more than these cosines, its word overrules the gate: answered in the
# other language by `BILINGUAL_CROSSES`, in the question's own by `BILINGUAL_STAYS`. Chosen on
# `xquad_mixed` and a store of XQuAD articles 20-39 cut into paragraphs of alternating
# languages (every topic in both), validated on articles 40-47 cut the same way; the right
# language chosen, en→zh / zh→en / zh→zh, before → after (BENCHMARKS.md, "Thirteenth session"):
# mixed 0.964 / 0.965 / 0.990 → 0.966 / 0.974 / 0.985; held-out paragraphs 0.800 / 0.746 /
# 1.000 → 0.836 / 0.896 / 0.991. `BILINGUAL_STAYS` moves none of those: it is for a store whose
# question's-language articles are all on one subject (their margins are small) while one
# article of the other language touches it — e.g. the sample articles with an English post.
BILINGUAL_CROSSES = 0.08
BILINGUAL_STAYS = 0.2
# A Latin-script word of a Chinese question: a name or a product (`Mark`, `GPT-5`, `AtCoder`).
_LATIN_WORD = re.compile(r"[a-z][a-z0-9]*(?:[-.][a-z0-9]+)*")
# How sure an overruled gate is of the language it chose (the regression and the bilingual
# model disagree), as `LanguageGate.certainty` tells "I don't know" (retrieval/relevance.py).
OVERRULED_CERTAINTY = 0.7


@dataclass(frozen=True)
class LanguageEvidence:
    """What the searches of one language's chunks found.

    `top`: the best chunk's cosine; `margin`: how far it stands out from that language's
    chunks ranked 6-30; `keyword_agrees`: the keyword search's best chunk of this language is
    in the same article; `keyword`: the keyword search's best BM25 score there (0: none);
    `translated_agrees` and `translated`: the same for the search of the question's words
    translated into this language (retrieval/translation.py; the other language only);
    `bilingual`: the bilingual model's best cosine of the question and this language's chunks
    (None: not searched); `holds_names`: this language's best articles hold every one of the
    question's `foreign_names` (True), none of them (False), or the question has none (None).
    """

    language: str
    article_id: str | None
    top: float
    margin: float
    keyword_agrees: bool
    keyword: float
    translated_agrees: bool = False
    translated: float = 0.0
    bilingual: float | None = None
    holds_names: bool | None = None

    def as_json(self) -> dict[str, object]:
        return rounded_fields(self)


@dataclass(frozen=True)
class LanguageGate:
    """The judgement for one question: the evidence of both languages, the regression's
    P(other), and whether the question's names (`LanguageEvidence.holds_names`) or the
    bilingual model (`BILINGUAL_CROSSES`, `BILINGUAL_STAYS`) `overruled` it."""

    question_language: str
    same: LanguageEvidence
    other: LanguageEvidence
    probability: float
    threshold: float = GATE_THRESHOLD
    overruled: bool = False

    @property
    def answer_language(self) -> str:
        """The language whose candidates lead."""
        crosses = (self.probability >= self.threshold) != self.overruled
        return self.other.language if crosses else self.question_language

    def certainty(self, language: str) -> float:
        """How sure the gate is that the answer is in `language` (0..1)."""
        if self.overruled:
            chosen = self.answer_language == language
            return OVERRULED_CERTAINTY if chosen else 1.0 - OVERRULED_CERTAINTY
        to_other = language != self.question_language
        return self.probability if to_other else 1.0 - self.probability

    def as_json(self) -> dict[str, object]:
        return {
            "question_language": self.question_language,
            "answer_language": self.answer_language,
            "probability": round(self.probability, 4),
            "threshold": self.threshold,
            "overruled": self.overruled,
            "same": self.same.as_json(),
            "other": self.other.as_json(),
        }


def evidence(
    language: str,
    dense: Sequence[tuple[str, float]],
    keyword: Sequence[tuple[str, float]],
    translated: Sequence[tuple[str, float]] = (),
    bilingual: float | None = None,
    holds_names: bool | None = None,
) -> LanguageEvidence:
    """The evidence of one language from its dense hits, keyword hits and translated
    keyword hits, each (article id, score), best first, its best bilingual cosine and
    whether its best articles hold the question's names."""
    similarities = [s for _, s in dense]
    article_id = dense[0][0] if dense else None
    return LanguageEvidence(
        language=language,
        article_id=article_id,
        top=similarities[0] if similarities else 0.0,
        margin=dense_margin(similarities),
        keyword_agrees=bool(keyword) and keyword[0][0] == article_id,
        keyword=keyword[0][1] if keyword else 0.0,
        translated_agrees=bool(translated) and translated[0][0] == article_id,
        translated=translated[0][1] if translated else 0.0,
        bilingual=bilingual,
        holds_names=holds_names,
    )


def gate_features(same: LanguageEvidence, other: LanguageEvidence) -> dict[str, float]:
    """The model's inputs (BM25 scores on a log scale: they grow with the store)."""
    return {
        "top_difference": other.top - same.top,
        "same_margin": same.margin,
        "other_margin": other.margin,
        "same_keyword_agrees": float(same.keyword_agrees),
        "other_keyword_agrees": float(other.keyword_agrees),
        "same_keyword": math.log1p(same.keyword),
        "other_keyword": math.log1p(other.keyword),
        "other_translated_agrees": float(other.translated_agrees),
        "other_translated": math.log1p(other.translated),
    }


def judge(
    question_language: str,
    same: LanguageEvidence,
    other: LanguageEvidence,
    threshold: float = GATE_THRESHOLD,
) -> LanguageGate:
    """P(the answer is in the other language) for one question, and the gate."""
    if other.article_id is None:
        probability = 0.0
    elif same.article_id is None:
        probability = 1.0
    else:
        x = gate_features(same, other)
        z = INTERCEPT + sum(weight * x[name] for name, weight in COEFFICIENTS.items())
        probability = 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))
    overruled = False
    crosses = probability >= threshold
    found_both = same.article_id is not None and other.article_id is not None
    named = _named_language(same, other)
    if found_both and named is not None:
        overruled = crosses != (named == other.language)
    elif found_both and same.bilingual is not None and other.bilingual is not None:
        lead = other.bilingual - same.bilingual
        overruled = lead > BILINGUAL_CROSSES if not crosses else -lead > BILINGUAL_STAYS
    return LanguageGate(question_language, same, other, probability, threshold, overruled)


def _named_language(same: LanguageEvidence, other: LanguageEvidence) -> str | None:
    """The language whose articles hold the question's names while the other's hold none."""
    if same.holds_names is None or other.holds_names is None:
        return None
    if same.holds_names != other.holds_names:
        return same.language if same.holds_names else other.language
    return None


def foreign_names(question: str, language: str) -> tuple[str, ...]:
    """The words of a question written in the other language's script, folded: the Latin
    words of a Chinese question (`Mark Chen在哪里上的大学？` → `mark`, `chen`), the Chinese
    runs of an English one (`Who was 元英宗?` → `元英宗`). Names, products, and the odd word."""
    folded = fold(question)
    if language == "zh":
        words = _LATIN_WORD.findall(folded)
        return tuple(dict.fromkeys(w for w in words if len(w) > 1 and w not in STOPWORDS))
    return tuple(dict.fromkeys(CJK_RUN.findall(folded)))


def holds_names(texts: Sequence[str], names: Sequence[str]) -> bool | None:
    """Whether one language's best articles hold the question's `names` (`foreign_names`):
    True when one of them holds every name, False when none holds any, None otherwise (or
    without names). Latin names count as whole words (`chen` is not in "kitchen")."""
    if not names:
        return None
    found = [{name for name in names if holds_phrase(fold(text), name)} for text in texts]
    if any(len(held) == len(names) for held in found):
        return True
    return False if not any(found) else None
