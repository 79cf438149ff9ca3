"""The language gate as a table: typical evidence of each kind of question in a store of
both languages (medians of benchmarks/calibration/mixed.jsonl), and its invariants."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from config import Settings
from ingest import ArticleStore, ingest_paths
from retrieval import Answerer
from retrieval.languages import (
    BILINGUAL_CROSSES,
    BILINGUAL_STAYS,
    GATE_THRESHOLD,
    OVERRULED_CERTAINTY,
    LanguageEvidence,
    evidence,
    foreign_names,
    holds_names,
    judge,
)

# (what it is, same language: top, margin, keyword agrees, keyword score;
#  other language: top, margin, keyword agrees, keyword score, translated search agrees, its
#  score; the answer's language): medians of each kind of question in the mixed set.
TABLE = [
    ("answer in the question's language", 0.87, 0.094, True, 21.0)
    + (0.742, 0.023, False, 0.0, False, 6.8, "same"),
    ("answer in the other language", 0.788, 0.026, False, 7.4)
    + (0.78, 0.051, False, 0.0, True, 10.8, "other"),
    ("Chinese question, English answer", 0.853, 0.02, False, 7.1)
    + (0.802, 0.048, False, 0.0, True, 18.0, "other"),
    # Without the translated search agreeing, the same cosines do not cross.
    ("other language, only the dense search", 0.788, 0.026, False, 7.4)
    + (0.78, 0.051, False, 0.0, False, 0.0, "same"),
]


def _evidence(language: str, top: float, margin: float, agrees: bool, keyword: float, *more):
    return LanguageEvidence(language, f"{language}-article", top, margin, agrees, keyword, *more)


@pytest.mark.parametrize("row", TABLE, ids=[row[0] for row in TABLE])
def test_gate_table(row: tuple) -> None:
    same = _evidence("en", *row[1:5])
    other = _evidence("zh", *row[5:11])
    gate = judge("en", same, other)
    assert gate.answer_language == ("en" if row[11] == "same" else "zh")


def test_a_language_with_nothing_found_never_wins() -> None:
    found = _evidence("en", 0.8, 0.05, True, 5.0)
    nothing = LanguageEvidence("zh", None, 0.0, 0.0, False, 0.0)
    assert judge("en", found, nothing).answer_language == "en"
    assert (
        judge("zh", replace(nothing, language="zh"), replace(found, language="en")).answer_language
        == "en"
    )


@pytest.mark.parametrize(
    ("side", "field", "direction"),
    [
        ("other", "margin", 1),
        ("same", "margin", -1),
        ("other", "top", 1),
        ("same", "top", -1),
        ("other", "translated", 1),
    ],
)
def test_more_evidence_for_a_side_moves_the_gate_towards_it(
    side: str, field: str, direction: int
) -> None:
    same, other = _evidence("en", 0.84, 0.03, False, 4.0), _evidence("zh", 0.78, 0.035, False, 0.0)
    base = judge("en", same, other).probability
    if side == "other":
        other = replace(other, **{field: getattr(other, field) + 0.01})
    else:
        same = replace(same, **{field: getattr(same, field) + 0.01})
    moved = judge("en", same, other).probability
    assert (moved - base) * direction > 0


def test_evidence_reads_the_best_chunk_and_the_keyword_agreement() -> None:
    dense = [("a", 0.9)] + [("b", 0.8)] * 29
    found = evidence("en", dense, [("a", 7.5), ("b", 3.0)])
    assert found.article_id == "a" and found.keyword_agrees and found.keyword == 7.5
    assert found.margin == pytest.approx(0.1)
    assert not evidence("en", dense, [("b", 3.0)]).keyword_agrees
    translated = evidence("zh", dense, [], [("a", 4.0)])
    assert translated.translated_agrees and translated.translated == 4.0
    assert not evidence("zh", dense, [], [("b", 4.0)]).translated_agrees
    assert 0.5 < GATE_THRESHOLD < 1.0


# (what it is, the regression's evidence (a TABLE row), the bilingual model's best cosine in
#  the question's language and in the other, the answer's language, overruled?)
OVERRULES = [
    # a Chinese question, its Chinese articles all on one subject (small margins), one English
    # article on it: the regression crosses, the bilingual model finds the Chinese far closer
    ("far closer in the question's language: stays", TABLE[1], 0.45, 0.14, "same", True),
    ("a little closer in the question's language: crosses", TABLE[1], 0.45, 0.45 - BILINGUAL_STAYS + 0.01, "other", False),
    ("closer in the other language: crosses", TABLE[3], 0.30, 0.30 + BILINGUAL_CROSSES + 0.01, "other", True),
    ("a little closer in the other language: stays", TABLE[3], 0.30, 0.30 + BILINGUAL_CROSSES - 0.01, "same", False),
    ("agreeing with the regression", TABLE[0], 0.50, 0.20, "same", False),
    ("not searched", TABLE[1], None, None, "other", False),
]


@pytest.mark.parametrize("row", OVERRULES, ids=[row[0] for row in OVERRULES])
def test_the_bilingual_model_overrules_the_gate_only_by_far(row: tuple) -> None:
    _, regression, same_cosine, other_cosine, answer, overruled = row
    same = replace(_evidence("en", *regression[1:5]), bilingual=same_cosine)
    other = replace(_evidence("zh", *regression[5:11]), bilingual=other_cosine)
    gate = judge("en", same, other)
    assert gate.answer_language == ("en" if answer == "same" else "zh")
    assert gate.overruled is overruled
    chosen, other_language = gate.answer_language, {"en": "zh", "zh": "en"}[gate.answer_language]
    if overruled:  # the two models disagree: less sure than the regression was
        assert gate.certainty(chosen) == OVERRULED_CERTAINTY
        assert gate.certainty(other_language) == pytest.approx(1 - OVERRULED_CERTAINTY)
    else:  # the regression's P(other), "zh" being the other language here
        assert gate.certainty("zh") == pytest.approx(gate.probability)
        assert gate.certainty("en") == pytest.approx(1 - gate.probability)


@pytest.mark.parametrize(
    ("question", "language", "names"),
    [
        ("Mark Chen在哪里上的大学？", "zh", ("mark", "chen")),
        ("GPT-5 是什么时候发布的？", "zh", ("gpt-5",)),
        ("Who was 元英宗?", "en", ("元英宗",)),
        ("元英宗是誰？", "zh", ()),  # no word in the other script
        ("Who is Greg Brockman?", "en", ()),
        ("AFC 锦标赛的 a 和 the", "zh", ("afc",)),  # single letters and stopwords are not names
    ],
)
def test_foreign_names_are_the_words_in_the_other_languages_script(
    question: str, language: str, names: tuple[str, ...]
) -> None:
    assert foreign_names(question, language) == names


def test_holds_names_every_none_or_some() -> None:
    interview = "OpenAI 的研究主管 Mark Chen 进行了一次深度对话。"
    assert holds_names([interview], ("mark", "chen")) is True
    assert holds_names(["The kitchen of Harvard University"], ("mark", "chen")) is False
    assert holds_names(["Mark Twain wrote it."], ("mark", "chen")) is None  # only one of them
    assert holds_names(["元英宗是元仁宗儿子"], ("元英宗",)) is True
    assert holds_names(["元英宗是元仁宗兒子"], ("元英宗",)) is True  # Traditional folds
    assert holds_names(["x"], ()) is None


# (what it is, regression row, the question's names held in its language / in the other,
#  the bilingual model's best cosine in each, the answer's language, overruled?)
NAMED = [
    # "Mark Chen在哪里上的大学？" in the sample articles with an English university article:
    # the translated "university" crosses the regression; the name keeps the question home
    ("names only in the question's language: stays", TABLE[2], True, False, None, None, "same", True),
    ("names only in the other language: crosses", TABLE[0], False, True, None, None, "other", True),
    ("names in both: the regression decides", TABLE[2], True, True, None, None, "other", False),
    ("names in neither: the regression decides", TABLE[0], False, False, None, None, "same", False),
    ("some names: the regression decides", TABLE[2], None, False, None, None, "other", False),
    # the bilingual model alone would cross (see OVERRULES); the names come first
    ("names before the bilingual model", TABLE[3], True, False, 0.30, 0.45, "same", False),
]


@pytest.mark.parametrize("row", NAMED, ids=[row[0] for row in NAMED])
def test_the_questions_names_overrule_the_gate(row: tuple) -> None:
    _, regression, same_holds, other_holds, same_cosine, other_cosine, answer, overruled = row
    same = replace(
        _evidence("en", *regression[1:5]), holds_names=same_holds, bilingual=same_cosine
    )
    other = replace(
        _evidence("zh", *regression[5:11]), holds_names=other_holds, bilingual=other_cosine
    )
    gate = judge("en", same, other)
    assert gate.answer_language == ("en" if answer == "same" else "zh")
    assert gate.overruled is overruled
    without_names = judge("en", replace(same, holds_names=None), replace(other, holds_names=None))
    if overruled or same_cosine is not None:  # the names changed the gate's answer
        assert without_names.answer_language != gate.answer_language


UNIVERSITY = """# Northfield University

