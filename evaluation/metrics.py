"""The scores of one question and their means: pure functions, no store, no model.

- `recall@1`, `recall@5`, `mrr`: the gold article among the ranked articles;
- `answer_hit@300`, `answer_hit@600`: a gold answer inside the first 300 / 600 characters of
  the quotes shown, within a quote from the gold article;
- `passage_hit`: a whole gold answer inside the quotes shown from the gold article, in one
  quote or spread over several (the measure for answers that are passages of a few sentences);
- a question answered with `confident: false` is a miss on every metric.
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from evaluation.dataset import EvalQuestion, Language
from retrieval.steps import fuse

RETRIEVAL_KEYS = ("recall@1", "recall@5", "mrr")
HIT_BUDGETS = (300, 600)
HIT_KEYS = tuple(f"answer_hit@{b}" for b in HIT_BUDGETS)
QUALITY_KEYS = (*RETRIEVAL_KEYS, *HIT_KEYS, "passage_hit")
# A quote that only partly overlaps an answer counts for that part when the overlap is at
# least this long (shorter ones could be chance: a shared 的。 or "the").
MIN_PARTIAL_OVERLAP = 10
RANK_DEPTH = 5
LANGUAGE_PAIRS = ("en→en", "zh→en", "en→zh", "zh→zh")


def rank_metrics(ranked_article_ids: Sequence[str], gold: str) -> tuple[float, float, float]:
    """(recall@1, recall@5, reciprocal rank) of the gold article in a ranking of articles."""
    ranked = list(dict.fromkeys(ranked_article_ids))
    if gold not in ranked:
        return 0.0, 0.0, 0.0
    rank = ranked.index(gold) + 1
    return float(rank == 1), float(rank <= RANK_DEPTH), 1.0 / rank


def answer_hit(
    shown: Sequence[tuple[str, str]], gold: str, answers: Sequence[str], budget: int
) -> bool:
    """Whether a gold answer lies inside the first `budget` characters of the shown quotes
    (`(article_id, text)` in order), within a quote from the gold article."""
    remaining = budget
    for article_id, text in shown:
        if remaining <= 0:
            break
        visible = text[:remaining]
        remaining -= len(visible)
        if article_id == gold and any(answer in visible for answer in answers):
            return True
    return False


def passage_hit(shown: Sequence[tuple[str, str]], gold: str, answers: Sequence[str]) -> bool:
    """Whether the quotes shown from the gold article hold a whole gold answer together: one
    quote containing it, or quotes that each cover a part of it (a passage shown as a quote
    and the quote that continues it). Only whitespace between the parts may be missing."""
    quotes = [text for article_id, text in shown if article_id == gold]
    return any(_covered(answer, quotes) for answer in answers)


def _covered(answer: str, quotes: Sequence[str]) -> bool:
    covered = [ch.isspace() for ch in answer]
    for quote in quotes:
        if answer in quote:
            return True
        for start, end in _overlaps(answer, quote):
            covered[start:end] = [True] * (end - start)
    return bool(answer) and all(covered)


def _overlaps(answer: str, quote: str) -> list[tuple[int, int]]:
    """Parts of `answer` that `quote` holds: the quote inside it, its end as the answer's
    start, its start as the answer's end."""
    found: list[tuple[int, int]] = []
    at = answer.find(quote) if quote else -1
    while at >= 0:
        found.append((at, at + len(quote)))
        at = answer.find(quote, at + 1)
    longest = min(len(answer), len(quote)) - 1
    head = next((k for k in range(longest, MIN_PARTIAL_OVERLAP - 1, -1)
                 if quote.endswith(answer[:k])), 0)
    if head:
        found.append((0, head))
    tail = next((k for k in range(longest, MIN_PARTIAL_OVERLAP - 1, -1)
                 if quote.startswith(answer[-k:])), 0)
    if tail:
        found.append((len(answer) - tail, len(answer)))
    return found


def extend_ranking(first: Sequence[str], more: Sequence[str], depth: int = RANK_DEPTH) -> list[str]:
    """`first` (deduplicated, in order), extended from `more` up to `depth` distinct ids."""
    ranked = list(dict.fromkeys(first))
    for article_id in more:
        if len(ranked) >= depth:
            break
        if article_id not in ranked:
            ranked.append(article_id)
    return ranked


