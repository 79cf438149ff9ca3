"""`ingest.text`: the one rule for cutting text at a soft break (`soft_cut`), the one rule
for "this text is Chinese" (`language_of`), and a question's regional wordings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.text import (
    holds_phrase,
    is_chinese,
    language_of,
    regional_wordings,
    sentence_spans,
    sentence_vector_text,
    soft_cut,
)


@pytest.mark.parametrize(
    ("folded", "phrase", "held"),
    [("总裁 greg brockman 在", "greg brockman", True), ("a kitchen", "chen", False),
     ("he said so", "ai", False), ("(przemysław dębiak)的", "dębiak", True),
     ("the dębiakowski family", "dębiak", False), ("首席研究官陈信翰", "陈信翰", True)],
)
def test_a_phrase_is_held_as_whole_words(folded: str, phrase: str, held: bool) -> None:
    assert holds_phrase(folded, phrase) is held


def test_cuts_after_the_last_mark_in_the_second_half() -> None:
    window = "一二三，四五六七，八九十"
    assert soft_cut(window, "，") == len("一二三，四五六七，")
    assert soft_cut("ab, cd, efgh", ",") == len("ab, cd,")


def test_a_mark_in_the_first_half_only_means_a_hard_cut() -> None:
    assert soft_cut("ab，cdefghijkl", "，") == len("ab，cdefghijkl")
    assert soft_cut("abcdefgh", "，") == 8


def test_groups_are_tried_in_order_and_multi_character_marks_are_kept_whole() -> None:
    window = "Short intro, then a sentence ends. Then more"
    # A sentence end in the second half wins over a later comma or space...
    assert window[: soft_cut(window, [". "], [", "], [" "])] == "Short intro, then a sentence ends. "
    # ...unless it is in the first half.
    late = "One. Two three four five six seven, eight"
    assert late[: soft_cut(late, [". "], [", "], [" "])] == "One. Two three four five six seven, "
    # One group: the latest mark of any kind.
    assert window[: soft_cut(window, [". ", ", ", " "])] == "Short intro, then a sentence ends. Then "


@given(st.text(alphabet="ab ，。\n", max_size=60), st.sampled_from(["，。", " \n", "a"]))
def test_the_cut_is_in_the_second_half_and_ends_on_a_mark(window: str, marks: str) -> None:
    cut = soft_cut(window, marks)
    assert len(window) // 2 < cut <= len(window) or cut == len(window)
    if cut < len(window):
        assert window[cut - 1] in marks


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("山村图书馆什么时候开门？", "zh"),
        ("GPT-5 的贪吃蛇游戏是谁做的？", "zh"),  # Chinese with an English term
        ("An essay on 北京 and its hutongs, and on the city's long history", "en"),
        ("When does the harbour ferry run?", "en"),
        ("", "en"),
        ("   ", "en"),
        # One CJK character in five visible ones is Chinese; whitespace counts for neither.
        ("abcd李", "zh"),
        ("a b c d 李", "zh"),
        ("abcde李", "en"),
        # Names of the other script do not decide when only one language's grammar is there.
        ("Greg Brockman是谁？", "zh"),
        ("Greg Brockman是誰？", "zh"),
        ("Who was 元英宗?", "en"),
        # one English stopword may be a quoted title's: the share decides
        ("1997年推出的《And Thou Shalt Trust》", "zh"),
    ],
)
def test_one_rule_says_which_texts_are_chinese(text: str, language: str) -> None:
    assert language_of(text) == language
    assert is_chinese(text) == (language == "zh")


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        # A year or an acronym before the period: the sentence ends there.
        ("It opened in 2009. From then on it grew.", ["It opened in 2009. ", "From then on it grew."]),
        ("He joined the NFL. The team won.", ["He joined the NFL. ", "The team won."]),
        # A closing bracket or quote after the period stays with its sentence.
        ('It was "a transmitter." When he', ['It was "a transmitter." ', "When he"]),
        ("(on a Saturn IB.) The crew", ["(on a Saturn IB.) ", "The crew"]),
        # Initials, titles, list numbers and a lower-case next word do not end one.
        ("J. R. R. Tolkien met the U.S. Army.", ["J. R. R. Tolkien met the U.S. Army."]),
        ("Dr. Sun signed Convention No. 81 here.", ["Dr. Sun signed Convention No. 81 here."]),
        ("1. First step\n2. Second", ["1. First step\n", "2. Second"]),
        ("It costs approx. five dollars.", ["It costs approx. five dollars."]),
        ("他说完了。然后 GPT-5. 很好", ["他说完了。", "然后 GPT-5. ", "很好"]),
        # A semicolon joins English clauses; in Chinese it ends a sentence.
        ("Ford closed; however, Toyota stayed.", ["Ford closed; however, Toyota stayed."]),
        ("福特关厂；丰田留下。", ["福特关厂；", "丰田留下。"]),
    ],
)
def test_a_period_ends_a_sentence_unless_it_ends_a_short_form(
    text: str, sentences: list[str]
) -> None:
    assert [text[s:e] for s, e in sentence_spans(text)] == sentences


def test_an_english_sentence_is_embedded_whole_and_a_chinese_one_by_its_start() -> None:
    english = "The secondary featured a safety who led the team in interceptions. " * 3
    chinese = "这是一个很长的中文句子，" * 10 + "。"
    assert sentence_vector_text(english, 0, len(english)) == english.strip()
    assert sentence_vector_text(chinese, 0, len(chinese)) == chinese[:80]


@pytest.mark.parametrize(
    ("question", "wordings"),
    [
        # mainland words get their Taiwan wording, in the question's own (Simplified) script
        ("军事顾问为约翰肯尼迪?", ("军事顾问为约翰肯尼迪?", "军事顾问为约翰甘迺迪?")),
        # and Taiwan words their mainland wording, in Traditional script
        ("伺服器在哪裡？", ("伺服器在哪裡？", "服務器在哪裡？")),
        ("黑豹队的防守丢了多少分？", ("黑豹队的防守丢了多少分？",)),  # no regional word
        ("Who is John F. Kennedy?", ("Who is John F. Kennedy?",)),
    ],
)
def test_a_question_has_its_mainland_and_taiwan_wordings(
    question: str, wordings: tuple[str, ...]
) -> None:
    assert regional_wordings(question) == wordings
