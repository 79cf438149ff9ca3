"""citebot's own words around an answer follow the question's language and script in every
adapter (console, Slack, Discord); what the articles say, and English answers, stay as they are."""

from __future__ import annotations

import re

import pytest
import zhconv

from bot import answer_words, console, core, discord_render, slack_render
from retrieval.models import Answer, Quote
from retrieval.steps import extractive_lead
from tests.support.answers import StubAnswerer

ARTICLE = "https://example.com/lighthouse"
COPIES = ("/srv/articles/c.md", "/srv/articles/d.md", "https://example.org/copy",
          "/srv/articles/e.md")
QUOTES = [
    Quote(text="灯塔由港务局的两名守护人轮流值守。", title="灯塔的守护人",
          url=f"{ARTICLE}#:~:text=%E7%81%AF%E5%A1%94", published="2024-05-01",
          source=ARTICLE, article_id="a", start=0, end=17, score=0.9, other_sources=COPIES),
    Quote(text="两艘电动渡轮运行可靠。", title="渡轮年度报告",
          url="https://example.com/ferry.pdf#page=3", published=None,
          source="https://example.com/ferry.pdf", article_id="b", start=0, end=11, score=0.8,
          page=3),
    Quote(text="冷链仓库的扩建工程已经进入收尾阶段。", title="东湾港季度报告", url=None,
          published="2024-10-08", source="/srv/library/harbour-q3.pdf", article_id="c",
          start=0, end=18, score=0.7, page=2),
    Quote(text="潮水在六点涨到最高。", title="", url=None, published=None,
          source="/srv/library/tides.md", article_id="d", start=0, end=10, score=0.6),
]
# What comes from the articles, the store and Slack, not from citebot: removed before looking
# for citebot's own words.
ARTICLE_CONTENT = [
    *(q.text for q in QUOTES), *(q.title for q in QUOTES if q.title), "2024-05-01",
    "2024-10-08", "harbour-q3.pdf", "tides.md", "c.md", "d.md", "e.md", "abc123def456",
    "<@U123>",
]
_URL = re.compile(r"https?://[^\s|>)]+")
SIMPLIFIED = "灯塔由谁守护？"
TRADITIONAL = "燈塔由誰守護？"


def _answer(question: str) -> Answer:
    language = "en" if question.isascii() else "zh"
    return Answer(question, extractive_lead(QUOTES, language, question), True, QUOTES,
                  "abc123def456", 3)


def _console(answer: Answer) -> str:
    return console.render_answer(answer)


def _slack(answer: Answer) -> str:
    """Everything a Slack user sees: blocks, buttons and the notification text, of the answer
    as posted in a thread, as posted for its asker only, and as shared in the channel."""
    texts = []
    for messages in (slack_render.render_answer(answer),
                     slack_render.render_answer(answer, share=True),
                     slack_render.render_answer(answer, shared_by="U123")):
        for message in messages:
            texts.append(message.text)
            for block in message.blocks:
                if "text" in block:
                    texts.append(block["text"]["text"])
                for element in block.get("elements", []):
                    text = element["text"]
                    texts.append(text if isinstance(text, str) else text["text"])
    return "\n".join(texts)


def _discord(answer: Answer) -> str:
    return "\n".join(
        part for message in discord_render.render_answer(answer) for embed in message
        for part in (embed.title, embed.description, embed.footer.text, embed.author.name)
        if part
    )


RENDERERS = pytest.mark.parametrize(
    "render", [_console, _slack, _discord], ids=["console", "slack", "discord"]
)


def _citebots_words(shown: str) -> str:
    """What is left of a rendered answer once the articles' text, titles, dates, files,
    links and ids are taken out: citebot's own words and the layout's marks."""
    shown = _URL.sub(" ", shown)
    for content in sorted(ARTICLE_CONTENT, key=len, reverse=True):
        shown = shown.replace(content, " ")
    return shown


@RENDERERS
@pytest.mark.parametrize(
    ("question", "script"), [(SIMPLIFIED, "zh-hans"), (TRADITIONAL, "zh-hant")],
    ids=["simplified", "traditional"],
)
def test_a_chinese_questions_answer_has_no_english_of_citebots_own(render, question: str,  # noqa: ANN001
                                                                   script: str) -> None:
    """The link to each quote, a document's page, an untitled article, the `also …` of a
    heading, the searched line, the answer id and the Slack buttons are Chinese, in the
    question's script."""
    own = _citebots_words(render(_answer(question)))
    assert not re.search(r"[A-Za-z]", own), own
    assert zhconv.convert(own, script) == own, own  # no character of the other script
    assert any("\u4e00" <= ch <= "\u9fff" for ch in own)


@RENDERERS
def test_an_english_questions_answer_keeps_its_english_words(render) -> None:  # noqa: ANN001
    shown = render(_answer("Who keeps the lighthouse?"))
    assert "harbour-q3.pdf, p. 2" in shown and "untitled" in shown
    assert "also c.md, d.md, https://example.org/copy and 1 more" in shown
    if render is not _console:
        assert "open at this quote" in shown and "Searched 3 sources" in shown
        assert " · p. 3" in shown
    if render is _slack:
        assert "👍 Helpful" in shown and "👎 Not helpful" in shown
        assert "Share in channel" in shown and "shared by <@U123>" in shown
    if render is _discord:
        assert "Searched 3 sources · answer abc123def456" in shown


