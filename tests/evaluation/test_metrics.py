"""The metric arithmetic of `citebot eval`, and the per-language breakdown."""

from __future__ import annotations

import pytest

from evaluation import (
    EvalQuestion,
    answer_hit,
    extend_ranking,
    fuse_rankings,
    passage_hit,
    rank_metrics,
    score_question,
    summarise,
)
from evaluation.metrics import abstention_by_language, by_language_pair


def test_rank_metrics_find_the_gold_article_in_a_deduplicated_ranking() -> None:
    assert rank_metrics(["a", "b"], "a") == (1.0, 1.0, 1.0)
    assert rank_metrics(["b", "b", "a"], "a") == (0.0, 1.0, 0.5)  # repeated ids count once
    assert rank_metrics(["b", "c", "d", "e", "f", "a"], "a") == (0.0, 0.0, pytest.approx(1 / 6))
    assert rank_metrics([], "a") == (0.0, 0.0, 0.0)


def test_answer_hit_counts_only_the_reading_budget_and_the_gold_article() -> None:
    shown = [("other", "x" * 250), ("gold", "y" * 45 + "ANSWER" + "z" * 10)]
    # The answer starts at character 295 of what is shown: cut at 300 it is incomplete.
    assert not answer_hit(shown, "gold", ["ANSWER"], 300)
    assert answer_hit(shown, "gold", ["ANSWER"], 301)
    assert answer_hit(shown, "gold", ["nope", "ANSWER"], 600)
    # The same text in another article is not a hit.
    assert not answer_hit([("other", "ANSWER")], "gold", ["ANSWER"], 600)


PASSAGE = "第一句说明了原因和经过。第二句讲后来发生的事情。第三句是这件事的结果。"


def test_passage_hit_needs_the_whole_answer_in_one_quote_or_spread_over_several() -> None:
    first, second, third = "第一句说明了原因和经过。", "第二句讲后来发生的事情。", "第三句是这件事的结果。"
    assert passage_hit([("gold", "前文。" + PASSAGE)], "gold", [PASSAGE])
    # Cut after two sentences: two thirds shown, not a hit (answer_hit@300 would not count it
    # either, but neither does it count the passage shown as two quotes).
    assert not passage_hit([("gold", first + second)], "gold", [PASSAGE])
    assert passage_hit([("gold", first + second), ("gold", third + "后文。")], "gold", [PASSAGE])
    assert passage_hit([("gold", "前文。" + first), ("gold", second), ("gold", third)],
                       "gold", [PASSAGE])
    # English sentences shown as separate quotes lose only the space between them.
    english = "It rained for a week. So the river rose."
    assert passage_hit([("gold", "It rained for a week."), ("gold", "So the river rose.")],
                       "gold", [english])
    # The parts must come from the gold article; a chance overlap of a few characters is not one.
    assert not passage_hit([("gold", first + second), ("other", third)], "gold", [PASSAGE])
    # One character of the passage missing (第 of the third sentence) is a miss.
    assert not passage_hit([("gold", first + second), ("gold", "三句是这件事的结果。")],
                           "gold", [PASSAGE])
    assert not passage_hit([("gold", first + second), ("gold", "的结果。")], "gold", [PASSAGE])


def test_extend_ranking_and_fusion() -> None:
    assert extend_ranking(["a", "a", "b"], ["b", "c", "d", "e", "f", "g"]) == list("abcde")
    assert fuse_rankings(["x", "y"], ["y", "z"]) == ["y", "x", "z"]


def test_an_unconfident_answer_is_a_miss_and_summaries_are_means() -> None:
    question = EvalQuestion("q", "?", ("42",), "gold")
    hit = score_question(question, [("gold", "it is 42")], ["gold"])
    second = score_question(question, [("other", "it is 42")], ["other", "gold"])
    unsure = score_question(question, [("gold", "it is 42")], ["gold"], confident=False)
    assert (hit.r1, hit.rr, hit.hits[300]) == (1.0, 1.0, True)
    assert (second.r1, second.r5, second.rr, second.hits[600]) == (0.0, 1.0, 0.5, False)
    assert (unsure.r5, unsure.rr, unsure.hits[600]) == (0.0, 0.0, False)
    summary = summarise([hit, second, unsure])
    assert summary == {
        "recall@1": 0.3333,
        "recall@5": 0.6667,
        "mrr": 0.5,
        "answer_hit@300": 0.3333,
        "answer_hit@600": 0.3333,
        "passage_hit": 0.3333,
    }


def test_the_breakdown_groups_by_question_language_then_article_language() -> None:
    questions = [
        EvalQuestion("a-en", "Who won?", ("x",), "en-article", "en"),
        EvalQuestion("a-zh", "谁赢了？", ("x",), "en-article", "zh"),
        EvalQuestion("b-en", "Who lost?", ("y",), "zh-article", "en"),
        EvalQuestion("c-en", "Who drew?", ("z",), "zh-article"),  # no lang: read from the text
    ]
    results = [
        score_question(questions[0], [("en-article", "x")], ["en-article"]),
        score_question(questions[1], [("zh-article", "x")], ["zh-article", "en-article"]),
        score_question(questions[2], [("zh-article", "y")], ["zh-article"]),
        score_question(questions[3], [], [], confident=False),
    ]
    languages = {"en-article": "en", "zh-article": "zh"}
    table = by_language_pair(questions, results, languages)
    assert list(table) == ["en→en", "zh→en", "en→zh"]  # in the fixed order, empty pairs left out
    assert table["en→en"]["recall@1"] == 1.0 and table["en→en"]["questions"] == 1
    assert table["zh→en"]["recall@1"] == 0.0 and table["zh→en"]["mrr"] == 0.5
    assert table["en→zh"]["questions"] == 2
    assert table["en→zh"]["answer_hit@300"] == 0.5 and table["en→zh"]["answered_rate"] == 0.5


def test_abstention_is_broken_down_by_question_language() -> None:
    questions = [EvalQuestion("1", "Why?"), EvalQuestion("2", "为什么？"),
                 EvalQuestion("3", "How?"), EvalQuestion("4", "What?", language="zh")]
    rows = abstention_by_language(questions, [True, True, False, False])
    assert rows == {"en": {"questions": 2, "abstain_rate": 0.5},
                    "zh": {"questions": 2, "abstain_rate": 0.5}}