Northfield University is a private research university with campuses across the river valley.
The university is organized into nine colleges, where undergraduates study the sciences, law
and medicine.

Students who study at Northfield read for a degree in four years. The university library holds
two million volumes, and its reading rooms are open to every student.
"""


def test_a_name_keeps_a_question_with_the_articles_that_hold_it(
    sample_store_copy: Settings, tmp_path: Path
) -> None:
    """The sample articles (Chinese interviews) and one English article on a university: a
    Chinese question about where an interviewee studied used to be answered, confidently,
    from the university article (its translated words "study", "university" crossed the
    gate). The name, written in Latin letters in both, is only in the Chinese articles."""
    article = tmp_path / "university_en.md"
    article.write_text(UNIVERSITY, encoding="utf-8")
    ingest_paths([article], ArticleStore(sample_store_copy), show_progress=False)
    answerer = Answerer(sample_store_copy)
    for question in ("Mark Chen在哪里上的大学？", "Greg Brockman在哪里读的大学？"):
        explained = answerer.explain(question)
        gate = explained.gate
        assert gate is not None and gate.same.holds_names and gate.other.holds_names is False
        assert gate.answer_language == "zh"
        assert all("Northfield" not in explained.texts[s.article_id] for s in explained.spans)
    unnamed = answerer.explain("大学图书馆有多少藏书？").gate  # no name: the gate as before
    assert unnamed is not None and unnamed.same.holds_names is None
