"""The passage set (benchmarks/passages/why_how.json): every gold answer is a verbatim
passage of 2-4 sentences at its offset, and the evaluation loader keeps every question."""

from __future__ import annotations

import json
from pathlib import Path

from evaluation import load_eval_set
from ingest.text import sentence_spans

PASSAGES = Path(__file__).resolve().parents[2] / "benchmarks" / "passages" / "why_how.json"


def test_every_answer_is_a_passage_at_its_offset() -> None:
    data = json.loads(PASSAGES.read_text(encoding="utf-8"))
    questions = 0
    for entry in data["data"]:
        (paragraph,) = entry["paragraphs"]
        context = paragraph["context"]
        for qa in paragraph["qas"]:
            (answer,) = qa["answers"]
            start, text = answer["answer_start"], answer["text"]
            assert context[start : start + len(text)] == text, qa["id"]
            assert 60 < len(text) <= 280, qa["id"]
            # Starts and ends on sentence boundaries, and spans 2-4 sentences.
            inside = [s for s, e in sentence_spans(context) if start <= s < start + len(text)]
            assert inside[0] == start and 2 <= len(inside) <= 4, qa["id"]
            assert context[start + len(text) :][:1] in ("", " ", "\n") or any(
                s == start + len(text) for s, _ in sentence_spans(context)
            ), qa["id"]
            questions += 1
    assert questions >= 40


def test_the_evaluation_loader_keeps_every_question() -> None:
    passages = load_eval_set(PASSAGES)
    assert passages.skipped_questions == 0
    assert len(passages.questions) >= 40
    languages = [q.question_language for q in passages.questions]
    assert languages.count("zh") > languages.count("en") > 0
