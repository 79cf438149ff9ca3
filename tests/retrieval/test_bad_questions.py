"""Whatever anyone types, the bot replies with a sensible `Answer`, never a stack trace.

Runs against the real sample store (`sample_answerer`): empty and blank questions get a
hint, noise around a real question (control characters, markdown, HTML) does not change the
quotes it gets, a question nothing in the store is about says "I don't know".
"""

from __future__ import annotations

import re

import pytest

from retrieval import Answer, Answerer
from retrieval.answerer import EMPTY_TEXT, MAX_QUESTION_CHARS, NOT_FOUND, clean_question

ZH_QUESTION = "Greg Brockman 认为 AI 发展的关键瓶颈是什么？"
EN_QUESTION = "What did Brockman say about GPT-6?"


def _sane(answer: Answer, question: str) -> None:
    assert answer.question == clean_question(question)[0]  # the question as it was used
    assert answer.text.strip()
    assert answer.error is None
    assert "Traceback" not in answer.text
    assert answer.answer_id


def _quotes(answer: Answer) -> list[tuple[str, str]]:
    return [(q.article_id, q.text) for q in answer.quotes]


@pytest.mark.parametrize(
    "question",
    ["", "   ", "\n\t \u3000\n", "🤔🔥🚀👍🏽", "？？！！...", "\x00\x07\x1b\x7f", "<script>alert(1)</script>"],
    ids=["empty", "spaces", "blank-lines", "emoji", "punctuation", "controls", "only-script"],
)
def test_nothing_to_ask_gets_a_hint(sample_answerer: Answerer, question: str) -> None:
    answer = sample_answerer.ask(question)
    _sane(answer, question)
    assert answer.text == EMPTY_TEXT
    assert not answer.confident and answer.quotes == []


def test_the_hint_suits_any_store() -> None:
    """It names no one and nothing from an article (it once asked about Greg Brockman, who is
    in the sample articles only): no capitalised word but the sentence's first and "I"."""
    names = re.findall(r"(?<=[^.:?!] )[A-Z][\w-]*", EMPTY_TEXT)
    assert [name for name in names if name != "I"] == []


def test_a_20000_character_question_is_trimmed_with_a_note(sample_answerer: Answerer) -> None:
    question = (EN_QUESTION + " ") * (20_000 // (len(EN_QUESTION) + 1) + 1)
    question = question[:20_000]
    answer = sample_answerer.ask(question)
    _sane(answer, question)
    assert len(answer.question) == MAX_QUESTION_CHARS
    assert any(str(MAX_QUESTION_CHARS) in note for note in answer.notes), answer.notes
    assert answer.confident  # the trimmed question is still a real question


def test_a_short_question_has_no_notes(sample_answerer: Answerer) -> None:
    assert sample_answerer.ask(ZH_QUESTION).notes == []


@pytest.mark.parametrize(
    ("noisy", "plain"),
    [
        ("Greg Brockman\x00 认为\x1b AI 发展的\x07关键瓶颈\u202e是什么？\x7f", ZH_QUESTION),
        ("**Greg Brockman** 认为 AI 发展的<b>关键瓶颈</b>是什么？", ZH_QUESTION),
        ("> Greg Brockman 认为 AI 发展的`关键瓶颈`是什么？\n```\n```", ZH_QUESTION),
        ("<p>What did <i>Brockman</i> say about GPT-6?</p><script>steal()</script>", EN_QUESTION),
        ("What did [Brockman](https://example.com/x) say about __GPT-6__?", EN_QUESTION),
        ("What did Brockman say about GPT-6? &lt;br&gt;", EN_QUESTION),
    ],
    ids=["control-chars", "markdown-bold-html", "blockquote-code", "html-script", "md-link", "entities"],
)
def test_noise_around_a_question_does_not_change_its_quotes(
    sample_answerer: Answerer, noisy: str, plain: str
) -> None:
    expected = sample_answerer.ask(plain)
    assert expected.confident
    answer = sample_answerer.ask(noisy)
    _sane(answer, noisy)
    assert answer.confident
    assert _quotes(answer) == _quotes(expected)


@pytest.mark.parametrize(
    "question",
    [
        "Какая погода будет завтра в Москве и нужно ли брать зонт?",
        "ما هي أفضل طريقة لطهي الأرز البسمتي في المنزل؟",
    ],
    ids=["russian", "arabic"],
)
def test_a_language_with_no_articles_gets_i_dont_know(
    sample_answerer: Answerer, question: str
) -> None:
    answer = sample_answerer.ask(question)
    _sane(answer, question)
    assert not answer.confident
    assert answer.quotes == []
    assert answer.text == NOT_FOUND["en"]
    assert answer.sources_searched > 0


async def test_bad_questions_through_aask_too(sample_answerer: Answerer) -> None:
    for question in ["", "🤔", "Какая погода будет завтра?", "\x00" * 20_000]:
        answer = await sample_answerer.aask(question)
        _sane(answer, question)
        assert not answer.confident


def test_gibberish_is_not_answered_confidently(sample_answerer: Answerer) -> None:
    answer = sample_answerer.ask("x" * 20_000)
    _sane(answer, "x" * 20_000)
    assert not answer.confident and answer.quotes == []


@pytest.mark.parametrize(
    ("pasted", "cleaned"),
    [
        ("What did Brockman say about __GPT-6__?", "What did Brockman say about GPT-6?"),
        ("谁在 **AtCoder** 上获胜？", "谁在 AtCoder 上获胜？"),
        ("谁在**AtCoder**？", "谁在 AtCoder？"),
        ("What is .NET used for?", "What is .NET used for?"),  # a word, not punctuation
    ],
)
def test_a_stripped_mark_leaves_no_space_before_punctuation(pasted: str, cleaned: str) -> None:
    assert clean_question(pasted)[0] == cleaned