def fuse_rankings(*rankings: Sequence[str]) -> list[str]:
    """Ids ranked by the chain's own reciprocal-rank fusion (`retrieval.steps.fuse`), best first."""
    scores = fuse(*rankings)
    return sorted(scores, key=lambda item: -scores[item])


@dataclass
class QuestionResult:
    """What one answerable question scored (every value 0/1 except `rr`)."""

    qid: str
    confident: bool
    ranked: list[str]
    hits: dict[int, bool]
    passage: bool = False
    rr: float = 0.0
    r1: float = 0.0
    r5: float = 0.0


def score_question(
    question: EvalQuestion,
    shown: Sequence[tuple[str, str]],
    ranked: Sequence[str],
    confident: bool = True,
) -> QuestionResult:
    """Score one answerable question; an unconfident answer is a miss on everything."""
    assert question.gold_article_id is not None
    if not confident:
        return QuestionResult(question.qid, False, list(ranked), dict.fromkeys(HIT_BUDGETS, False))
    r1, r5, rr = rank_metrics(ranked, question.gold_article_id)
    hits = {
        b: answer_hit(shown, question.gold_article_id, question.answers, b) for b in HIT_BUDGETS
    }
    passage = passage_hit(shown, question.gold_article_id, question.answers)
    return QuestionResult(question.qid, True, list(ranked), hits, passage=passage, rr=rr, r1=r1, r5=r5)


def _mean(values: Iterable[float], n: int) -> float:
    return round(sum(values) / n, 4) if n else 0.0


def summarise(results: Sequence[QuestionResult]) -> dict[str, float]:
    """Means of the quality metrics over the scored questions (0.0 when there are none)."""
    n = len(results)
    summary = {
        "recall@1": _mean((r.r1 for r in results), n),
        "recall@5": _mean((r.r5 for r in results), n),
        "mrr": _mean((r.rr for r in results), n),
    }
    for budget in HIT_BUDGETS:
        summary[f"answer_hit@{budget}"] = _mean((float(r.hits[budget]) for r in results), n)
    summary["passage_hit"] = _mean((float(r.passage) for r in results), n)
    return summary


def answered_rate(results: Sequence[QuestionResult]) -> float:
    return _mean((float(r.confident) for r in results), len(results))


def by_language_pair(
    questions: Sequence[EvalQuestion],
    results: Sequence[QuestionResult],
    article_languages: Mapping[str, Language],
) -> dict[str, dict[str, float]]:
    """The quality metrics per question language → article language ("en→zh": an English
    question about a Chinese article), with `questions` and `answered_rate`; pairs with no
    question are left out."""
    groups: dict[str, list[QuestionResult]] = {}
    for question, result in zip(questions, results, strict=True):
        assert question.gold_article_id is not None
        pair = f"{question.question_language}→{article_languages[question.gold_article_id]}"
        groups.setdefault(pair, []).append(result)
    return {
        pair: {
            "questions": len(groups[pair]),
            **summarise(groups[pair]),
            "answered_rate": answered_rate(groups[pair]),
        }
        for pair in LANGUAGE_PAIRS
        if pair in groups
    }


def abstention_by_language(
    questions: Sequence[EvalQuestion], abstained: Sequence[bool]
) -> dict[str, dict[str, float]]:
    """`abstain_rate` of the unanswerable questions per question language."""
    groups: dict[str, list[bool]] = {}
    for question, did in zip(questions, abstained, strict=True):
        groups.setdefault(question.question_language, []).append(did)
    return {
        lang: {"questions": len(groups[lang]), "abstain_rate": _mean(map(float, groups[lang]),
                                                                     len(groups[lang]))}
        for lang in ("en", "zh")
        if lang in groups
    }


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    return round(float(np.percentile(np.array(seconds) * 1000.0, q)), 1) if seconds else 0.0


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports ru_maxrss in KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    divisor = 1024 * 1024 if sys.platform == "darwin" else 1024
    return round(kib / divisor, 1)
