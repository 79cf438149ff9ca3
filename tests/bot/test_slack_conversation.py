"""The conversation rule in a Slack thread: the real chain behind the real Slack adapter.

Slack keeps the conversation (the thread, re-read with `conversations.replies`); the rule
that decides whether a reply is read with it is retrieval's, the same as the console's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fake_slack import (
    BOT_USER,
    FakeSlack,
    event_body,
    mention,
    message,
    start_http_bot,
    wait_until,
)
from tests.support.recording import RecordingAnswerer

ROOT = "1700000000.000100"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack().start()
    yield slack
    slack.stop()


def _quotes(answer) -> list[tuple[str, str]]:
    return [(q.article_id, q.text) for q in answer.quotes]


@pytest.mark.slow
async def test_a_thread_follow_up_uses_the_thread_and_a_new_topic_does_not(
    fake: FakeSlack, tmp_path: Path, conversation_answerer
) -> None:
    answerer = RecordingAnswerer(conversation_answerer)
    bot = await start_http_bot(fake, tmp_path, answerer=answerer)  # type: ignore[arg-type]
    try:
        first = "Who did Tesla partner with in 1886?"
        fake.add_message("C1", ROOT, f"<@{BOT_USER}> {first}", user="U123")
        await bot.post(event_body(mention(f"<@{BOT_USER}> {first}", ts=ROOT)))
        assert await wait_until(lambda: len(fake.posted()) == 1, timeout=120)

        for n, text in enumerate(["When did he die?", "What sports are Kenyans active in?"], 2):
            ts = f"170000{n}000.000100"
            fake.add_message("C1", ts, text, user="U123", thread_ts=ROOT)
            await bot.post(event_body(message(text, ts=ts, thread_ts=ROOT)))
            assert await wait_until(lambda n=n: len(fake.posted()) == n, timeout=120)
    finally:
        await bot.runner.cleanup()

    (_, _, first_answer), (q2, history2, follow_up), (q3, history3, new_topic) = answerer.answers
    assert q2 == "When did he die?" and history2[0].text == first
    assert any("7 January 1943" in q.text for q in follow_up.quotes)
    assert "7 January 1943" in str(fake.posted()[1]["blocks"])
    # what the first answer showed is read back with it: a request for more quotes others
    assert history2[1].role == "assistant" and first_answer.quotes
    assert all(quote.text in history2[1].quoted[0] for quote in first_answer.quotes)
    assert len(history3) >= 4  # the whole thread was passed on ...
    # ... and the rule answered the new topic exactly as it answers it alone.
    assert _quotes(new_topic) == _quotes(conversation_answerer.ask(q3)) and new_topic.quotes
    assert new_topic.notes == []
