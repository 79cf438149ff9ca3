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
    # A custom emoji is no link (`a:` is no scheme): it is read as its name, as people read it.
    assert core.question_from_chat("<@!42> who is <@7>? <a:wave:9>", "42") == "who is @user? :wave:"


@pytest.mark.parametrize(
    ("text", "question"),
    [
        # Slack: what a person sees, never an id
        ("in <#C9|general> and <#C8|> or <#C7>?", "in #general and #channel or #channel?"),
        ("ask <!subteam^S1|@editors> or <!subteam^S2>", "ask @editors or @group"),
        ("did <@U2> write to <mailto:a@b.com>?", "did @user write to a@b.com?"),
        ("see <https://x.com/a|the post> or <https://x.com/b>", "see the post or https://x.com/b"),
        # Discord: roles, channels and custom emoji, unnamed here
        ("<@&1300> in <#1200> <:wave:789> <a:dance:9>?", "@role in #channel :wave: :dance:?"),
        # Discord's timestamps as their date (the reader's time zone is unknown: UTC), commands
        ("what happened on <t:1700000000:D>?", "what happened on 2023-11-14?"),
        ("after <t:1700000000> or <t:1700000000:R>?",
         "after 2023-11-14 22:13 UTC or 2023-11-14 22:13 UTC?"),
        ("is </ask:1234> or </citebot sources:9> faster?", "is /ask or /citebot sources faster?"),
    ],
)
def test_chat_markup_is_read_as_a_person_reads_it(text: str, question: str) -> None:
    assert core.question_from_chat(text, "UBOT") == question


def test_names_the_adapter_knows_replace_the_ids() -> None:
    known = {("user", "7"): "Alice", ("role", "13"): "Moderators", ("channel", "12"): "general",
             ("role", "1"): "@everyone"}

    def name_of(kind: core.MentionKind, ident: str) -> str | None:
        return known.get((kind, ident))

    text = "<@42> did <@7> tell <@&13> and <@&1> in <#12> about <#99> and <@&98>?"
    assert core.question_from_chat(text, "42", name_of) == (
        "did @Alice tell @Moderators and @everyone in #general about #channel and @role?"
    )
    # The markup's own label wins: it is what the sender saw.
    assert core.question_from_chat("<@7|bob> <#12|random>", "42", name_of) == "@bob #random"


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
    # In the language and script of the question refused; English without one.
    assert core.refusal(limiter, "u1", "What about it?") == (
        "You've asked 1 question in the last minute. Please wait 1 s and ask again."
    )
    assert core.refusal(limiter, "u1", "灯塔有多高？") == "你在过去一分钟里已经问了 1 个问题，请等 1 秒再问。"
    assert core.refusal(limiter, "u1", "燈塔有多高？") == "你在過去一分鐘裡已經問了 1 個問題，請等 1 秒再問。"


def test_the_conversation_keeps_the_last_turns() -> None:
    history: list[Turn] = []
    for n in range(5):
        history = core.conversation_after(history, f"q{n}", f"a{n}")
    assert len(history) == core.HISTORY_TURNS
    assert history[0] == Turn("user", "q2") and history[-1] == Turn("assistant", "a4")
