"""The relevance decision as a table: typical features of answerable and unanswerable
questions (means measured with benchmarks/calibrate_confidence.py), and its invariants: the
same-language model and the fitted cross-language ones."""

from __future__ import annotations

from dataclasses import replace

import pytest

from retrieval.relevance import (
    DEFAULT_MIN_CONFIDENCE,
    QUESTION_WORDS,
    Decision,
    RelevanceFeatures,
    asks_only_about_names,
    confidence,
    cross_language_inputs,
    decide,
    dense_margin,
    model_for,
    question_words,
    relevance_features,
    same_language_inputs,
)

# (what it is, sentence cosine, best chunk cosine, margin and lead in its language, lexical,
#  cross-language, translated search agrees, translated coverage, question keywords, the
#  bilingual encoder's cosine of the quote, its article lead, its margin and the margin of its
#  search of the whole store, confident): the mean features of each kind of question in
#  benchmarks/calibration/ (stores of 5+ chunks).
TABLE = [
    ("Chinese question, its Chinese article", 0.913, 0.896, 0.057, 0.042, 0.378)
    + (False, 0, 0, 4, 0, 0, 0, 0, True),
    ("English question, its English article", 0.880, 0.869, 0.091, 0.079, 0.605)
    + (False, 0, 0, 4, 0, 0, 0, 0, True),
    ("English question, its Chinese article", 0.791, 0.781, 0.050, 0.031, 0.090)
    + (True, 1, 0.453, 4, 0.346, 0.165, 0.183, 0.212, True),
    ("Chinese question, its English article", 0.815, 0.805, 0.053, 0.038, 0.160)
    + (True, 1, 0.447, 4, 0.339, 0.122, 0.181, 0.218, True),
    ("Chinese question, nothing stored", 0.846, 0.846, 0.021, 0.008, 0.062)
    + (False, 0, 0, 4, 0, 0, 0, 0, False),
    ("English question, nothing stored", 0.792, 0.788, 0.029, 0.014, 0.128)
    + (False, 0, 0, 4, 0, 0, 0, 0, False),
    ("Chinese question, its paragraph not stored", 0.862, 0.865, 0.027, 0.013, 0.098)
    + (False, 0, 0, 4, 0, 0, 0, 0, False),
    ("English question, its paragraph not stored", 0.819, 0.815, 0.039, 0.024, 0.216)
    + (False, 0, 0, 4, 0, 0, 0, 0, False),
    ("English follow-up asked alone", 0.814, 0.820, 0.023, 0.006, 0.691)
    + (False, 0, 0, 1, 0, 0, 0, 0, False),
    ("Chinese follow-up asked alone", 0.867, 0.860, 0.016, 0.005, 0.278)
    + (False, 0, 0, 2, 0, 0, 0, 0, False),
    ("English question, Chinese off topic", 0.765, 0.749, 0.022, 0.007, 0.027)
    + (True, 0, 0.203, 4, 0.197, 0.001, 0.103, 0.095, False),
    ("Chinese question, English off topic", 0.782, 0.776, 0.027, 0.013, 0.048)
    + (True, 0, 0.214, 4, 0.126, 0.016, 0.114, 0.104, False),
]


