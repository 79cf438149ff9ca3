"""citebot's own words come in the question's script and language: a Traditional Chinese
question gets a Traditional lead line, apology and notes; the quotes keep the article's."""

from __future__ import annotations

from pathlib import Path

import pytest

import retrieval.answerer
from ingest.text import in_script_of, is_traditional
from retrieval import Answerer
from tests.support.settings import make_settings

TRADITIONAL = "陳信翰拒絕了誰開出的天價薪酬？"
SIMPLIFIED = "陈信翰拒绝了谁开出的天价薪酬？"


def test_script_detection() -> None:
    assert is_traditional(TRADITIONAL) and is_traditional("燈塔在哪裡？")
    assert not is_traditional(SIMPLIFIED) and not is_traditional("Who keeps the light?")
    assert in_script_of(TRADITIONAL, "以下摘录来自") == "以下摘錄來自"
    assert in_script_of(SIMPLIFIED, "以下摘录来自") == "以下摘录来自"


def test_a_traditional_question_gets_a_traditional_lead(sample_answerer: Answerer) -> None:
    traditional = sample_answerer.ask(TRADITIONAL)
    simplified = sample_answerer.ask(SIMPLIFIED)
    assert traditional.confident and simplified.confident
    assert traditional.text.startswith("以下摘錄來自《"), traditional.text
    assert simplified.text.startswith("以下摘录来自《"), simplified.text
    # the title inside the lead is the article's own, in its own script
    title = traditional.quotes[0].title
    assert f"《{title}》" in traditional.text


def test_a_traditional_question_gets_traditional_i_dont_know(sample_answerer: Answerer) -> None:
    answer = sample_answerer.ask("秘魯的首都是哪裡？")  # nothing in the sample articles
    assert not answer.confident
    assert answer.text.startswith("抱歉，我在已收錄的文章中沒有找到"), answer.text


def test_notes_and_apology_in_the_questions_language(tmp_path: Path) -> None:
    answerer = Answerer(make_settings(tmp_path, chroma_url="http://127.0.0.1:9"))
    long_traditional = "燈塔的守護者是誰？" * 300
    answer = answerer.ask(long_traditional)
    assert answer.error is not None
    assert answer.text == "抱歉，現在無法檢索文章庫，請稍後再試。"
    assert answer.notes == ["你的問題太長，我只用了前 2000 個字。"]
    assert answerer.ask("Who keeps the light? " * 200).notes == [
        "Your question was long; I used its first 2000 characters."
    ]
    assert answerer.ask("灯塔的守护者是谁？" * 300).notes == ["你的问题太长，我只用了前 2000 个字。"]


def test_a_failure_while_answering_is_not_blamed_on_the_store(
    sample_answerer: Answerer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in choosing quotes (the store searched fine) gets its own apology, in the
    question's language and script; the store's apology is for a store that is down."""

    def broken_selection(*args: object, **kwargs: object) -> None:
        raise IndexError("string index out of range")

    monkeypatch.setattr(retrieval.answerer, "select", broken_selection)
    answers = {q: sample_answerer.ask(q) for q in (TRADITIONAL, SIMPLIFIED, "Who keeps the light?")}
    assert [a.text for a in answers.values()] == [
        "抱歉，回答時出了問題，請稍後再試。",
        "抱歉，回答时出了问题，请稍后再试。",
        "Sorry, something went wrong while answering. Please try again in a moment.",
    ]
    assert all(a.error == "IndexError: string index out of range" for a in answers.values())
    assert all(not a.confident and not a.quotes for a in answers.values())


def test_a_failing_embedding_model_is_not_blamed_on_the_store(
    sample_answerer: Answerer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The question's vector is the model's work: when the model fails, the store (which
    answers) is not said to be down."""

    def broken_model(text: str) -> list[float]:
        raise RuntimeError("model weights unreadable")

    monkeypatch.setattr(sample_answerer.store().embeddings, "embed_query", broken_model)
    answer = sample_answerer.ask("Who keeps the light?")
    assert answer.text == "Sorry, something went wrong while answering. Please try again in a moment."
    assert answer.error == "RuntimeError: model weights unreadable"
