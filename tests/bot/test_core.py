"""`bot.core`: what every adapter does the same way."""

from __future__ import annotations

import logging

import pytest

from bot import core
from bot.ratelimit import RateLimiter
from retrieval.models import Turn
from tests.support.answers import StubAnswerer, make_answer


def test_a_slack_message_becomes_the_plain_question() -> None:
    text = "<@UBOT> what did <@U2|alice> say in <#C9|general> about <https://x.com|this> &amp; AT&amp;T &lt;3"
    assert core.question_from_chat(text, "UBOT") == (
        "what did @alice say in #general about this & AT&T <3"
    )
    assert core.question_from_chat("<@UBOT>   ", "UBOT") == ""
    assert core.question_from_chat("<!here> 问题？", "UBOT") == "@here 问题？"


def test_a_discord_message_loses_the_bots_mention_only() -> None:
    assert core.question_from_chat("<@!42> who is <@7>? <a:wave:9>", "42") == "who is @7? <a:wave:9>"


@pytest.mark.parametrize(
    ("pasted", "question"),
    [
        ("<@U123ABC> who is Greg Brockman?", "who is Greg Brockman?"),
        ("  <@U123ABC|citebot> <@U9> 灯塔守护着什么？", "灯塔守护着什么？"),
        ("what did <@U2|alice> say in <#C9|general>?", "what did @alice say in #general?"),
        ("who is Greg Brockman?", "who is Greg Brockman?"),
    ],
)
def test_without_the_bots_id_leading_mentions_address_the_bot(pasted: str, question: str) -> None:
    """`citebot ask` and `chat` do not know the bot's id: a question pasted from Slack starts
    with the bot's mention, which goes as it would in Slack."""
    assert core.question_from_chat(pasted) == question


async def test_ask_returns_the_answer_and_logs_its_error(caplog: pytest.LogCaptureFixture) -> None:
    failed = make_answer(text="Sorry, I can't search right now.", error="store down")
    with caplog.at_level(logging.INFO):
        answer = await core.ask(StubAnswerer(failed), "q?", (), "docs")
    assert answer.error == "store down" and answer.text == "Sorry, I can't search right now."
    assert "store down" in caplog.text


async def test_a_raising_answerer_gives_an_apology_answer(caplog: pytest.LogCaptureFixture) -> None:
    answerer = StubAnswerer(fail=RuntimeError("boom"))
    with caplog.at_level(logging.INFO):
        answer = await core.ask(answerer, "q?", [Turn("user", "before")], None)
    assert answer.error == "RuntimeError" and answer.text == core.APOLOGY
    assert not answer.quotes and not answer.confident
    assert "boom" in caplog.text  # the traceback is logged, not shown
    assert answerer.asked == [("q?", (Turn("user", "before"),), None)]


def test_the_refusal_rounds_the_wait_up() -> None:
    now = [0.0]
    limiter = RateLimiter(1, clock=lambda: now[0])
    assert core.refusal(limiter, "u1") is None
    now[0] = 58.2  # 1.8 s to wait
    assert core.refusal(limiter, "u1") == (
        "You've asked 1 question in the last minute. Please wait 2 s and ask again."
    )
    now[0] = 59.99  # 0.01 s: still at least 1 s
    assert "wait 1 s" in (core.refusal(limiter, "u1") or "")
    assert core.refusal(limiter, "u2") is None


def test_the_conversation_keeps_the_last_turns() -> None:
    history: list[Turn] = []
    for n in range(5):
        history = core.conversation_after(history, f"q{n}", f"a{n}")
    assert len(history) == core.HISTORY_TURNS
    assert history[0] == Turn("user", "q2") and history[-1] == Turn("assistant", "a4")
