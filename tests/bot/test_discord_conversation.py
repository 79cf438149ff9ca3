"""The conversation rule in a Discord reply chain: the real chain behind the real adapter.

Discord keeps the conversation (the chain of replies, read back from its API); the rule that
decides whether a reply is read with it is retrieval's, the same as the console's and Slack's.
"""

from __future__ import annotations

import pytest

from tests.bot.test_discord import StartBot, fake, start_bot, until  # noqa: F401 (fixtures)
from tests.support.fake_discord import BOT_USER, FakeDiscord, embed_text, guild_message
from tests.support.recording import RecordingAnswerer


def _quotes(answer) -> list[tuple[str, str]]:
    return [(q.article_id, q.text) for q in answer.quotes]


@pytest.mark.slow
async def test_a_reply_follow_up_uses_the_chain_and_a_new_topic_does_not(
    fake: FakeDiscord, start_bot: StartBot, conversation_answerer  # noqa: F811
) -> None:
    answerer = RecordingAnswerer(conversation_answerer)
    await start_bot(answerer)
    first = "Who did Tesla partner with in 1886?"
    await fake.dispatch("MESSAGE_CREATE", guild_message(
        f"<@{BOT_USER['id']}> {first}", message_id="1800000000000000001", mentions=[BOT_USER]))
    assert await until(lambda: len(fake.channel_messages()) >= 1, timeout=120)

    for n, text in enumerate(["When did he die?", "What sports are Kenyans active in?"], 2):
        answer_message = fake.messages[-1]  # each question replies to the latest answer
        await fake.dispatch("MESSAGE_CREATE", guild_message(
            text, message_id=f"180000000000000000{n}", reply_to=answer_message["id"]))
        assert await until(lambda n=n: len(fake.channel_messages()) >= n, timeout=120)

    (_, _, first_answer), (q2, history2, follow_up), (q3, history3, new_topic) = answerer.answers
    assert q2 == "When did he die?" and history2[0].text == first
    assert any("7 January 1943" in q.text for q in follow_up.quotes)
    assert "7 January 1943" in embed_text(fake.channel_messages()[1])
    # what the first answer showed is read back with it: a request for more quotes others
    assert history2[1].role == "assistant" and first_answer.quotes
    assert all(quote.text in history2[1].quoted[0] for quote in first_answer.quotes)
    assert len(history3) >= 4  # the whole reply chain was passed on ...
    # ... and the rule answered the new topic exactly as it answers it alone.
    assert _quotes(new_topic) == _quotes(conversation_answerer.ask(q3)) and new_topic.quotes
    assert new_topic.notes == []
