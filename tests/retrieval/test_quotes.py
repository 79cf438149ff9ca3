"""Quote helpers: text fragments, the verbatim check, sentence windows."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import pytest
import snowballstemmer

from retrieval.quotes import (
    MAX_QUOTE_CHARS,
    Candidate,
    QuoteSpan,
    SentenceCosines,
    SentenceScorer,
    is_passage_question,
    is_verbatim,
    lexical_units,
    names_and_numbers,
    passages_after,
    select_quotes,
    sentences_shown,
)
from retrieval.translation import translations


def test_verbatim_check_rejects_wrong_offsets_and_edits() -> None:
    article = "第一句。第二句。第三句。"
    assert is_verbatim("第二句。", article, 4, 8)
    assert not is_verbatim("第二句。", article, 3, 7)
    assert not is_verbatim("第二名。", article, 4, 8)
    assert not is_verbatim("", article, 0, 0)


def test_quote_is_the_answering_sentence_with_neighbours_within_limits() -> None:
    article = (
        "灯塔建于1868年。" + "灯塔高三十六米，是当时最高的灯塔之一。" + "守塔人养了两只猫。" * 3
        + "每年夏天有两万名游客登塔看日落。" + "这是一段与问题无关的很长的描述。" * 30
    )
    candidate = Candidate("a1", 0, len(article), 1.0, 0.9)
    [best, *_] = select_quotes("每年有多少游客登塔？", [candidate], {"a1": article})
    text = article[best.start : best.end]
    assert "两万名游客" in text
    assert len(text) <= MAX_QUOTE_CHARS


def test_more_reads_on_in_the_best_quotes_paragraph_past_what_was_shown() -> None:
    """"Tell me more" continues the paragraph of the earlier answer's best quote, in order,
    skipping passages any answer showed, a line's sentences together; when nothing follows,
    it goes back to what came before; it never leaves the paragraph (the conversation's
    ranking picks among the others)."""
    article = (
        "灯塔建于1868年。\n\n"
        "灯塔高三十六米。它是当时最高的灯塔之一。守塔人住在塔下。\n"
        "灯塔的灯光能照到二十海里外。每年夏天有两万名游客登塔。\n\n"
        "镇上还有一座钟楼。"
    )

    def span(sentence: str) -> QuoteSpan:
        start = article.index(sentence)
        return QuoteSpan("a1", start, start + len(sentence), 1.0, 1.0)

    def quoted(shown: list[QuoteSpan]) -> list[str]:
        return [article[q.start : q.end] for q in passages_after("a1", article, shown, 2)]

    best, also = span("灯塔高三十六米。"), span("灯塔的灯光能照到二十海里外。")
    assert quoted([best, also]) == ["它是当时最高的灯塔之一。守塔人住在塔下。", "每年夏天有两万名游客登塔。"]
    assert quoted([span("每年夏天有两万名游客登塔。")]) == [
        "灯塔高三十六米。它是当时最高的灯塔之一。守塔人住在塔下。",
        "灯塔的灯光能照到二十海里外。",
    ]
    assert quoted([span("灯塔建于1868年。")]) == []  # a paragraph of one sentence
    assert quoted([QuoteSpan("other", 0, 5, 1.0, 1.0)]) == []


def test_the_sentences_an_earlier_answer_showed_are_found_in_its_text() -> None:
    """What a request for more must not quote again: sentences an answer held as written,
    and an over-long one it showed cut at a soft break (at least half of it, by its clauses);
    not one it shared a clause with, nor a short one that may be in any text."""
    article = (
        "The lighthouse was built in 1868. It was the tallest of its time. Yes. "
        "The keeper lived below the lamp, and his family grew vegetables on the rocks, "
        "and the supply boat came once a month when the sea allowed it. "
        "灯塔建于1868年。守塔人和他的家人一直住在塔下的小屋里，每年夏天有两万名游客登塔。"
    )
    shown = [
        "Here is what “Lighthouse” says:\n> It was the tallest of its time. Yes.",
        # quoted from its second clause, as an over-long sentence is cut
        "> and his family grew vegetables on the rocks, and the supply boat came once a month "
        "when the sea allowed it.",
        "> 每年夏天有两万名游客登塔",  # one clause, not half of its sentence
    ]
    found = [article[s.start : s.end].strip() for s in sentences_shown("a1", article, shown)]
    assert found == [
        "It was the tallest of its time.",
        "The keeper lived below the lamp, and his family grew vegetables on the rocks, "
        "and the supply boat came once a month when the sea allowed it.",
    ]
    assert all(s.article_id == "a1" for s in sentences_shown("a1", article, shown))
    assert sentences_shown("a1", article, []) == []


def test_an_over_long_sentence_is_quoted_from_the_clause_that_answers() -> None:
    sentence = (
        "The secondary featured a safety who led the team with seven interceptions, "
        + "while also racking up many tackles and helping in every game of the season, " * 4
        + "and a cornerback who had four interceptions, two of which were returned for touchdowns."
    )
    assert len(sentence) > MAX_QUOTE_CHARS
    article = "The season began in September. " + sentence
    # The chunk cut the sentence in two: the whole of it is still scored and quoted.
    chunk = Candidate("a1", 0, len(article) // 2, 1.0, 0.9)
    question = "How many interceptions did the cornerback return for touchdowns?"
    [best, *_] = select_quotes(question, [chunk], {"a1": article}, 1)
    quoted = article[best.start : best.end]
    assert "returned for touchdowns" in quoted
    assert len(quoted) <= MAX_QUOTE_CHARS and is_verbatim(quoted, article, best.start, best.end)


def test_english_words_match_in_any_inflection() -> None:
    assert lexical_units("Opened museums") == lexical_units("open museum")
    scorer = SentenceScorer("When did the museum open?", ["x"])
    opened, other = "The museum opened in 1909.", "The museum has a garden."
    assert scorer.coverage(opened) > scorer.coverage(other)


def test_a_name_with_accents_is_one_word_and_crosses_languages_as_written() -> None:
    """"Przemysław Dębiak" was four units (przemys, aw, d, biak) and no name at all: a Chinese
    sentence that writes it held none of "Who is Przemysław Dębiak?"'s names."""
    assert lexical_units("Przemysław Dębiak, Müller") == ["przemysław", "dębiak", "müller"]
    assert names_and_numbers("Who is Przemysław Dębiak of GPT-5, not iPhone?") == [
        "Who", "Przemysław", "Dębiak", "GPT", "5"]
    scorer = SentenceScorer("Who is Przemysław Dębiak?", ["x"])
    assert scorer.coverage("擊敗OpenAI模型的是普熱梅斯瓦夫·登比亞克(Przemysław Dębiak)。", "zh") == 1.0


