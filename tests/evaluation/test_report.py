"""The human-readable `citebot eval` table."""

from __future__ import annotations

from evaluation import format_table

ROW = {"recall@1": 0.9, "recall@5": 1.0, "mrr": 0.95, "answer_hit@300": 0.8,
       "answer_hit@600": 0.85, "passage_hit": 0.85}


def _report(**extra: object) -> dict[str, object]:
    return {
        "dataset": "mixed", "articles": 2, "chunks": 4, "questions": 3,
        "unanswerable_questions": 2, **ROW, "abstain_rate": 0.5, "answered_rate": 0.9,
        "errors": 0, "ask_p50_ms": 10.0, "ask_p95_ms": 20.0, "ingest_chunks_per_s": 5.0,
        "ingest_embedded_chunks": 4, "ingest_cached_chunks": 0, "peak_rss_mb": 100.0,
        "eval_s": 1.0, **extra,
    }


def test_the_table_shows_each_language_pair_of_a_mixed_set() -> None:
    table = format_table(_report(
        by_language={"en→en": {"questions": 2, **ROW, "answered_rate": 1.0},
                     "zh→en": {"questions": 1, **ROW, "recall@1": 0.25, "answered_rate": 0.5}},
        abstain_by_language={"en": {"questions": 1, "abstain_rate": 1.0},
                             "zh": {"questions": 1, "abstain_rate": 0.0}},
    ))
    lines = table.splitlines()
    assert any(line.split()[:3] == ["zh→en", "1", "0.250"] for line in lines)
    assert any(line.split() == ["abstain", "(zh)", "1", "0.000"] for line in lines)


def test_a_one_language_set_shows_no_breakdown() -> None:
    table = format_table(_report(
        by_language={"zh→zh": {"questions": 3, **ROW, "answered_rate": 0.9}},
        abstain_by_language={"zh": {"questions": 2, "abstain_rate": 0.5}},
    ))
    assert "zh→zh" not in table and "question→article" not in table
