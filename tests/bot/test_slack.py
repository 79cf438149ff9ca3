"""The Slack adapter over HTTP: real slack_bolt/slack_sdk code against a local fake Slack."""

from __future__ import annotations

import hmac
import json
import logging
import re
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.feedback import FeedbackStore
from bot.slack.history import REPLIES_LIMIT
from bot.slack_render import FEEDBACK_DOWN, FEEDBACK_UP, SHARE, unescape
from retrieval.models import Answer, Turn
from tests.support.answers import StubAnswerer, make_quote
from tests.support.fake_slack import (
    BOT_USER,
    SECRET,
    FakeSlack,
    HttpBot,
    button_click,
    event_body,
    mention,
    message,
    signed_headers,
    slash_command,
    start_http_bot,
    wait_until,
)

TS = "1700000000.000100"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack().start()
    yield slack
    slack.stop()


@pytest.fixture
async def bot(fake: FakeSlack, tmp_path: Path) -> AsyncIterator[HttpBot]:
    running = await start_http_bot(fake, tmp_path)
    yield running
    await running.runner.cleanup()


async def _start(fake: FakeSlack, tmp_path: Path, **kwargs: Any) -> HttpBot:
    return await start_http_bot(fake, tmp_path, **kwargs)


def _texts(blocks: list[dict[str, Any]]) -> list[str]:
    out = []
    for block in blocks:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements", []):
            if element.get("type") == "mrkdwn":
                out.append(element["text"])
    return out


def _buttons(blocks: list[dict[str, Any]]) -> dict[str, str]:
    return {
        e["action_id"]: e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]
    }


async def test_mention_is_answered_in_its_thread_with_quote_and_link(bot: HttpBot) -> None:
    status, body = await bot.post(event_body(mention(f"<@{BOT_USER}> Who said what?", ts=TS)))
    assert (status, body) == (200, "")

    posted = await wait_until(bot.fake.posted)
    assert posted, "no answer was posted"
    answer = posted[0]
    assert answer["channel"] == "C1" and answer["thread_ts"] == TS
    texts = _texts(answer["blocks"])
    assert "> Brockman said compute is the bottleneck." in texts
    assert any("<https://example.com/a|An article> · 2025-08-16" in t for t in texts)
    assert any("Searched 14 sources" in t for t in texts)
    assert set(_buttons(answer["blocks"])) == {FEEDBACK_UP, FEEDBACK_DOWN}
    assert "About Who said what?:" in answer["text"]  # the plain-text fallback
    assert bot.answerer.asked == [("Who said what?", (), None)]
    reaction = {"channel": "C1", "timestamp": TS, "name": "hourglass_flowing_sand"}
    assert await wait_until(lambda: bot.fake.called("reactions.remove"))
    for method in ("reactions.add", "reactions.remove"):
        calls = bot.fake.called(method)
        assert len(calls) == 1 and reaction.items() <= calls[0].items()
    methods = [m for m, _, _ in bot.fake.calls]
    assert (
        methods.index("reactions.add")
        < methods.index("chat.postMessage")
        < methods.index("reactions.remove")
    )


async def test_a_mention_asks_with_the_markup_read_as_words_not_ids(bot: HttpBot) -> None:
    """Slack writes users, user groups and channels as ids when it has no label for them:
    the question names what they are (`@user`, `@group`, `#channel`), never the id."""
    text = (f"<@{BOT_USER}> did <@U777> or <!subteam^S123> post in <#C456|> or <#C457> "
            "about <mailto:ops@example.com> and <#C9|general>?")
    await bot.post(event_body(mention(text, ts=TS)))
    assert await wait_until(lambda: bot.answerer.asked)
    assert bot.answerer.asked == [(
        "did @user or @group post in #channel or #channel about ops@example.com and #general?",
        (), None)]


async def test_bad_signatures_get_401_and_no_answer(bot: HttpBot) -> None:
    event = event_body(mention(f"<@{BOT_USER}> hello?", ts=TS))
    assert (await bot.post(event, tamper=True))[0] == 401
    assert (await bot.post(event, secret="wrong-secret"))[0] == 401
    assert (await bot.post(event, ts=1_600_000_000))[0] == 401  # replayed: years old
    # Bolt answers 401 before anything is scheduled, so nothing can still be on its way
    assert bot.answerer.asked == []
    assert bot.fake.posted() == []


async def _post_raw(bot: HttpBot, raw: bytes, headers: dict[str, str]) -> tuple[int, str]:
    import aiohttp

    async with (
        aiohttp.ClientSession() as session,
        session.post(bot.url, data=raw, headers=headers) as response,
    ):
        return response.status, await response.text()