def test_a_sentence_in_the_other_language_is_scored_by_the_question_translated() -> None:
    question = "When was the battery invented?"
    texts = {"city": "这座城市的历史很长，城市里有很多公园。", "volta": "伏打在1800年发明了电池。"}
    # The city's chunk ranks first: only the wording can choose the other.
    candidates = [
        Candidate("city", 0, len(texts["city"]), 1.0, 0.9, "zh"),
        Candidate("volta", 0, len(texts["volta"]), 0.6, 0.8, "zh"),
    ]

    def first_quote(**kwargs: object) -> str:
        return select_quotes(question, candidates, texts, 1, **kwargs)[0].article_id

    assert first_quote() == "city"
    assert first_quote(translations=translations(question)) == "volta"


def test_a_name_counts_once_written_as_in_the_question_or_translated() -> None:
    question = "How many Americans watched the Olympics?"
    scorer = SentenceScorer(question, ["x"], translations=translations(question))
    assert {"american", "olymp"} <= set(scorer.crossing)  # names, by stem
    assert scorer.coverage("许多美籍观众观看了奥运会。", "zh") == pytest.approx(1.0)
    assert scorer.coverage("The Olympics 很多人观看。", "zh") == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("question", "asks_for_passage"),
    [
        ("为什么索尔维法比其他方法经济？", True),
        ("日本為什麼決定攻擊珍珠港？", True),  # Traditional: matched on the folded question
        ("南齐为何走向灭亡？", True),
        ("气体离心法是如何浓缩铀的？", True),
        ("使用气炉时应该怎样避免危险？", True),
        ("造成失范的原因有哪些？", True),
        ("1917年法軍的春季攻勢之後發生了什麼？", True),
        ("Why is 1 not a prime number?", True),
        ("How does autoimmunity arise?", True),
        ("What happened after the attack?", True),
        ("锣鼓经常用的节奏型称为什么？", False),  # 称为什么: "called what"
        ("萨克森花园用波兰语怎么说？", False),
        ("要搭飛機來往關島與美國本土一定會經過哪邊？", False),  # 经过: "pass through"
        ("大熊猫每天吃多少竹子？", False),
        ("How many people use it every week?", False),
        ("How long is the Yangtze?", False),
        ("Who beat OpenAI's model at the AtCoder World Tour Finals?", False),
        ("三峡大坝在哪一年建成？", False),
    ],
)
def test_which_questions_ask_for_a_passage(question: str, asks_for_passage: bool) -> None:
    assert is_passage_question(question) is asks_for_passage


