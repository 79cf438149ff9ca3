"""`citebot eval`: the metric arithmetic, the dataset reading, and one real run on a tiny set."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from config import Settings, load_settings
from retrieval.evaluation import (
    HIT_KEYS,
    QUALITY_KEYS,
    EvalOptions,
    EvalQuestion,
    answer_hit,
    extend_ranking,
    fuse_rankings,
    load_eval_set,
    rank_metrics,
    run_eval,
    run_eval_command,
    score_question,
    summarise,
    swap_questions,
)

EVAL_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "eval"
TINY = EVAL_FIXTURES / "tiny_squad.json"
OTHER = EVAL_FIXTURES / "tiny_other.json"


def make_settings(tmp_path: Path) -> Settings:
    return load_settings(chroma_path=tmp_path / "chroma", _env_file=None)


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
    }


def test_load_eval_set_builds_one_article_per_entry_and_locates_answers_by_text() -> None:
    tiny = load_eval_set(TINY)
    assert [a.title for a in tiny.articles] == ["熊猫", "长江", "Espresso"]
    yangtze = tiny.articles[1]
    assert yangtze.text == "长江全长约6300公里，是亚洲最长的河流。\n\n三峡大坝位于湖北省宜昌市，于2006年建成。"
    assert yangtze.source == "tiny_squad#1" and yangtze.url is None
    assert "大熊猫 每天" in tiny.articles[0].text  # spaces normalised, as ingestion does
    by_id = {q.qid: q for q in tiny.questions}
    assert "t5" not in by_id and tiny.skipped_questions == 1  # its answer is not in the text
    assert by_id["t6"].answers == ("about nine bars",)
    assert by_id["t4"].gold_article_id == yangtze.article_id
    limited = load_eval_set(TINY, limit=1)
    assert len(limited.articles) == 1 and [q.qid for q in limited.questions] == ["t1", "t2"]


def test_swap_questions_keeps_the_gold_answers_and_drops_unmatched_ids() -> None:
    tiny = load_eval_set(TINY)
    dropped = swap_questions(tiny, OTHER)
    assert dropped == 3
    assert [(q.qid, q.question) for q in tiny.questions] == [
        ("t1", "Which provinces do giant pandas mainly live in?"),
        ("t3", "How long is the Yangtze river?"),
    ]
    assert tiny.questions[1].answers == ("约6300公里",)


@pytest.mark.slow
def test_eval_command_prints_every_key_as_json_and_caches_vectors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the vector cache lives under ./data/eval-cache
    args = argparse.Namespace(
        dataset=str(TINY), limit=None, unanswerable=str(OTHER), questions=None, json=True
    )
    assert run_eval_command(args, make_settings(tmp_path)) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    for key in (*QUALITY_KEYS, "abstain_rate", "ask_p50_ms", "ask_p95_ms",
                "ingest_chunks_per_s", "peak_rss_mb"):
        assert isinstance(report[key], int | float), key
        assert report[key] >= 0
    assert report["questions"] == 5 and report["unanswerable_questions"] == 5
    assert report["articles"] == 3 and report["errors"] == 0
    assert set(QUALITY_KEYS) <= set(report["baseline"])
    assert report["baseline"]["chunks"] == 3  # every tiny article fits one 1000-char chunk
    # With three short articles the recipe shows the gold article whole in its first quote.
    assert report["baseline"]["recall@1"] == 1.0
    assert report["baseline"][HIT_KEYS[-1]] == 1.0
    assert report["ask_p95_ms"] >= report["ask_p50_ms"] > 0
    assert report["ingest_embedded_chunks"] == report["chunks"]
    assert (tmp_path / "data" / "eval-cache" / "tiny_squad.last-run.jsonl").is_file()

    # A second run of the same set embeds nothing again.
    again = run_eval(
        EvalOptions(TINY, baseline=False, cache_dir=tmp_path / "data" / "eval-cache"),
        make_settings(tmp_path),
    )
    assert again["ingest_embedded_chunks"] == 0
    assert again["ingest_cached_chunks"] == report["chunks"]
    assert "baseline" not in again
    assert again["abstain_rate"] is None
