"""The answer chain on the sample articles: quotes that answer, are verbatim, and link back."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from config import Settings
from ingest import ingest_paths
from ingest.store import ArticleStore
from retrieval import Answer, Answerer, Turn
from tests.support.embeddings import MODEL_NAME, HashEmbeddings
from tests.support.settings import make_settings

# (question, text the answer must contain): Simplified, Traditional and English questions.
ANSWERABLE = [
    ("Greg Brockman认为未来AI技术发展的关键瓶颈是什么？", "算法"),
    ("Sam Altman认为GPT-8也许可以做到什么？", "癌症"),
    ("陈信翰拒绝了谁开出的天价薪酬？", "扎克伯格"),
    ("陳信翰拒絕了誰開出的天價薪酬？", "扎克伯格"),
    ("OpenAI产品周活跃用户超过多少？", "4億"),
    ("OpenAI在哪里设立了首个国际办事处？", "倫敦"),
    ("Sam Altman預測AI會在哪一年底發現重大科學突破？", "2027"),
    ("OpenAI的模型在编程竞赛AtCoder中获得第几名？", "第二名"),
    ("布羅克曼認為AGI的主要瓶頸是什麼？", "计算"),
    ("What did Sam Altman say GPT-8 might be able to cure?", "癌症"),
    ("Which podcast host interviewed Sam Altman after GPT-5 launched?", "Cleo Abram"),
]
UNANSWERABLE = [
    "比特币明天的价格是多少？",
    "红烧肉怎么做？",
    "How do I cook rice?",
    "What is the capital of Australia?",
]


def _quote_holds(answer: Answer, expected: str) -> bool:
    return answer.confident and any(expected in q.text for q in answer.quotes)


def test_answers_are_found_in_short_quotes(sample_answerer: Answerer) -> None:
    answers = [sample_answerer.ask(q) for q, _ in ANSWERABLE]
    hits = [_quote_holds(a, expected) for a, (_, expected) in zip(answers, ANSWERABLE, strict=True)]
    assert sum(hits) / len(hits) >= 0.9, [q for (q, _), hit in zip(ANSWERABLE, hits, strict=True) if not hit]
    assert all(len(q.text) <= 300 for a in answers for q in a.quotes)


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_unrelated_questions_get_i_dont_know(sample_answerer: Answerer, question: str) -> None:
    answer = sample_answerer.ask(question)
    assert not answer.confident
    assert answer.quotes == []
    assert answer.error is None


@pytest.mark.parametrize(
    ("question", "name"),
    [("Who is Greg Brockman?", "Greg Brockman"), ("What is AtCoder?", "AtCoder"),
     ("Who is Przemysław Dębiak?", "Przemysław Dębiak")],
)
def test_a_question_only_about_a_name_is_answered_from_a_chinese_quote_that_holds_it(
    sample_answerer: Answerer, question: str, name: str
) -> None:
    """Each was "I don't know": across languages the names rule wanted a closer sentence than
    a question of nothing but a name gets, and "Dębiak" was no name (its accent split it)."""
    answer = sample_answerer.ask(question)
    assert answer.confident and name in answer.quotes[0].text


def test_a_question_only_about_a_name_no_article_holds_gets_i_dont_know(
    sample_answerer: Answerer,
) -> None:
    assert not sample_answerer.ask("Who is Barack Obama?").confident


def test_every_quote_is_verbatim_at_its_offsets(
    sample_answerer: Answerer, sample_settings: Settings
) -> None:
    stored = ArticleStore(sample_settings)  # another reader: the articles as stored, uncached
    for question, _ in ANSWERABLE:
        for quote in sample_answerer.ask(question).quotes:
            text = stored.article_texts([quote.article_id])[quote.article_id]
            assert text[quote.start : quote.end] == quote.text


def test_traditional_quote_keeps_its_script(sample_answerer: Answerer) -> None:
    answer = sample_answerer.ask("陈信翰拒绝了谁开出的天价薪酬？")  # asked in Simplified
    assert any("陳信翰" in q.text for q in answer.quotes)  # quoted in Traditional


def test_links_carry_a_text_fragment_of_the_quote(sample_answerer: Answerer) -> None:
    answer = sample_answerer.ask("Greg Brockman认为未来AI技术发展的关键瓶颈是什么？")
    linked = [q for q in answer.quotes if q.url]
    assert linked, "the 36kr article has a URL"
    quote = linked[0]
    base, fragment = quote.url.split("#:~:text=")
    assert base == "https://www.36kr.com/p/3424967141690758"
    start = unquote(fragment.split(",")[0])
    assert quote.text.startswith(start)
    assert quote.title == "OpenAIGPT-6" and quote.published == "2025-08-16"


def test_quote_without_url_names_its_file(sample_answerer: Answerer) -> None:
    answer = sample_answerer.ask("陈信翰拒绝了谁开出的天价薪酬？")
    quote = answer.quotes[0]
    assert quote.url is None and quote.source.endswith("004_615104f65b784ff1.txt")


def test_quotes_do_not_overlap(sample_answerer: Answerer) -> None:
    for question, _ in ANSWERABLE:
        quotes = sample_answerer.ask(question).quotes
        for i, a in enumerate(quotes):
            for b in quotes[i + 1 :]:
                assert a.article_id != b.article_id or a.end <= b.start or b.end <= a.start


def test_follow_up_uses_the_previous_question(sample_answerer: Answerer) -> None:
    history = [Turn("user", "陈信翰拒绝了谁开出的天价薪酬？"), Turn("assistant", "…")]
    answer = sample_answerer.ask("金额是多少？", history)
    assert answer.confident and any("10億美元" in q.text for q in answer.quotes)


def test_json_shape(sample_answerer: Answerer) -> None:
    data = json.loads(json.dumps(sample_answerer.ask("陈信翰拒绝了谁开出的天价薪酬？").as_json()))
    assert set(data) == {"question", "answer", "confident", "quotes", "notes"}
    assert set(data["quotes"][0]) == {
        "text", "title", "url", "published", "source", "article_id", "start", "end", "score",
        "page", "other_sources",
    }
    assert data["quotes"][0]["page"] is None  # a text article has no pages


def test_fake_llm_answer_keeps_only_verified_quotes(sample_settings: Settings) -> None:
    reply = json.dumps(
        {
            "answer": "Meta 的扎克伯格开出了 10 亿美元 [1]，他拒绝了 [2]。",
            "quotes": [
                {"passage": 1, "text": "Meta創始人兼CEO馬克·扎克伯格(Mark Zuckerberg)就向陳信翰開出了10億美元天價薪酬,但被他拒絕。"},
                {"passage": 1, "text": "陳信翰接受了1000億美元的薪酬。"},
            ],
        },
        ensure_ascii=False,
    )
    answerer = Answerer(sample_settings, chat_model=FakeListChatModel(responses=[reply]))
    answer = answerer.ask("陈信翰拒绝了谁开出的天价薪酬？")
    assert answer.confident
    assert [q.text for q in answer.quotes] == [
        "Meta創始人兼CEO馬克·扎克伯格(Mark Zuckerberg)就向陳信翰開出了10億美元天價薪酬,但被他拒絕。"
    ]
    assert "1000億" not in " ".join(q.text for q in answer.quotes)
    assert answer.text.startswith("Meta 的扎克伯格") and "[2]" not in answer.text


class _FailingModel(FakeListChatModel):
    def invoke(self, *args: object, **kwargs: object):  # type: ignore[override]
        raise RuntimeError("provider down")


def test_failing_llm_falls_back_to_the_extractive_answer(sample_settings: Settings) -> None:
    answerer = Answerer(sample_settings, chat_model=_FailingModel(responses=["unused"]))
    answer = answerer.ask("陈信翰拒绝了谁开出的天价薪酬？")
    assert answer.confident and answer.error is None
    assert any("扎克伯格" in q.text for q in answer.quotes)


def test_explain_shows_what_ask_decides(sample_answerer: Answerer) -> None:
    for question in ("陈信翰拒绝了谁开出的天价薪酬？", "How do I cook rice?"):
        explanation = sample_answerer.explain(question)
        answer = sample_answerer.ask(question)
        assert explanation.confident == answer.confident
        assert explanation.decision.threshold == sample_answerer.min_confidence
        if answer.confident:
            best = explanation.spans[0]
            assert (best.article_id, best.start, best.end) == (
                answer.quotes[0].article_id, answer.quotes[0].start, answer.quotes[0].end
            )
        data = json.loads(json.dumps(explanation.as_json()))
        assert data["candidates"] and set(data["features"]) >= {"margin", "lexical"}
        assert data["confident"] == answer.confident


def test_a_quote_names_the_other_sources_holding_its_text(tmp_path: Path) -> None:
    """The same text in two files is one article: its quotes show the first file's title and
    name the other (`other_sources`, in `ask --json` too), for every adapter to show."""
    folder = tmp_path / "docs"
    folder.mkdir()
    body = (
        "The harbour ferry now crosses to the island in nine minutes. The new engines were "
        "fitted in the spring of 2023. The ferry carries two hundred passengers on every "
        "crossing.\n"
    )
    for name in ("a.md", "b.md"):
        (folder / name).write_text(f"# Harbour ferry\n\n{body}", encoding="utf-8")
    settings = make_settings(tmp_path, embedding_model=MODEL_NAME)
    store = ArticleStore(
        settings, embeddings=HashEmbeddings(), bilingual_embeddings=HashEmbeddings()
    )
    ingest_paths([folder], store, show_progress=False)
    answer = Answerer(settings, store=store).ask("How many passengers does the ferry carry?")
    assert answer.confident and answer.quotes
    assert {(q.source, q.other_sources) for q in answer.quotes} == {
        (str(folder / "a.md"), (str(folder / "b.md"),))
    }
    [shown] = json.loads(json.dumps(answer.as_json(), ensure_ascii=False))["quotes"][:1]
    assert shown["other_sources"] == [str(folder / "b.md")]
