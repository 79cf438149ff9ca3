"""Reading a SQuAD-style file as an evaluation set."""

from __future__ import annotations

import json
from pathlib import Path

from evaluation import language_of, load_eval_set, swap_questions, unanswerable_questions

EVAL_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "eval"
TINY = EVAL_FIXTURES / "tiny_squad.json"
OTHER = EVAL_FIXTURES / "tiny_other.json"


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


def test_languages_come_from_the_file_when_given_else_from_the_script(tmp_path: Path) -> None:
    tiny = load_eval_set(TINY)
    assert tiny.article_languages() == {
        tiny.articles[0].article_id: "zh",
        tiny.articles[1].article_id: "zh",
        tiny.articles[2].article_id: "en",
    }
    assert {q.qid: q.question_language for q in tiny.questions}["t6"] == "en"
    assert language_of("An essay on 北京 and its hutongs, and on the city's long history") == "en"
    assert language_of("GPT-5 的贪吃蛇游戏是谁做的？") == "zh"
    declared = tmp_path / "declared.json"
    declared.write_text(json.dumps({"data": [{"paragraphs": [{"context": "Paris is in France.",
        "qas": [{"id": "q-zh", "lang": "zh", "question": "Where is Paris?",
                 "answers": [{"text": "France", "answer_start": 12}]}]}]}]}), encoding="utf-8")
    assert load_eval_set(declared).questions[0].question_language == "zh"
    assert unanswerable_questions(declared)[0].language == "zh"