def test_the_chinese_words_in_each_script() -> None:
    """The words themselves, as a reader of each script sees them."""
    simplified = _discord(_answer(SIMPLIFIED))
    traditional = _discord(_answer(TRADITIONAL))
    assert "已检索 3 个来源 · 回答编号 abc123def456" in simplified
    assert "已檢索 3 個來源 · 回答編號 abc123def456" in traditional
    assert "harbour-q3.pdf，第 2 页" in simplified and "harbour-q3.pdf，第 2 頁" in traditional
    assert "另见 c.md、d.md、https://example.org/copy 及另外 1 个" in simplified
    assert "無標題" in traditional and "打開原文此處" in traditional


@pytest.mark.parametrize(
    ("question", "apology"),
    [(SIMPLIFIED, "抱歉，回答时出了问题，请稍后再试。"),
     (TRADITIONAL, "抱歉，回答時出了問題，請稍後再試。"),
     ("Who keeps the lighthouse?", core.APOLOGY)],
    ids=["simplified", "traditional", "english"],
)
async def test_the_apology_for_a_failed_answer_is_in_the_questions_language(
    question: str, apology: str
) -> None:
    """When answering raised, the adapters show an apology of their own: worded as the
    answerer words its apologies."""
    answer = await core.ask(StubAnswerer(fail=RuntimeError("boom")), question, (), None)
    assert answer.error and answer.text == apology


@pytest.mark.parametrize(
    ("wording", "english", "simplified", "traditional"),
    [(answer_words.FEEDBACK_RECORDED, "Thanks! Your 👍 is recorded.", "谢谢！你的 👍 已记录。",
      "謝謝！你的 👍 已記錄。"),
     (answer_words.FEEDBACK_NOT_RECORDED, "Sorry, I could not record your feedback.",
      "抱歉，没能记录你的反馈。", "抱歉，沒能記錄你的反饋。"),
     (answer_words.FEEDBACK_THANKS, "Thanks for the feedback!", "谢谢你的反馈！", "謝謝你的反饋！"),
     (answer_words.FEEDBACK_FAILED, "Sorry, I couldn't record that. Please try again later.",
      "抱歉，没能记录你的反馈，请稍后再试。", "抱歉，沒能記錄你的反饋，請稍後再試。"),
     (answer_words.ONLY_IN_CHANNELS, "I only answer in <#1>.", "我只在 <#1> 回答问题。",
      "我只在 <#1> 回答問題。"),
     (answer_words.NOT_SHAREABLE, "That answer can no longer be shared; please ask again.",
      "这个回答已经无法分享，请重新提问。", "這個回答已經無法分享，請重新提問。"),
     (answer_words.CANNOT_POST,
      "I could not post in this channel. Invite me first (`/invite @citebot`).",
      "我无法在这个频道发消息，请先邀请我（`/invite @citebot`）。",
      "我無法在這個頻道發消息，請先邀請我（`/invite @citebot`）。")],
    ids=["slack-recorded", "slack-not-recorded", "discord-recorded", "discord-not-recorded",
         "discord-only-in", "slack-not-shareable", "slack-cannot-post"],
)
def test_the_adapters_replies_to_an_asker_follow_the_question(
    wording: answer_words.Wording, english: str, simplified: str, traditional: str
) -> None:
    """Slack's and Discord's replies to 👍/👎, to a click on "share in channel" and to a
    question asked outside the allowed channels: in English as they always were (and
    without a question), else in the script of the question (the one answered, for a click)."""
    values = {"vote": "👍", "channels": "<#1>"}
    assert answer_words.worded("Who keeps the lighthouse?", wording, **values) == english
    assert answer_words.worded("", wording, **values) == english
    assert answer_words.worded(SIMPLIFIED, wording, **values) == simplified
    assert answer_words.worded(TRADITIONAL, wording, **values) == traditional


@pytest.mark.parametrize(
    "wording",
    [answer_words.STORE_UNREACHABLE, answer_words.SLACK_HELP, answer_words.DISCORD_HELP,
     answer_words.SOURCES_TITLE, answer_words.SOURCES_FOOTER, answer_words.NO_SOURCES,
     answer_words.PREVIOUS_PAGE, answer_words.NEXT_PAGE, answer_words.ADMINS_ONLY,
     answer_words.ROLE_OR_ADMINS_ONLY, answer_words.URL_OR_FILE, answer_words.NOT_A_URL,
     answer_words.INGEST_FAILED, answer_words.SOURCES_FAILED, answer_words.INGEST_ADDED],
    ids=["store", "slack-help", "discord-help", "sources-title", "sources-footer",
         "no-sources", "previous", "next", "admins", "role", "url-or-file", "not-a-url",
         "ingest-failed", "sources-failed", "ingest-added"],
)
def test_words_without_a_question_are_worded_in_the_voice_the_adapter_names(
    wording: answer_words.Wording,
) -> None:
    """Where there is no question (Discord's client language, Slack's "帮助"), a `Voice`
    names the language and script: the same words a question in it would get."""
    values = {"mention": "<@U1>", "collection": "docs", "page": 1, "pages": 2,
              "articles": "3 articles", "count": 3, "role": "admins",
              "summary": "1 article: 4 chunks added, 0 unchanged, 0 removed", "added": 4,
              "unchanged": 0, "removed": 0}
    for question, voice in (("", "en"), ("Who?", "en"), (SIMPLIFIED, "zh-hans"),
                            (TRADITIONAL, "zh-hant")):
        assert answer_words.voice_of(question) == voice
        text = answer_words.worded_as(voice, wording, **values)
        assert text == answer_words.worded(question, wording, **values)
    english = answer_words.worded_as("en", wording, **values)
    assert english == wording["en"].format(**values)
    assert not re.search(r"[\u4e00-\u9fff]", english)
    assert answer_words.worded_as("zh-hant", wording, **values) == zhconv.convert(
        answer_words.worded_as("zh-hans", wording, **values), "zh-hant")