_MALFORMED = {
    "not JSON": (b"{not json", "application/json"),
    "a JSON array": (b"[1, 2, 3]", "application/json"),
    "a JSON string": (b'"hello"', "application/json"),
    "not UTF-8": (b'{"type": "\xff\xfe"}', "application/json"),
    "a form payload that is an array": (b"payload=%5B1%5D", "application/x-www-form-urlencoded"),
}


@pytest.mark.parametrize("kind", list(_MALFORMED))
async def test_a_malformed_body_is_401_unsigned_and_400_signed_with_one_log_line(
    bot: HttpBot, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    raw, content_type = _MALFORMED[kind]
    signed = signed_headers("", content_type=content_type)
    stamp = signed["X-Slack-Request-Timestamp"].encode()
    # Signed over the raw bytes, as Slack does (slack_sdk's verifier only takes UTF-8).
    digest = hmac.new(SECRET.encode(), b"v0:" + stamp + b":" + raw, "sha256").hexdigest()
    signed["X-Slack-Signature"] = f"v0={digest}"
    with caplog.at_level(logging.INFO):
        unsigned = await _post_raw(bot, raw, {"Content-Type": content_type})
        stamp_not_a_number = await _post_raw(
            bot, raw, {**signed, "X-Slack-Request-Timestamp": "soon"}
        )
        assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
        status, _ = await _post_raw(bot, raw, signed)

    assert unsigned[0] == 401 and stamp_not_a_number[0] == 401
    assert status == 400
    (line,) = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert line.levelno == logging.WARNING and "malformed body" in line.getMessage()
    assert line.exc_info is None
    assert bot.answerer.asked == [] and bot.fake.posted() == []


async def test_url_verification_challenge(bot: HttpBot) -> None:
    status, body = await bot.post({"token": "x", "challenge": "c-123", "type": "url_verification"})
    assert status == 200 and json.loads(body) == {"challenge": "c-123"}


async def test_retry_of_an_event_being_handled_gives_no_second_answer(
    fake: FakeSlack, tmp_path: Path
) -> None:
    gate = threading.Event()

    def slow(question: str, history: Sequence[Turn]) -> Answer:
        gate.wait(10)
        return Answer(question, "Slow answer", True, [make_quote("A quote.")], "slow1", 3)

    bot = await _start(fake, tmp_path, answerer=StubAnswerer(reply=slow))
    try:
        event = event_body(mention(f"<@{BOT_USER}> slow?", ts=TS), event_id="EvSLOW")
        assert (await bot.post(event))[0] == 200
        assert await wait_until(lambda: bot.answerer.asked)
        for attempt in ("1", "2"):  # Slack's retries while the first is still being answered
            status, _ = await bot.post(
                event,
                headers={"X-Slack-Retry-Num": attempt, "X-Slack-Retry-Reason": "http_timeout"},
            )
            assert status == 200
        gate.set()
        assert await wait_until(lambda: len(fake.posted()) == 1)
        # a later, different question is still answered, and only it
        await bot.post(event_body(mention(f"<@{BOT_USER}> next?", ts="1700000000.000900")))
        assert await wait_until(lambda: len(fake.posted()) == 2)
        assert [q for q, _, _ in bot.answerer.asked] == ["slow?", "next?"]
    finally:
        gate.set()
        await bot.runner.cleanup()


async def test_untrusted_quote_and_title_cannot_ping_or_link(
    fake: FakeSlack, tmp_path: Path
) -> None:
    nasty = "<!channel> <!here> hi <@U999> see <#C123|general> A&B <https://evil.example|click>"

    def reply(question: str, history: Sequence[Turn]) -> Answer:
        bad = make_quote(
            nasty, title="<!everyone> Title > <@U1>", url="https://example.com/?a=1&b=<2>|x"
        )
        return Answer(question, "Answer <!here>", True, [bad], "esc1", 1)

    bot = await _start(fake, tmp_path, answerer=StubAnswerer(reply=reply))
    try:
        await bot.post(event_body(mention(f"<@{BOT_USER}> nasty?", ts=TS)))
        posted = await wait_until(fake.posted)
        assert posted
        sent = json.dumps(posted[0]["blocks"]) + posted[0]["text"]
        for raw in (
            "<!channel>",
            "<!here>",
            "<!everyone>",
            "<@U999>",
            "<@U1>",
            "<#C123",
            "<https://evil",
        ):
            assert raw not in sent
        texts = _texts(posted[0]["blocks"])
        assert (
            "> &lt;!channel&gt; &lt;!here&gt; hi &lt;@U999&gt; see &lt;#C123|general&gt; "
            "A&amp;B &lt;https://evil.example|click&gt;"
        ) in texts
        assert unescape(texts[2][2:]) == nasty  # still the verbatim quote once unescaped
        assert texts[1].startswith(
            "<https://example.com/?a=1&amp;b=%3C2%3E%7Cx|&lt;!everyone&gt; Title &gt; &lt;@U1&gt;>"
        )
        assert texts[3] == "[1] <https://example.com/?a=1&amp;b=%3C2%3E%7Cx|open at this quote>"
        quote_blocks = [b for b in posted[0]["blocks"] if b["type"] == "section"]
        assert all(b["text"]["verbatim"] is True for b in quote_blocks)
    finally:
        await bot.runner.cleanup()


async def test_thread_follow_up_passes_the_earlier_question(bot: HttpBot) -> None:
    fake = bot.fake
    fake.add_message("C1", TS, f"<@{BOT_USER}> Who turned down Zuckerberg?", user="U123")
    await bot.post(event_body(mention(f"<@{BOT_USER}> Who turned down Zuckerberg?", ts=TS)))
    assert await wait_until(lambda: len(fake.posted()) == 1)

    follow_ts = "1700000500.000100"
    fake.add_message("C1", follow_ts, "How much was offered?", user="U123", thread_ts=TS)
    await bot.post(event_body(message("How much was offered?", ts=follow_ts, thread_ts=TS)))
    assert await wait_until(lambda: len(fake.posted()) == 2)

    question, history, _ = bot.answerer.asked[1]
    assert question == "How much was offered?"
    assert history[0] == Turn("user", "Who turned down Zuckerberg?")
    assert history[1].role == "assistant" and "About Who turned down Zuckerberg?" in history[1].text
    assert fake.posted()[1]["thread_ts"] == TS


async def test_a_follow_up_in_a_long_thread_is_read_with_its_latest_turns(
    fake: FakeSlack, tmp_path: Path
) -> None:
    # A thread longer than a page before citebot was asked, then its answer: a bot started
    # afterwards (a restart, another replica) knows the thread only from Slack, which gives
    # it a page at a time, oldest first. The first page alone holds no answer of citebot's.
    for n in range(REPLIES_LIMIT + 50):
        fake.add_message("C1", f"1700000{n:03d}.000200", f"chat {n}", user="U7", thread_ts=TS)
    fake.add_message("C1", "1700000900.000100", f"<@{BOT_USER}> Who turned down Zuckerberg?",
                     user="U123", thread_ts=TS)
    fake.add_message("C1", "1700000901.000100", "About Who turned down Zuckerberg?:",
                     user=BOT_USER, bot_id="BBOT", thread_ts=TS)
    follow_ts = "1700000950.000100"
    fake.add_message("C1", follow_ts, "How much was offered?", user="U123", thread_ts=TS)
    bot = await _start(fake, tmp_path)
    try:
        await bot.post(event_body(message("How much was offered?", ts=follow_ts, thread_ts=TS)))
        assert await wait_until(fake.posted), "the follow-up was not answered"
    finally:
        await bot.runner.cleanup()
    question, history, _ = bot.answerer.asked[0]
    assert question == "How much was offered?"
    assert history[-2:] == (
        Turn("user", "Who turned down Zuckerberg?"),
        Turn("assistant", *_said("About Who turned down Zuckerberg?:")),
    )


def _said(text: str) -> tuple[str, tuple[str, ...]]:
    """An answer's turn as the thread gives it back: its text, which also holds what it showed
    (a request for more must not quote that again)."""
    return text, (text,)


async def test_an_answer_split_over_several_messages_is_one_turn_of_the_thread(
    fake: FakeSlack, tmp_path: Path
) -> None:
    """A long answer is posted as several messages; a follow-up reads them as the one answer
    they are, so they do not crowd the thread's earlier questions out of the turns it carries."""
    long_text = "".join(f"Sentence {n} says A&B <c>. " for n in range(1500))

    def reply(question: str, history: Sequence[Turn]) -> Answer:
        text = long_text if question == "Where did he study?" else f"About {question}:"
        return Answer(question, text, True, [make_quote("short")], f"a{len(history)}", 9)

    bot = await _start(fake, tmp_path, answerer=StubAnswerer(reply=reply))
    try:
        fake.add_message("C1", TS, f"<@{BOT_USER}> Who founded Harrowgate?", user="U123")
        await bot.post(event_body(mention(f"<@{BOT_USER}> Who founded Harrowgate?", ts=TS)))
        # each answer is posted whole (all its messages) before its reaction is removed
        assert await wait_until(lambda: len(fake.called("reactions.remove")) == 1)
        for n, text in enumerate(["Where did he study?", "And when?"], 1):
            ts = fake.next_ts()  # after the answers posted so far, as Slack's would be
            fake.add_message("C1", ts, text, user="U123", thread_ts=TS)
            await bot.post(event_body(message(text, ts=ts, thread_ts=TS)))
            assert await wait_until(lambda n=n: len(fake.called("reactions.remove")) == n + 1)
    finally:
        await bot.runner.cleanup()
    assert len(fake.posted()) == 1 + 4 + 1  # the long answer took four messages
    question, history, _ = bot.answerer.asked[2]
    assert question == "And when?"
    assert [(turn.role, turn.text[:30]) for turn in history] == [
        ("user", "Who founded Harrowgate?"),
        ("assistant", "About Who founded Harrowgate?:"),
        ("user", "Where did he study?"),
        ("assistant", "Sentence 0 says A&B <c>. Sente"),
    ]


async def test_messages_elsewhere_are_left_alone(bot: HttpBot) -> None:
    fake = bot.fake
    # a thread citebot never answered in, and a plain top-level message
    fake.add_message("C1", TS, "people chatting", user="U7")
    fake.add_message("C1", "1700000001.000500", "more chatting", user="U8", thread_ts=TS)
    await bot.post(event_body(message("more chatting", ts="1700000001.000500", thread_ts=TS)))
    await bot.post(event_body(message("a top-level message", ts="1700000002.000100")))
    from_a_bot = mention(f"<@{BOT_USER}> bots talking", ts="1700000002.000500")
    from_a_bot["bot_id"] = "BOTHER"
    await bot.post(event_body(from_a_bot))
    # a mention afterwards is answered: the earlier events were already dealt with
    await bot.post(event_body(mention(f"<@{BOT_USER}> real question", ts="1700000003.000100")))
    assert await wait_until(lambda: bot.fake.posted())
    assert [q for q, _, _ in bot.answerer.asked] == ["real question"]


async def test_answer_channel_gets_every_top_level_message_once(
    fake: FakeSlack, tmp_path: Path
) -> None:
    bot = await _start(
        fake, tmp_path, slack_answer_channels="CASK", channel_collections="CASK=docs"
    )
    try:
        await bot.post(event_body(message("What is new?", ts=TS, channel="CASK")))
        # the same message mentioning the bot arrives as message + app_mention: one answer
        ts2 = "1700000009.000100"
        text = f"<@{BOT_USER}> And this?"
        await bot.post(event_body(message(text, ts=ts2, channel="CASK")))
        await bot.post(event_body(mention(text, ts=ts2, channel="CASK")))
        assert await wait_until(lambda: len(fake.posted()) == 2)
        await bot.post(event_body(mention(f"<@{BOT_USER}> sentinel", ts="1700000010.000100")))
        assert await wait_until(lambda: len(fake.posted()) == 3)
        assert bot.answerer.asked == [
            ("What is new?", (), "docs"),
            ("And this?", (), "docs"),
            ("sentinel", (), None),
        ]
        assert [p["thread_ts"] for p in fake.posted()[:2]] == [TS, ts2]
    finally:
        await bot.runner.cleanup()


async def test_direct_message_is_answered_in_the_dm_with_recent_history(bot: HttpBot) -> None:
    fake = bot.fake
    fake.add_message("D1", "1700000000.000100", "Who is Greg Brockman?", user="U123")
    fake.add_message(
        "D1", "1700000001.000100", "He co-founded OpenAI.", user=BOT_USER, bot_id="BBOT"
    )
    fake.add_message("D1", "1700000060.000100", "What did he say?", user="U123")
    await bot.post(
        event_body(
            message("What did he say?", ts="1700000060.000100", channel="D1", channel_type="im")
        )
    )
    posted = await wait_until(fake.posted)
    assert posted and posted[0]["channel"] == "D1" and "thread_ts" not in posted[0]
    question, history, _ = bot.answerer.asked[0]
    assert question == "What did he say?"
    assert history == (
        Turn("user", "Who is Greg Brockman?"),
        Turn("assistant", *_said("He co-founded OpenAI.")),
    )


async def test_a_dms_history_reads_an_answer_split_over_several_messages_as_one_turn(
    bot: HttpBot,
) -> None:
    """A DM's recent messages are read back by count: an answer's four messages must not use
    up the turns its earlier question and answer should take."""
    fake = bot.fake
    fake.add_message("D1", "1700000000.000100", "Who founded Harrowgate?", user="U123")
    fake.add_message("D1", "1700000001.000100", "Anne Harrow.", user=BOT_USER, bot_id="BBOT")
    fake.add_message("D1", "1700000010.000100", "Where did he study?", user="U123")
    parts = [f"Part {n} of a long answer." for n in range(1, 5)]
    for n, part in enumerate(parts):
        fake.add_message("D1", f"170000001{n + 1}.000100", part, user=BOT_USER, bot_id="BBOT")
    fake.add_message("D1", "1700000060.000100", "And when?", user="U123")
    await bot.post(
        event_body(message("And when?", ts="1700000060.000100", channel="D1", channel_type="im"))
    )
    assert await wait_until(fake.posted)
    question, history, _ = bot.answerer.asked[0]
    assert question == "And when?"
    assert history == (
        Turn("user", "Who founded Harrowgate?"),
        Turn("assistant", *_said("Anne Harrow.")),
        Turn("user", "Where did he study?"),
        Turn("assistant", *_said("\n\n".join(parts))),  # its parts' text is one turn's
    )


async def test_empty_mention_gets_help(bot: HttpBot) -> None:
    await bot.post(event_body(mention(f"<@{BOT_USER}>  ", ts=TS)))
    posted = await wait_until(bot.fake.posted)
    assert posted and posted[0]["thread_ts"] == TS
    assert "/citebot sources" in posted[0]["text"]
    assert bot.answerer.asked == []


@pytest.mark.parametrize(
    ("words", "line"),
    [("帮助", "问我读过的文章：<@UBOT> _你的问题_"), ("幫助？", "問我讀過的文章：<@UBOT> _你的問題_"),
     ("怎么用", "问我读过的文章：<@UBOT> _你的问题_"),
     ("help", "Ask me about the articles I have read: <@UBOT> _your question_")],
    ids=["simplified", "traditional", "how-to", "english"],
)
async def test_a_mention_asking_for_help_gets_it_in_its_words(
    bot: HttpBot, words: str, line: str
) -> None:
    """Help has no question to take the language from: the words that asked for it give it,
    after a mention as after `/citebot`."""
    await bot.post(event_body(mention(f"<@{BOT_USER}> {words}", ts=TS)))
    posted = await wait_until(bot.fake.posted)
    assert posted and posted[0]["thread_ts"] == TS
    assert posted[0]["text"].startswith(line)
    await bot.post(slash_command(words, bot.fake.response_url("h")))
    usage = await wait_until(lambda: [b for h, b in bot.fake.responses if h == "h"])
    assert usage and usage[0]["text"].startswith(line)
    assert bot.answerer.asked == []


async def test_feedback_click_is_recorded_and_acknowledged(bot: HttpBot) -> None:
    await bot.post(event_body(mention(f"<@{BOT_USER}> Was it useful?", ts=TS)))
    posted = await wait_until(bot.fake.posted)
    assert posted
    value = _buttons(posted[0]["blocks"])[FEEDBACK_UP]

    status, _ = await bot.post(button_click(FEEDBACK_UP, value, user="U42", thread_ts=TS))
    assert status == 200
    thanks = await wait_until(lambda: bot.fake.called("chat.postEphemeral"))
    assert thanks and thanks[0]["user"] == "U42" and thanks[0]["thread_ts"] == TS
    assert thanks[0]["text"] == "Thanks! Your 👍 is recorded."
    records = FeedbackStore(bot.settings.feedback_db).all()
    assert [(r.platform, r.answer_id, r.question, r.user_id, r.vote) for r in records] == [
        ("slack", "ans1", "Was it useful?", "U42", "up")
    ]

    await bot.post(button_click(FEEDBACK_DOWN, value, user="U42", thread_ts=TS))
    assert await wait_until(lambda: len(bot.fake.called("chat.postEphemeral")) == 2)
    assert [r.vote for r in FeedbackStore(bot.settings.feedback_db).all()] == ["down"]


@pytest.mark.parametrize(
    ("question", "thanks", "sorry"),
    [("灯塔由谁守护？", "谢谢！你的 👎 已记录。", "抱歉，没能记录你的反馈。"),
     ("燈塔由誰守護？", "謝謝！你的 👎 已記錄。", "抱歉，沒能記錄你的反饋。")],
    ids=["simplified", "traditional"],
)
async def test_a_click_under_an_answer_to_a_chinese_question_is_answered_in_its_script(
    bot: HttpBot, question: str, thanks: str, sorry: str
) -> None:
    """The reply to 👍/👎 is in the language and script of the question the answer was to
    (the button carries it), recorded or not."""
    await bot.post(event_body(mention(f"<@{BOT_USER}> {question}", ts=TS)))
    posted = await wait_until(bot.fake.posted)
    assert posted
    value = _buttons(posted[0]["blocks"])[FEEDBACK_DOWN]

    await bot.post(button_click(FEEDBACK_DOWN, value, user="U42", thread_ts=TS))
    replies = await wait_until(lambda: bot.fake.called("chat.postEphemeral"))
    assert replies and replies[0]["text"] == thanks
    assert [r.question for r in FeedbackStore(bot.settings.feedback_db).all()] == [question]

    # The feedback file cannot be opened any more: the vote is not recorded.
    bot.settings.feedback_db.unlink()
    bot.settings.feedback_db.mkdir()
    await bot.post(button_click(FEEDBACK_UP, value, user="U42", thread_ts=TS))
    replies = await wait_until(lambda: bot.fake.called("chat.postEphemeral")[1:])
    assert replies and replies[0]["text"] == sorry


async def test_fast_asker_is_rate_limited_politely(fake: FakeSlack, tmp_path: Path) -> None:
    bot = await _start(fake, tmp_path, rate_limit_per_minute=2)
    try:
        for n in range(3):
            await bot.post(event_body(mention(f"<@{BOT_USER}> q{n}", ts=f"17000000{n:02d}.000100")))
        notice = await wait_until(lambda: fake.called("chat.postEphemeral"))
        assert notice and notice[0]["user"] == "U123"
        assert "wait" in notice[0]["text"] and notice[0]["thread_ts"] == "1700000002.000100"
        await bot.post(
            event_body(mention(f"<@{BOT_USER}> mine", ts="1700000099.000100", user="U9"))
        )
        assert await wait_until(lambda: len(fake.posted()) == 3)
        assert sorted(q for q, _, _ in bot.answerer.asked) == ["mine", "q0", "q1"]
    finally:
        await bot.runner.cleanup()


async def test_a_chinese_asker_is_rate_limited_in_the_questions_script(
    fake: FakeSlack, tmp_path: Path
) -> None:
    bot = await _start(fake, tmp_path, rate_limit_per_minute=1)
    try:
        await bot.post(event_body(mention(f"<@{BOT_USER}> 灯塔有多高？", ts="1700000001.000100")))
        await bot.post(event_body(mention(f"<@{BOT_USER}> 燈塔由誰守護？", ts="1700000002.000100")))
        notice = await wait_until(lambda: fake.called("chat.postEphemeral"))
        assert notice and notice[0]["thread_ts"] == "1700000002.000100"
        assert re.fullmatch(r"你在過去一分鐘裡已經問了 1 個問題，請等 \d+ 秒再問。", notice[0]["text"])

        slash = fake.response_url("h1")
        await bot.post(slash_command("灯塔由谁守护？", slash))
        refused = await wait_until(lambda: [b for h, b in fake.responses if h == "h1"])
        assert refused
        assert re.fullmatch(r"你在过去一分钟里已经问了 1 个问题，请等 \d+ 秒再问。", refused[0]["text"])
    finally:
        await bot.runner.cleanup()


async def test_slash_command_answers_ephemerally_and_lists_sources(bot: HttpBot) -> None:
    from ingest.store import ArticleRecord

    fake = bot.fake
    status, _ = await bot.post(slash_command("what is new?", fake.response_url("h1")))
    assert status == 200
    reply = await wait_until(lambda: [b for h, b in fake.responses if h == "h1"])
    assert reply and reply[0]["response_type"] == "ephemeral"
    assert "> Brockman said compute is the bottleneck." in _texts(reply[0]["blocks"])
    assert set(_buttons(reply[0]["blocks"])) == {FEEDBACK_UP, FEEDBACK_DOWN, SHARE}
    assert bot.answerer.asked[0][0] == "what is new?"

    bot.answerer.records = [
        ArticleRecord(
            "a1", "OpenAI <!here> news", "https://example.com/1", "2025-08-16", "a.txt", "k", 3
        ),
        ArticleRecord("a2", "Local notes", None, None, "notes/b.md", "k2", 1),
    ]
    await bot.post(slash_command("sources", fake.response_url("h2")))
    listing = await wait_until(lambda: [b for h, b in fake.responses if h == "h2"])
    assert listing
    text = "\n".join(_texts(listing[0]["blocks"]))
    assert "2 articles" in text
    assert "<https://example.com/1|OpenAI &lt;!here&gt; news> · 2025-08-16" in text
    assert "*Local notes* · `b.md`" in text  # the file's name, not where it is on the server

    await bot.post(slash_command("", fake.response_url("h3")))
    usage = await wait_until(lambda: [b for h, b in fake.responses if h == "h3"])
    assert usage and "/citebot sources" in usage[0]["text"]
    assert len(bot.answerer.asked) == 1


async def test_slash_sources_with_the_store_down_says_the_store_cannot_be_reached(
    fake: FakeSlack, tmp_path: Path
) -> None:
    """It said "something went wrong while answering", though nothing was asked."""
    from ingest.store import StoreUnavailable

    bot = await _start(fake, tmp_path, answerer=StubAnswerer(fail=StoreUnavailable("refused")))
    try:
        await bot.post(slash_command("sources", fake.response_url("h1")))
        reply = await wait_until(lambda: [b for h, b in fake.responses if h == "h1"])
        assert reply and reply[0]["response_type"] == "ephemeral"
        assert "can't reach the article store" in reply[0]["text"], reply[0]["text"]
    finally:
        await bot.runner.cleanup()


async def test_slash_sources_that_fail_for_a_reason_not_the_stores_say_the_log_has_it(
    fake: FakeSlack, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Any failure was called "can't reach the article store"; a bug is logged, not blamed."""
    bug = KeyError("source_key")
    bot = await _start(fake, tmp_path, answerer=StubAnswerer(fail=bug))
    try:
        await bot.post(slash_command("sources", fake.response_url("h1")))
        reply = await wait_until(lambda: [b for h, b in fake.responses if h == "h1"])
        assert reply and reply[0]["response_type"] == "ephemeral"
        assert reply[0]["text"] == "Sorry, listing the articles failed. The bot's log says why."
        assert any(r.exc_info and r.exc_info[1] is bug for r in caplog.records)
    finally:
        await bot.runner.cleanup()


async def test_ephemeral_mode_with_share_in_channel(fake: FakeSlack, tmp_path: Path) -> None:
    bot = await _start(fake, tmp_path, slack_ephemeral=True)
    try:
        await bot.post(event_body(mention(f"<@{BOT_USER}> only for me?", ts=TS)))
        private = await wait_until(lambda: fake.called("chat.postEphemeral"))
        assert private and private[0]["user"] == "U123" and private[0]["thread_ts"] == TS
        assert fake.posted() == []
        share = _buttons(private[0]["blocks"])[SHARE]

        # someone else's click does not share it
        await bot.post(button_click(SHARE, share, user="U666", response_url=fake.response_url("x")))
        assert await wait_until(lambda: len(fake.called("chat.postEphemeral")) == 2)
        assert fake.posted() == []

        await bot.post(button_click(SHARE, share, user="U123", response_url=fake.response_url("s")))
        public = await wait_until(fake.posted)
        assert public and public[0]["thread_ts"] == TS
        assert "> Brockman said compute is the bottleneck." in _texts(public[0]["blocks"])
        assert any("shared by <@U123>" in t for t in _texts(public[0]["blocks"]))
        assert SHARE not in _buttons(public[0]["blocks"])
        deleted = await wait_until(lambda: [b for h, b in fake.responses if h == "s"])
        assert deleted and deleted[0]["delete_original"] is True
    finally:
        await bot.runner.cleanup()


async def test_sharing_an_answer_to_a_chinese_question_is_refused_in_its_script(
    bot: HttpBot,
) -> None:
    """Sharing where citebot was not invited, and by someone else than the asker."""
    fake = bot.fake
    fake.not_in.add("C9")
    await bot.post(slash_command("燈塔由誰守護？", fake.response_url("h1"), channel="C9"))
    answer = await wait_until(lambda: [b for h, b in fake.responses if h == "h1"])
    assert answer
    share = _buttons(answer[0]["blocks"])[SHARE]

    await bot.post(button_click(SHARE, share, channel="C9", response_url=fake.response_url("s")))
    note = await wait_until(lambda: [b for h, b in fake.responses if h == "s"])
    assert note and note[0]["text"] == "我無法在這個頻道發消息，請先邀請我（`/invite @citebot`）。"
    assert "C9" not in fake.messages  # refused, not posted

    await bot.post(
        button_click(SHARE, share, user="U666", channel="C9", response_url=fake.response_url("x"))
    )
    note = await wait_until(lambda: [b for h, b in fake.responses if h == "x"])
    assert note and note[0]["text"] == "這個回答已經無法分享，請重新提問。"


async def test_an_expired_answer_is_refused_in_its_questions_script(
    fake: FakeSlack, tmp_path: Path
) -> None:
    """The "share in channel" button carries the question: once citebot has forgotten the
    answer (here: restarted), the note is still in the question's script."""
    bot = await _start(fake, tmp_path)
    try:
        await bot.post(slash_command("燈塔由誰守護？", fake.response_url("h1")))
        answer = await wait_until(lambda: [b for h, b in fake.responses if h == "h1"])
        assert answer
        share = _buttons(answer[0]["blocks"])[SHARE]
    finally:
        await bot.runner.cleanup()
    restarted = await _start(fake, tmp_path)
    try:
        await restarted.post(button_click(SHARE, share, response_url=fake.response_url("s")))
        notes = await wait_until(lambda: fake.called("chat.postEphemeral"))
        assert notes and notes[0]["text"] == "這個回答已經無法分享，請重新提問。"
        # A button from before the question was carried (the bare answer id): English.
        await restarted.post(button_click(SHARE, "ans1", response_url=fake.response_url("o")))
        notes = await wait_until(lambda: fake.called("chat.postEphemeral")[1:])
        assert notes and notes[0]["text"] == "That answer can no longer be shared; please ask again."
        assert fake.posted() == []
    finally:
        await restarted.runner.cleanup()


async def test_very_long_answer_is_split_within_slack_limits(
    fake: FakeSlack, tmp_path: Path
) -> None:
    long_text = "".join(f"Sentence {n} says A&B <c>. " for n in range(1500))  # ~45k chars
    long_quote = "第一句很长。" * 1200

    def reply(question: str, history: Sequence[Turn]) -> Answer:
        return Answer(question, long_text, True, [make_quote(long_quote), make_quote("short")], "long1", 9)

    bot = await _start(fake, tmp_path, answerer=StubAnswerer(reply=reply))
    try:
        await bot.post(event_body(mention(f"<@{BOT_USER}> long?", ts=TS)))
        # the reaction is removed once every part is posted
        assert await wait_until(lambda: fake.called("reactions.remove"))
        posted = fake.posted()
        assert len(posted) >= 2
        assert all(p["thread_ts"] == TS for p in posted)
        for part in posted:
            assert len(part["blocks"]) <= 50
            assert all(len(t) <= 3000 for t in _texts(part["blocks"]))
        # every refusal would have shown up as a plain-text retry without blocks
        assert all(p.get("blocks") for p in posted)
        everything = "".join(_texts([b for p in posted for b in p["blocks"]]))
        assert "Sentence 0 says A&amp;B &lt;c&gt;." in everything
        assert "trimmed" in everything
        assert set(_buttons(posted[-1]["blocks"])) == {FEEDBACK_UP, FEEDBACK_DOWN}
    finally:
        await bot.runner.cleanup()


async def test_store_down_gives_an_apology_in_the_thread(
    fake: FakeSlack, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def down(question: str, history: Sequence[Turn]) -> Answer:
        return Answer(
            question,
            "Sorry, I can't search the articles right now.",
            False,
            answer_id="err1",
            error="StoreUnavailable: connection refused",
        )

    bot = await _start(fake, tmp_path, answerer=StubAnswerer(reply=down))
    try:
        with caplog.at_level(logging.INFO):
            await bot.post(event_body(mention(f"<@{BOT_USER}> anyone?", ts=TS)))
            posted = await wait_until(fake.posted)
        assert posted and posted[0]["thread_ts"] == TS
        assert "can't search the articles right now" in posted[0]["text"]
        assert _buttons(posted[0]["blocks"]) == {}
        assert "answer err1 failed: StoreUnavailable: connection refused" in caplog.text
    finally:
        await bot.runner.cleanup()


@pytest.mark.parametrize(
    ("question", "apology"),
    [("How tall is the lighthouse?",
      "Sorry, something went wrong while answering. Please try again in a moment."),
     ("灯塔有多高？", "抱歉，回答时出了问题，请稍后再试。"),
     ("燈塔有多高？", "抱歉，回答時出了問題，請稍後再試。")],
    ids=["english", "simplified", "traditional"],
)
async def test_a_crash_after_answering_gives_an_apology_in_the_questions_script(
    bot: HttpBot,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    question: str,
    apology: str,
) -> None:
    """The message handler's own fallback, when the answer was made but could not be posted."""
    import bot.slack.listeners as listeners

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("rendering broke")

    monkeypatch.setattr(listeners, "render_answer", broken)
    with caplog.at_level(logging.INFO):
        await bot.post(event_body(mention(f"<@{BOT_USER}> {question}", ts=TS)))
        posted = await wait_until(bot.fake.posted)
    assert posted and posted[0]["thread_ts"] == TS
    assert posted[0]["text"] == apology
    assert "RuntimeError: rendering broke" in caplog.text
    assert bot.answerer.asked == [(question, (), None)]


async def test_crashing_chain_gives_an_apology_and_a_logged_traceback(
    fake: FakeSlack, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await _start(fake, tmp_path, answerer=StubAnswerer(fail=RuntimeError("the chain broke")))
    try:
        with caplog.at_level(logging.INFO):
            await bot.post(event_body(mention(f"<@{BOT_USER}> boom?", ts=TS)))
            posted = await wait_until(fake.posted)
        assert posted and posted[0]["thread_ts"] == TS
        assert posted[0]["text"].startswith("Sorry, something went wrong")
        assert "RuntimeError: the chain broke" in caplog.text
        assert "xoxb-test" not in caplog.text
    finally:
        await bot.runner.cleanup()
