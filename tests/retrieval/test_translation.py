"""Word-for-word translation of a question for the keyword search (retrieval/translation.py):
the bundled CC-CEDICT is looked up both ways, and its words find an article in the other
language that the question's own words cannot."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.chunking import chunk_article
from ingest.reader import read_text_articles
from ingest.store import ArticleStore
from retrieval.keyword import KeywordIndex
from retrieval.quotes import SentenceScorer
from retrieval.translation import (
    translated_tokens,
    translation_coverage,
    translations,
    translations_in_articles,
)
from tests.support.embeddings import MODEL_NAME, HashEmbeddings
from tests.support.settings import make_settings


def _words(text: str) -> dict[str, tuple[str, ...]]:
    return dict(translations(text))


def test_chinese_words_get_their_english_glosses_with_inflections() -> None:
    words = _words("谁发明了电池？")
    assert "invented" in words["发明"]  # English articles write the inflected form
    assert {"battery", "batteries"} <= set(words["电池"])
    assert "谁" not in words  # a question word is not searched for


def test_traditional_script_is_looked_up_as_simplified() -> None:
    assert _words("誰發明了電池？") == _words("谁发明了电池？")


def test_english_words_get_chinese_ones_from_their_uninflected_forms() -> None:
    words = _words("When was the battery invented? What is the capital of Peru?")
    assert "电池" in words["battery"]
    assert "发明" in words["invented"]  # invented → invent
    assert words["peru"] == ("秘鲁",)  # a proper name, glossed with a capital letter
    assert "首都" in words["capital"]  # "capital (city)"


def test_unknown_and_stop_words_give_nothing() -> None:
    assert translations("What is the xyzzy?") == []
    assert translated_tokens("") == []


def test_coverage_counts_the_words_whose_translation_the_quote_holds() -> None:
    found = translations("When was the battery invented?")
    assert translation_coverage(found, "伏打在1800年发明了电池。") == 1.0
    assert translation_coverage(found, "電池的歷史很長。") == 0.5  # Traditional folds
    assert translation_coverage(found, "The lamp still turns every night.") == 0.0
    assert translation_coverage((), "电池") == 0.0


def test_chinese_question_translation_matches_english_inflections() -> None:
    found = translations("谁发明了电池？")
    assert translation_coverage(found, "Volta invented the first batteries in 1800.") == 1.0


@pytest.fixture
def store(tmp_path: Path) -> ArticleStore:
    store = ArticleStore(
        make_settings(tmp_path, embedding_model=MODEL_NAME), embeddings=HashEmbeddings()
    )
    for text, name in (
        ("# 渡轮\n\n港口的电动渡轮现在只需十一分钟就能横渡海湾。\n", "ferry.md"),
        ("# 灯塔\n\n岛上最后一位灯塔看守人在1987年退休。\n", "lighthouse.md"),
        ("# Kelp\n\nA kelp farm off the headland harvested forty tonnes this spring.\n", "k.md"),
    ):
        [article] = read_text_articles(text, name)
        store.add_article(article, chunk_article(article, store.settings.chunk_chars))
    return store


def test_translated_words_find_the_article_the_question_words_cannot(store: ArticleStore) -> None:
    index = KeywordIndex(store)
    question = "How long does the ferry take to cross the bay?"
    ferry = next(a for a in store.article_ids() if "渡轮" in store.article_texts([a])[a])
    assert ferry not in [h.article_id for h in index.search(question, 5)]
    hits = index.search_tokens(translated_tokens(question), 5)
    assert hits and hits[0].article_id == ferry


def test_a_question_about_articles_in_the_other_language_is_judged_with_its_translation(
    sample_answerer,
) -> None:
    """The chain carries the translation to the decision: the English question's words,
    translated, are found in the Chinese quote (the sample articles are Chinese)."""
    explanation = sample_answerer.explain(
        "Who beat OpenAI's model at the AtCoder World Tour Finals?"
    )
    assert explanation.features.cross_language
    assert explanation.features.translated_coverage > 0
    assert "击败" in explanation.as_json()["translations"]["beat"]  # what `ask --explain` shows
    same_language = sample_answerer.explain("谁在AtCoder世界巡回赛决赛上击败了OpenAI的模型？")
    assert not same_language.features.cross_language
    assert same_language.features.translated_coverage == 0


def test_an_unreadable_dictionary_costs_the_translation_not_the_answer(
    sample_answerer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import retrieval.translation as translation

    def broken() -> None:
        raise OSError("cedict file missing")

    monkeypatch.setattr(translation, "bilingual_dictionary", broken)
    answer = sample_answerer.ask("Who beat OpenAI's model at the AtCoder World Tour Finals?")
    assert answer.error is None  # not "the store is unavailable"
    assert "searching without translation" in caplog.text


PROFILE = (
    "麻省理工科技評論專訪了首席研究官陳信翰(Mark Chen)和首席科學家雅庫布·帕喬基（Jakub Pachocki）。"
    "陳信翰出生於中國臺灣。帕喬基是推理模型的主要架構師。"
    "應用首席執行官菲吉·西莫(Fidji Simo)計劃推出新產品。古魯(guru)一詞來自梵語。"
)


@pytest.mark.parametrize(
    ("question", "found"),
    [
        ("Where was Mark Chen born?", [("mark", ("陈信翰",)), ("chen", ("陈信翰",))]),
        ("Who is Pachocki?", [("pachocki", ("帕乔基",))]),  # 雅庫布·帕喬基 is written again as 帕喬基
        ("What did Fidji Simo plan?", []),  # 菲吉·西莫 is not written again: nothing to find
        ("What does guru mean?", []),  # a common word in parentheses is no name
        ("Who is Sam Altman?", []),
    ],
)
def test_the_articles_translate_the_names_they_give_in_parentheses(
    question: str, found: list[tuple[str, tuple[str, ...]]]
) -> None:
    assert translations_in_articles(question, [PROFILE]) == found


def test_a_sentence_naming_the_person_only_in_chinese_holds_the_english_questions_name() -> None:
    """"Where was Mark Chen born?": the article names him "陳信翰(Mark Chen)" once, then 陳信翰."""
    question = "Where was Mark Chen born?"
    born = "陳信翰出生於中國臺灣。"
    plain = SentenceScorer(question, [PROFILE], translations=translations(question))
    assert plain.coverage(born, "zh") == 0
    named = SentenceScorer(
        question,
        [PROFILE],
        translations=[*translations(question), *translations_in_articles(question, [PROFILE])],
    )
    assert named.coverage(born, "zh") > 0.5


SQUAD = "張世昌是深圳紅鑽的門將。2013年，趙鵬加盟廣州恒大。特斯拉在紐約去世。"


@pytest.mark.parametrize(
    ("question", "found"),
    [
        ("What position does Zhang Shichang play?", [("zhang", ("张世昌",)), ("shichang", ("张世昌",))]),
        ("When did Zhao Peng join?", [("zhao", ("赵鹏",)), ("peng", ("赵鹏",))]),
        ("Did Zhao Peng join Guangzhou?", [("zhao", ("赵鹏",)), ("peng", ("赵鹏",)), ("guangzhou", ("广州",))]),
        ("Who signed Li Na?", []),  # a name in pinyin that the articles do not write
        ("Where did Tesla die?", []),  # not pinyin: 特斯拉 is how it sounds, not how it reads
        ("Who is Zhang?", []),  # one syllable: too many characters read so
    ],
)
def test_the_articles_write_the_names_asked_in_pinyin(
    question: str, found: list[tuple[str, tuple[str, ...]]]
) -> None:
    assert translations_in_articles(question, [SQUAD]) == found


def test_a_sentence_naming_a_chinese_person_holds_the_pinyin_of_the_question() -> None:
    question = "What position does Zhang Shichang play?"
    keeper = "張世昌是深圳紅鑽的門將。"
    named = SentenceScorer(
        question,
        [SQUAD],
        translations=[*translations(question), *translations_in_articles(question, [SQUAD])],
    )
    plain = SentenceScorer(question, [SQUAD], translations=translations(question))
    assert named.coverage(keeper, "zh") > plain.coverage(keeper, "zh")