# The sentence before the passage shares more of the question's wording than the two after
# the best one: growing towards the more relevant side would cut the explanation short.
EXPLAINED = (
    "这个页面介绍山国的交通。" + "山国的铁路很短，只有两公里长，由邻国在百年前建造。" * 3
    + "山国的货物运输很重要，而乙港离山国很远。"
    + "山国的货物要转到乙港，是因为甲港越来越拥堵。"
    + "越来越多的公司使用甲港，码头不够用。"
    + "船只经常要等好几天才能装船。"
    + "\n\n" + "山国境内共有二十八个机场，其中三个的跑道已经铺平。" * 6
)


def test_an_explanation_question_gets_the_whole_passage_in_one_quote() -> None:
    passage = (
        "山国的货物要转到乙港，是因为甲港越来越拥堵。越来越多的公司使用甲港，码头不够用。"
        "船只经常要等好几天才能装船。"
    )
    candidate = Candidate("a1", 0, len(EXPLAINED), 1.0, 0.9)
    question = "山国的货物为什么要转到乙港？"
    [best, *_] = select_quotes(question, [candidate], {"a1": EXPLAINED})
    shown = EXPLAINED[best.start : best.end]
    assert passage in shown and len(shown) <= MAX_QUOTE_CHARS
    assert "\n" not in shown  # within its paragraph
    # The same facts asked for as a fact: one to three sentences around the best one.
    [fact, *_] = select_quotes("山国的货物要转到哪个港？", [candidate], {"a1": EXPLAINED})
    assert passage not in EXPLAINED[fact.start : fact.end]


def test_a_passage_that_opens_with_a_continuing_word_takes_the_sentence_before() -> None:
    article = (
        "第一段只是背景。" * 20 + "\n\n"
        + "齐武帝十分关心内政，提倡教育。由于与北魏通好，边境较为安定。"
        + "使得齐武帝在位期间政治清明，出现了永明之治。"
        + "永明之治是南齐的治世。" + "永明之治以齐武帝的年号为名。"
    )
    candidate = Candidate("a1", 0, len(article), 1.0, 0.9)
    [best, *_] = select_quotes("为什么会出现永明之治？", [candidate], {"a1": article})
    shown = article[best.start : best.end]
    assert "由于与北魏通好，边境较为安定。使得齐武帝在位期间政治清明" in shown