@pytest.mark.parametrize(
    (
        ("sentence", "top", "margin", "lead", "lexical", "cross", "agrees", "coverage", "words")
        + ("bilingual", "bilingual_lead", "bilingual_margin", "bilingual_store_margin")
    ),
    [row[1:-1] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_decision_table(
    sentence: float,
    top: float,
    margin: float,
    lead: float,
    lexical: float,
    cross: bool,
    agrees: int,
    coverage: float,
    words: int,
    bilingual: float,
    bilingual_lead: float,
    bilingual_margin: float,
    bilingual_store_margin: float,
    request: pytest.FixtureRequest,
) -> None:
    kind = request.node.callspec.id
    expected = next(row[-1] for row in TABLE if row[0] == kind)
    features = RelevanceFeatures(
        top,
        margin,
        lexical,
        sentence,
        cross,
        found=True,
        lead=lead,
        translated_agrees=bool(agrees),
        translated_coverage=coverage,
        question_words=words,
        question_language="zh" if kind.startswith("Chinese") else "en",
        bilingual=bilingual,
        bilingual_lead=bilingual_lead,
        bilingual_margin=bilingual_margin,
        bilingual_store_margin=bilingual_store_margin,
    )
    assert decide(features).confident is expected


# The bilingual encoder's opinion of a quote across languages, halfway between the means of
# answerable and unanswerable questions (TABLE).
BILINGUAL = {
    "bilingual": 0.3,
    "bilingual_lead": 0.1,
    "bilingual_margin": 0.15,
    "bilingual_store_margin": 0.15,
}


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_translated_search_is_evidence_across_languages(language: str) -> None:
    """The same cosines, with and without the question's translated words in the quote."""
    base = RelevanceFeatures(0.79, 0.045, 0.1, 0.79, True, found=True, lead=0.03, **BILINGUAL)
    base = replace(base, question_words=3, question_language=language)
    translated = replace(base, translated_agrees=True, translated_coverage=0.4)
    assert not decide(base).confident and decide(translated).confident
    same_language = replace(base, cross_language=False)
    assert confidence(replace(same_language, translated_coverage=1.0)) == confidence(same_language)


def test_each_direction_across_languages_has_its_own_model() -> None:
    """An English question's Chinese quote and a Chinese question's English one are judged by
    different models; in the question's language, its language does not matter."""
    features = RelevanceFeatures(0.8, 0.05, 0.15, 0.82, True, found=True, question_words=4)
    features = replace(features, **BILINGUAL)
    to_chinese = replace(features, question_language="en")
    to_english = replace(features, question_language="zh")
    assert (model_for(to_chinese), model_for(to_english)) == (
        "cross_language_en",
        "cross_language_zh",
    )
    assert confidence(to_chinese) != confidence(to_english)
    same = replace(features, cross_language=False)
    assert confidence(replace(same, question_language="en")) == confidence(
        replace(same, question_language="zh")
    )
    few = replace(to_english, chunks_compared=1)
    assert model_for(few) == model_for(replace(few, question_language="en"))


def test_nothing_found_is_never_confident() -> None:
    assert confidence(RelevanceFeatures(0.99, 0.5, 1.0, 0.99, False, found=False)) == 0.0


@pytest.mark.parametrize(
    "field",
    ["top_dense", "margin", "sentence", "lead", "lexical", "translated_coverage"]
    + ["bilingual", "bilingual_lead", "bilingual_margin", "bilingual_store_margin"],
)
def test_more_evidence_never_lowers_the_confidence(field: str) -> None:
    # Near the threshold, where the fitted models (not the names rule) decide.
    bases = {
        (False, "en"): {"top_dense": 0.84, "margin": 0.03, "sentence": 0.86, "lead": 0.02},
        (True, "en"): {"top_dense": 0.78, "margin": 0.04, "sentence": 0.78, "lead": 0.03},
        (True, "zh"): {"top_dense": 0.78, "margin": 0.04, "sentence": 0.78, "lead": 0.03},
    }
    for (cross, language), near in bases.items():
        base = {**near, "lexical": 0.2, "translated_coverage": 0.2, "question_words": 4}
        base = {**base, "cross_language": cross, "question_language": language}
        base = {**base, **(BILINGUAL if cross else dict.fromkeys(BILINGUAL, 0.0))}
        low = RelevanceFeatures(**base, found=True)
        high = RelevanceFeatures(**{**base, field: base[field] + 0.03}, found=True)
        assert 0.2 < confidence(low) < 0.8
        assert confidence(high) >= confidence(low)
        inputs = cross_language_inputs if cross else same_language_inputs
        if field in inputs(low):  # a fitted model weighs each of its inputs
            assert confidence(high) > confidence(low)


def test_the_threshold_is_a_probability_an_operator_sets() -> None:
    features = RelevanceFeatures(0.87, 0.05, 0.3, 0.87, False, found=True)
    p = confidence(features)
    assert 0.0 < p < 1.0
    assert Decision(p, threshold=p).confident and not Decision(p, threshold=p + 1e-6).confident
    assert decide(features).threshold == DEFAULT_MIN_CONFIDENCE


def test_the_bilingual_search_of_the_store_gives_its_margin_across_languages() -> None:
    store_hits = [("a", 0.5)] + [("b", 0.3)] * 29  # the bilingual model's best chunks
    features = relevance_features(
        [("a", 0.8), ("b", 0.78)], 0.1, 0.8, True, bilingual_store_hits=store_hits
    )
    assert features.bilingual_store_margin == pytest.approx(0.2)
    assert relevance_features([("a", 0.8)], 0.1, 0.8, True).bilingual_store_margin == 0.0


def test_margin_compares_the_best_with_the_chunks_ranked_6_to_30() -> None:
    similarities = [0.9] + [0.85] * 4 + [0.8] * 25
    assert dense_margin(similarities) == pytest.approx(0.1)
    assert dense_margin([0.9, 0.8]) == pytest.approx(0.1)
    assert dense_margin([]) == 0.0


def test_a_question_that_says_little_needs_more_evidence() -> None:
    """A follow-up asked alone ("What about 2005?") lands near anything: the same cosines
    answer a question of four keywords but not one of one."""
    specific = RelevanceFeatures(0.85, 0.035, 0.3, 0.86, False, found=True, lead=0.02)
    specific = replace(specific, question_words=4)
    assert decide(specific).confident
    assert not decide(replace(specific, question_words=1)).confident
    assert question_words("What about 2005?") == 2  # "about", "2005"
    assert question_words("How many people use OpenAI products every week?") == QUESTION_WORDS


def test_a_gate_in_doubt_lowers_the_confidence_of_a_quote_in_the_questions_language() -> None:
    """In a store of both languages, a question that neither language answers leaves the
    language gate in doubt; the same cosines are then weaker evidence."""
    asked = RelevanceFeatures(0.85, 0.035, 0.3, 0.855, False, found=True, lead=0.02)
    asked = replace(asked, question_words=3)
    assert decide(asked).confident  # a store of one language: certainty 1.0
    assert not decide(replace(asked, language_certainty=0.2)).confident


def test_in_a_store_of_one_short_article_margin_and_lead_do_not_decide() -> None:
    """With nothing to compare the best chunk with, margin and lead are ~0 for any question:
    the few-chunk model judges by the sentence, the shared words and the question alone."""
    asked = RelevanceFeatures(0.865, 0.0, 0.28, 0.86, False, found=True, question_words=3)
    asked = replace(asked, chunks_compared=1)
    assert model_for(asked) == "same_language_few_chunks"
    assert decide(asked).confident
    assert not decide(replace(asked, chunks_compared=29)).confident  # the model for big stores
    unrelated = replace(asked, sentence=0.71, top_dense=0.69, lexical=0.0, question_words=2)
    assert not decide(unrelated).confident
    across = replace(unrelated, cross_language=True)
    assert model_for(across) == "cross_language_few_chunks" and not decide(across).confident


@pytest.mark.parametrize(
    ("question", "language", "names_only"),
    [("Who is Greg Brockman?", "en", True), ("What is GPT-5?", "en", True),
     ("Who is Przemysław Dębiak?", "en", True), ("AtCoder是什么？", "zh", True),
     ("Who is he?", "en", False), ("What are clades?", "en", False),
     ("赫罗图是什么？", "zh", False), ("Who was elected president?", "en", False),
     ("What did Greg Brockman say?", "en", False)],
)
def test_which_questions_ask_only_about_names(question: str, language: str, names_only: bool) -> None:
    assert asks_only_about_names(question, language) is names_only  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("question", "quote", "quoted"),
    [("Who is Greg Brockman?", "OpenAI 的 AGI 之路,总裁 Greg Brockman 在最新的访谈中说清楚了", True),
     ("What is GPT-5?", "難道GPT-5真的翻車了?", True),
     ("AtCoder是什么？", "在今年日本舉辦的AtCoder大賽上", True),
     ("Canadians是什么？", "found in the Burgess Shale and other Canadian rocks", False),
     ("What is English Channel?", "channels… sport (including English Premier League)", False),
     ("What is AI?", "He said the model was ready.", False),
     ("Who is he?", "he said", False)],
)
def test_a_quote_writes_the_names_asked_about_as_asked(question: str, quote: str, quoted: bool) -> None:
    language = "zh" if "是" in question else "en"
    features = relevance_features([("a", 0.8)], 1.0, 0.8, True, question=question,
                                  question_language=language, quote=quote)  # type: ignore[arg-type]
    assert features.names_quoted is quoted


def test_a_question_only_about_names_is_answered_across_languages_by_a_quote_holding_them() -> None:
    """"Who is Greg Brockman?" of the sample articles was "I don't know" (0.49): the names
    rule asked a cosine of 0.81 of "…总裁 Greg Brockman 在最新的访谈中…" (0.808), which a
    question that says nothing but the name seldom reaches across languages."""
    asked = RelevanceFeatures(0.793, 0.029, 1.0, 0.808, True, found=True, lead=0.016)
    asked = replace(asked, question_words=2, bilingual=0.13, bilingual_margin=0.15)
    assert not decide(asked).confident
    assert decide(replace(asked, names_quoted=True)).confident
    assert not decide(replace(asked, names_quoted=True, sentence=0.70)).confident



@pytest.mark.parametrize(
    ("question", "quote", "rule", "unstated"),
    [("How old was Luther when he wrote the hymn?", "In 1523 Luther wrote the hymn.", "measure", True),
     ("How old was Manning in Super Bowl 50?", "Manning, at age 39, was the oldest.", "measure", False),
     ("陈国峻活了多少岁？", "元朝使节与陈国峻于1282年会面。", "measure", True),
     ("铁木真几岁娶了孛儿帖？", "铁木真在16岁左右娶了孛儿帖。", "measure", False),
     ("How long did it take the rescuers to open the hatch?", "The fire broke out in 1967.",
      "measure", True),
     ("How long did the contest last?", "Contestants had 10 hours to find a solution.", "measure",
      False),
     ("联合政府将持续多久？", "联合政府将执政至当前议会期满止。", "measure", False),
     ("When did Luther write the hymn?", "In 1523 Luther wrote the hymn.", "measure", False),  # a year
     ("What does LOR stand for?", "The committee recommended a hybrid EOR-LOR mode.", "expansion",
      True),
     ("What does LOR stand for?", "Houbolt argued for lunar orbit rendezvous (LOR).", "expansion",
      False),
     ("LMP是什么的缩写？", "机组人员包括月球模块飞行员 （LMP）。", "expansion", False),
     ("LMP是什么的缩写？", "LMP坐在右边。", "expansion", True),
     # the acronym asked about is LMP, not the II of Block II
     ("Block II火箭发射职位中，缩写LMP代表什么?", "月球模块飞行员 （LMP）。", "expansion", False),
     ("What did the LMP acronym stand for on Block II?", "the Lunar Module Pilot (LMP)",
      "expansion", False),
     ("LMP是甚麼的縮寫？", "月球模組飛行員（LMP）", "expansion", False),  # Traditional
     ("What does he stand for?", "He stood for election in 1999.", "expansion", False)],  # no acronym
)
def test_a_question_whose_first_quote_does_not_state_what_it_asks_is_not_answered(
    question: str, quote: str, rule: str, unstated: bool
) -> None:
    """A passage on the topic that gives a year is no answer to how old someone was or how
    long something took, and every passage of an article on LOR names it without saying
    what it stands for ("What does LOR stand for?" was answered, confident, with "…a hybrid
    EOR-LOR mode"). The fitted models cannot tell (the passage is on the topic), so these
    are rules."""
    language = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in question) else "en"
    features = relevance_features([("a", 0.9), ("b", 0.7)], 1.0, 0.92, False, question=question,
                                  question_language=language, quote=quote)  # type: ignore[arg-type]
    assert getattr(features, f"{rule}_unstated") is unstated
    assert (confidence(features) == 0.0) is unstated
