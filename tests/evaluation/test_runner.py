"""One real `citebot eval` run on a tiny set, through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from evaluation import HIT_KEYS, QUALITY_KEYS, EvalOptions, load_eval_set, run_eval
from evaluation.runner import unrelated_exchanges
from tests.support.settings import make_settings

EVAL_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "eval"
TINY = EVAL_FIXTURES / "tiny_squad.json"
OTHER = EVAL_FIXTURES / "tiny_other.json"


def test_a_missing_dataset_is_a_clear_error_with_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["eval", str(tmp_path / "nope.json"), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "citebot eval: no such file" in captured.err
    not_squad = tmp_path / "list.json"
    not_squad.write_text("[1, 2]", encoding="utf-8")
    assert main(["eval", str(not_squad), "--no-baseline"]) == 2
    assert "not a SQuAD-style file" in capsys.readouterr().err


@pytest.mark.slow
def test_eval_command_prints_every_key_as_json_and_caches_vectors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the vector cache lives under ./data/eval-cache
    monkeypatch.setenv("CITEBOT_CHROMA_PATH", str(tmp_path / "chroma"))
    assert main(["eval", str(TINY), "--unanswerable", str(OTHER), "--json"]) == 0
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
    # Ingest embeds the chunks and their quotable sentences (all new to this cache).
    assert report["ingest_embedded_chunks"] > report["chunks"]
    assert report["ingest_cached_chunks"] == 0
    assert (tmp_path / "data" / "eval-cache" / "tiny_squad.last-run.jsonl").is_file()
    assert {p: row["questions"] for p, row in report["by_language"].items()} == {
        "en→en": 1, "zh→zh": 4}
    assert {lang: row["questions"] for lang, row in report["abstain_by_language"].items()} == {
        "en": 3, "zh": 2}

    # A second run of the same set embeds nothing again.
    again = run_eval(
        EvalOptions(TINY, baseline=False, cache_dir=tmp_path / "data" / "eval-cache"),
        make_settings(tmp_path),
    )
    assert again["ingest_embedded_chunks"] == 0
    assert again["ingest_cached_chunks"] == report["ingest_embedded_chunks"]
    assert "baseline" not in again
    assert again["abstain_rate"] is None
    assert "after_unrelated" not in again


def test_each_article_gets_an_unrelated_question_from_another_article() -> None:
    tiny = load_eval_set(TINY)
    exchanges = unrelated_exchanges(tiny.questions)
    assert set(exchanges) == {a.article_id for a in tiny.articles}
    for article_id, earlier in exchanges.items():
        assert earlier.gold_article_id != article_id
    assert unrelated_exchanges(tiny.questions[:1]) == {}  # one article: nothing unrelated


@pytest.mark.slow
def test_after_unrelated_reports_each_metric_alone_and_after(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CITEBOT_CHROMA_PATH", str(tmp_path / "chroma"))
    args = ["eval", str(TINY), "--unanswerable", str(OTHER), "--after-unrelated", "--no-baseline"]
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    after = report["after_unrelated"]
    for key in (*QUALITY_KEYS, "abstain_rate", "answered_rate", "ask_p50_ms", "ask_p95_ms"):
        assert isinstance(after[key], int | float), key
    assert set(after["by_language"]) == set(report["by_language"])
    rows = [json.loads(line) for line in
            (tmp_path / "data" / "eval-cache" / "tiny_squad.last-run.jsonl").open()]
    asked_after = [row for row in rows if row.get("after")]
    assert len(asked_after) == 10  # 5 answerable + 5 unanswerable, each after an exchange
    assert main(args) == 0
    table = capsys.readouterr().out
    assert "after-unrelated" in table.splitlines()[2]
    assert any(line.startswith("answer_hit@300") for line in table.splitlines())