def test_english_words_are_stemmed_alike_by_questions_answered_at_once() -> None:
    """Several threads answer questions at once (Slack, Discord): one shared snowball
    stemmer, which keeps its word in itself, raised IndexError or gave another word's stem."""
    letters, endings = random.Random(0), ("ing", "ed", "ness", "ation", "ively", "s", "ment")
    words = [  # made up, so none is in the stem cache yet
        "".join(letters.choices("aeioulnrstdgmp", k=letters.randint(4, 14)))
        + letters.choice(endings)
        for _ in range(20_000)
    ]
    expected = [snowballstemmer.stemmer("english").stemWord(w) for w in words]
    with ThreadPoolExecutor(4) as pool:
        stemmed = list(pool.map(lambda _: [lexical_units(w)[0] for w in words], range(4)))
    assert stemmed == [expected] * 4


@pytest.mark.parametrize(
    ("question", "article", "english"),
    [
        (
            "When does the ferry leave the harbour?",
            "The ferry leaves the harbour at nine. The harbour has a small ferry office.",
            True,
        ),
        ("渡轮什么时候离开港口？", "渡轮九点离开港口。港口有一个小的渡轮办公室。", False),
    ],
)
def test_an_english_sentences_cosine_weighs_more_for_an_english_question(
    question: str, article: str, english: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """English sentences have whole-sentence vectors: their cosine to an English question
    weighs ENGLISH_SENTENCE_WEIGHT in the rerank, everything else DENSE_SENTENCE_WEIGHT."""

    def embed(texts: list[str]) -> list[list[float]]:  # the second sentence is the nearer
        return [[1.0, 0.0] if ("office" in t or "办公室" in t) else [0.0, 1.0] for t in texts]

    candidates = [Candidate("a1", 0, len(article), 1.0, 0.9)]

    def first_score() -> float:
        cosines = SentenceCosines(embed)
        spans = select_quotes(question, candidates, {"a1": article}, 1, cosines, [1.0, 0.0])
        return spans[0].score

    weighted = first_score()
    monkeypatch.setattr("retrieval.quotes.ENGLISH_SENTENCE_WEIGHT", 0.15)  # DENSE's value
    assert (first_score() != weighted) is english


@pytest.mark.parametrize("question", ["When will it be released?", "GPT-7什么时候发布？"])
def test_a_list_number_a_stray_stop_or_a_heading_is_never_a_quote(question: str) -> None:
    """Chunks can end between "diving in..." and its fourth stop, or after a list's "1.",
    and a heading is a paragraph of its own: such a sentence has no words to show, even
    when its chunk ranks as high as the rest."""
    article = (
        "Learners\n\nIntro. 1. Get to know the learner. "
        "If you lack their goals, level, or curriculum, ask before diving in...."
    )
    number, words, stop = article.index("1."), article.index("Get"), len(article) - 1
    candidates = [
        Candidate("a1", 0, len("Learners"), 1.0, 0.9, "en"),
        Candidate("a1", number, words, 1.0, 0.9, "en"),
        Candidate("a1", words, stop, 1.0, 0.9, "en"),
        Candidate("a1", stop, len(article), 1.0, 0.9, "en"),
    ]
    quotes = [article[q.start : q.end] for q in select_quotes(question, candidates, {"a1": article})]
    assert quotes and all(len(quote.split()) > 2 for quote in quotes), quotes


def test_a_short_fragment_inside_a_paragraph_still_starts_its_quote() -> None:
    """"灯塔（；" is cut off its sentence by the semicolon; it holds the question's word, so
    the quote grows from it into the answer (only a paragraph of its own is a heading)."""
    article = "灯塔（；），王大海于1868年建成，至今完好。\n\n守塔人养了两只猫，猫很喜欢晒太阳。"
    second = article.index("守塔人")
    candidates = [
        Candidate("a1", 0, second, 0.9, 0.9, "zh"),
        Candidate("a1", second, len(article), 1.0, 0.9, "zh"),
    ]
    [best, *_] = select_quotes("灯塔是谁的作品？", candidates, {"a1": article})
    assert "王大海" in article[best.start : best.end]
