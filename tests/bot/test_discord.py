"""The Discord adapter end to end: a real discord.py client against the local fake Discord.

Each test starts `CitebotDiscord` with `DISCORD_API_URL` pointing at `FakeDiscord`; the
client logs in, finds the gateway through `/gateway/bot`, identifies, syncs its commands
and then gets INTERACTION_CREATE / MESSAGE_CREATE events like in a real guild. A small stub
answerer stands in for retrieval, except in the end-to-end test with the sample store.
"""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import sys
import types
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.discord import APOLOGY, CitebotDiscord, serve_discord
from bot.feedback import FeedbackStore
from bot.health import HealthServer
from ingest.models import IngestReport
from ingest.store import ArticleRecord, StoreUnavailable
from retrieval.models import Answer, Quote, Turn
from tests.support.answers import StubAnswerer, make_answer, make_quote
from tests.support.fake_discord import (
    ADMIN_ROLE_ID,
    ADMIN_ROLE_NAME,
    APP_ID,
    BOT_USER,
    CHANNEL_ID,
    EPHEMERAL,
    GUILD_ID,
    MANAGE_GUILD,
    MEMBER_ROLE_ID,
    OTHER_CHANNEL_ID,
    SEND_MESSAGES,
    FakeDiscord,
    button_click,
    custom_ids,
    embed_text,
    guild_message,
    member,
    slash,
    user,
)
from tests.support.settings import make_settings

TOKEN = "test-token-Mzk4NzY1NDMyMTA5ODc2NTQz.secret"



def _quote(text: str, **fields: Any) -> Quote:
    return make_quote(text, **{"title": "Sample article", "published": "2024-05-01", **fields})


ANSWER = make_answer(
    text="Here is what “Sample article” says:",
    quotes=[
        _quote("The first quoted sentence."),
        _quote("第二段引文。", title="另一篇", url=None, published=None),
    ],
    answer_id="abc123def456",
)


async def until(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll `predicate` until it returns something truthy or the deadline passes."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if value or asyncio.get_running_loop().time() > deadline:
            return value
        await asyncio.sleep(0.01)


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    # The bot points these class attributes at the fake; put Discord's back afterwards.
    monkeypatch.setattr(Route, "BASE", Route.BASE)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", DiscordWebSocket.DEFAULT_GATEWAY)
    server = await FakeDiscord().start()
    yield server
    await server.stop()


StartBot = Callable[..., Awaitable[CitebotDiscord]]


@pytest.fixture
async def start_bot(fake: FakeDiscord, tmp_path: Path) -> AsyncIterator[StartBot]:
    running: list[tuple[CitebotDiscord, asyncio.Task[None]]] = []

    async def start(answerer: Any, **overrides: Any) -> CitebotDiscord:
        values: dict[str, Any] = {"discord_api_url": fake.api_url,
                                  "feedback_db": tmp_path / "feedback.sqlite3"}
        values.update(overrides)
        # guild_ready_timeout: how long discord.py waits for more GUILD_CREATEs (default 2 s).
        bot = CitebotDiscord(make_settings(tmp_path, **values), answerer, guild_ready_timeout=0.05)
        task = asyncio.create_task(bot.start(TOKEN, reconnect=False))
        running.append((bot, task))
        await asyncio.wait_for(bot.wait_until_ready(), 15)
        return bot

    yield start
    for bot, task in running:
        await bot.close()
        await asyncio.wait_for(task, 10)


class _Ids:
    """Fresh interaction ids and tokens per test."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> tuple[str, str]:
        self.n += 1
        return str(1600000000000000000 + self.n), f"itok-{self.n}"


@pytest.fixture
def ids() -> _Ids:
    return _Ids()


async def _ask(fake: FakeDiscord, ids: _Ids, question: str, **kwargs: Any) -> str:
    interaction_id, token = ids()
    await fake.dispatch("INTERACTION_CREATE", slash(
        "ask", [{"name": "question", "type": 3, "value": question}],
        token=token, interaction_id=interaction_id, **kwargs))
    return token


async def _command(fake: FakeDiscord, ids: _Ids, name: str,
                   options: list[dict[str, Any]] | None = None, **kwargs: Any) -> str:
    interaction_id, token = ids()
    await fake.dispatch("INTERACTION_CREATE", slash(
        name, options, token=token, interaction_id=interaction_id, **kwargs))
    return token


def _ephemeral_reply(fake: FakeDiscord, token: str) -> str | None:
    """The content of an immediate ephemeral reply (callback type 4 with flags 64)."""
    for body in fake.callbacks(token):
        data = body.get("data") or {}
        if body["type"] == 4 and data.get("flags", 0) & EPHEMERAL:
            return data["content"]
    return None


# --- start-up ----------------------------------------------------------------------------------


async def test_startup_syncs_commands_to_configured_guilds(fake: FakeDiscord, start_bot: StartBot) -> None:
    await start_bot(StubAnswerer(ANSWER), discord_guild_ids=GUILD_ID)
    assert fake.find("GET", "/gateway/bot"), "the gateway URL must come from the configured API"
    assert fake.identify is not None and fake.identify["token"] == TOKEN
    synced = fake.find("PUT", f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands")
    assert synced and not fake.find("PUT", f"/applications/{APP_ID}/commands")
    commands = {c["name"]: c for c in synced[0][3]}
    assert set(commands) == {"ask", "sources", "ingest", "help"}
    question = commands["ask"]["options"][0]
    assert (question["name"], question["type"], question["required"]) == ("question", 3, True)
    ingest_options = {o["name"]: o["type"] for o in commands["ingest"]["options"]}
    assert ingest_options == {"url": 3, "file": 11}


async def test_startup_syncs_globally_without_guild_ids(fake: FakeDiscord, start_bot: StartBot) -> None:
    await start_bot(StubAnswerer(ANSWER))
    assert fake.find("PUT", f"/applications/{APP_ID}/commands")
    assert not fake.find("PUT", rf"/applications/{APP_ID}/guilds/\d+/commands")


# --- /ask --------------------------------------------------------------------------------------


async def test_ask_defers_then_answers_with_quotes_sources_and_buttons(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids
) -> None:
    answerer = StubAnswerer(ANSWER)
    await start_bot(answerer, channel_collections={CHANNEL_ID: "team-docs"})
    token = await _ask(fake, ids, "What does the article say?")

    followups = await until(lambda: fake.followups(token))
    assert fake.callbacks(token)[0] == {"type": 5}  # deferred, public "thinking…"
    assert len(followups) == 1
    body = followups[0]
    assert body["allowed_mentions"] == {"parse": []}
    text = embed_text(body)
    assert text.startswith("Here is what “Sample article” says:")
    assert "> The first quoted sentence." in text
    assert "[Sample article](https://example.com/a) · 2024-05-01" in text
    assert "\\[1\\] [open at this quote](https://example.com/a)" in text
    assert "> 第二段引文。\n\\[2\\] a.txt" in text and "**另一篇**" in text
    assert body["embeds"][-1]["footer"]["text"] == "Searched 14 sources · answer abc123def456"
    assert custom_ids(body) == ["citebot:fb:up:abc123def456:What does the article say?",
                                "citebot:fb:down:abc123def456:What does the article say?"]
    assert answerer.asked == [("What does the article say?", (), "team-docs")]


async def test_long_answer_is_split_into_messages_discord_accepts(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids
) -> None:
    sentences = [f"Sentence number {i} of a very long quote." for i in range(400)]
    long_quote = " ".join(sentences)  # ~16,000 characters
    answer = replace(ANSWER, text="A long answer. " * 300,
                     quotes=[_quote(long_quote), _quote("Short one.")])
    await start_bot(StubAnswerer(answer))
    token = await _ask(fake, ids, "Tell me everything")

    # The buttons come with the last part, so the answer is complete when they appear.
    await until(lambda: any(custom_ids(b) for b in fake.followups(token)))
    followups = fake.followups(token)
    assert len(followups) >= 2
    assert not [c for c in fake.calls if c[1].endswith("/messages/@original")], "no apology"
    for body in followups:
        assert len(body["embeds"]) <= 10
        assert all(len(e.get("description") or "") <= 4096 for e in body["embeds"])
        total = sum(len(e.get("description") or "") + len((e.get("footer") or {}).get("text", ""))
                    for e in body["embeds"])
        assert total <= 6000
        assert body["allowed_mentions"] == {"parse": []}
    text = "\n".join(embed_text(b) for b in followups)
    for sentence in (sentences[0], sentences[199], sentences[-1], "Short one."):
        assert sentence in text
    assert [bool(custom_ids(b)) for b in followups] == [False] * (len(followups) - 1) + [True]


async def test_fake_rejects_over_limit_messages_like_discord(fake: FakeDiscord) -> None:
    """The splitting test above means something only because the fake is strict."""
    import aiohttp

    fake.issue("5", "tok")  # as if an interaction with this token had just been dispatched
    async with aiohttp.ClientSession() as session:
        for body, accepted in (
            ({"embeds": [{"description": "x" * 4096}]}, True),
            ({"embeds": [{"description": "x" * 4097}]}, False),
            ({"embeds": [{"description": "x" * 3000}, {"description": "y" * 3001}]}, False),
            ({"content": "z" * 2001}, False),
        ):
            url = f"{fake.api_url}/webhooks/{APP_ID}/tok?wait=1"
            async with session.post(url, json=body) as response:
                payload = await response.json(content_type=None)
                if accepted:
                    assert response.status == 200
                else:
                    assert response.status == 400 and payload["code"] == 50035


async def test_mentions_in_a_quote_ping_nobody(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids
) -> None:
    sneaky = (f"Hey @everyone and @here, see <@{BOT_USER['id']}> and <@&{ADMIN_ROLE_ID}>.\n"
              "# not a heading\n[click](https://evil.example) **bold**")
    answer = replace(ANSWER, quotes=[_quote(sneaky, title="T](https://evil.example)")])
    await start_bot(StubAnswerer(answer))
    token = await _ask(fake, ids, "anything")

    body = (await until(lambda: fake.followups(token)))[0]
    assert body["allowed_mentions"] == {"parse": []}
    text = embed_text(body)
    for mention in ("@everyone", "@here", f"<@{BOT_USER['id']}>", f"<@&{ADMIN_ROLE_ID}>"):
        assert mention not in text
    assert "@\u200beveryone" in text and "@\u200bhere" in text
    quote_lines = [line for line in text.splitlines() if "not a heading" in line or "click" in line]
    assert quote_lines == ["> \\# not a heading",
                           "> \\[click\\]\\(https://evil.example%29 \\*\\*bold\\*\\*"]
    # The bare URL in the title is defanged too: nothing can close the link text early.
    assert "[T\\]\\(https://evil.example%29](https://example.com/a)" in text


async def test_rate_limit_refuses_privately(fake: FakeDiscord, start_bot: StartBot, ids: _Ids) -> None:
    answerer = StubAnswerer(ANSWER)
    await start_bot(answerer, rate_limit_per_minute=2)
    tokens = [await _ask(fake, ids, f"question {n}") for n in range(3)]
    refusal = await until(lambda: _ephemeral_reply(fake, tokens[2]))
    assert refusal and "2 questions in the last minute" in refusal
    await until(lambda: all(fake.followups(t) for t in tokens[:2]))
    assert sorted(q for q, _, _ in answerer.asked) == ["question 0", "question 1"]
    assert not fake.followups(tokens[2])
    # Another user is not affected.
    other = await _ask(fake, ids, "question from bob", who=member("1500000000000000009"))
    assert await until(lambda: fake.followups(other))


async def test_a_chinese_asker_is_refused_in_the_questions_script(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids
) -> None:
    """The rate limit (for /ask and a mention) and the allowed channels."""
    await start_bot(StubAnswerer(ANSWER), rate_limit_per_minute=1,
                    discord_allowed_channels=CHANNEL_ID)
    refused = await _ask(fake, ids, "燈塔有多高？", channel_id=OTHER_CHANNEL_ID)
    assert await until(lambda: _ephemeral_reply(fake, refused)) == f"我只在 <#{CHANNEL_ID}> 回答問題。"

    answered = await _ask(fake, ids, "灯塔有多高？")
    assert await until(lambda: fake.followups(answered))
    limited = await _ask(fake, ids, "灯塔由谁守护？")
    refusal = await until(lambda: _ephemeral_reply(fake, limited))
    assert refusal and re.fullmatch(r"你在过去一分钟里已经问了 1 个问题，请等 \d+ 秒再问。", refusal)

    await fake.dispatch("MESSAGE_CREATE", guild_message(
        f"<@{BOT_USER['id']}> 燈塔由誰守護？", message_id="1800000000000000021",
        mentions=[BOT_USER]))
    reply = await until(lambda: fake.channel_messages())
    assert reply and re.fullmatch(r"你在過去一分鐘裡已經問了 1 個問題，請等 \d+ 秒再問。",
                                  reply[0]["content"])


async def test_allowed_channels_restrict_where_the_bot_answers(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids
) -> None:
    answerer = StubAnswerer(ANSWER)
    await start_bot(answerer, discord_allowed_channels=CHANNEL_ID)
    # An English question is refused in English, whatever the client's language.
    token = await _ask(fake, ids, "here?", channel_id=OTHER_CHANNEL_ID, locale="zh-CN")
    refusal = await until(lambda: _ephemeral_reply(fake, token))
    assert refusal == f"I only answer in <#{CHANNEL_ID}>."
    allowed = await _ask(fake, ids, "and here?")
    assert await until(lambda: fake.followups(allowed))
    assert [q for q, _, _ in answerer.asked] == ["and here?"]


# --- errors ------------------------------------------------------------------------------------


async def test_store_down_gives_a_private_apology(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, caplog: pytest.LogCaptureFixture
) -> None:
    down = Answer(question="", text="Sorry, I can't search the articles right now.",
                  confident=False, answer_id="e1", error="cannot reach the Chroma server")
    await start_bot(StubAnswerer(down))
    with caplog.at_level(logging.INFO):
        token = await _ask(fake, ids, "anything")
        followups = await until(lambda: fake.followups(token))
    assert followups[0]["content"] == "Sorry, I can't search the articles right now."
    assert followups[0]["flags"] & EPHEMERAL and not followups[0].get("embeds")
    assert fake.find("DELETE", f"/webhooks/{APP_ID}/{token}/messages/@original")
    assert "cannot reach the Chroma server" in caplog.text  # details in the log
    assert TOKEN not in caplog.text


async def test_exception_while_answering_gives_a_private_apology(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, caplog: pytest.LogCaptureFixture
) -> None:
    await start_bot(StubAnswerer(fail=RuntimeError("boom in the chain")))
    with caplog.at_level(logging.INFO):
        token = await _ask(fake, ids, "anything")
        followups = await until(lambda: fake.followups(token))
    assert followups[0]["content"] == APOLOGY and followups[0]["flags"] & EPHEMERAL
    assert "boom in the chain" in caplog.text and TOKEN not in caplog.text


@pytest.mark.parametrize(
    ("question", "apology"),
    [("灯塔有多高？", "抱歉，回答时出了问题，请稍后再试。"),
     ("燈塔有多高？", "抱歉，回答時出了問題，請稍後再試。"),
     ("How tall is the lighthouse?", APOLOGY)],
    ids=["simplified", "traditional", "english"],
)
async def test_a_command_that_crashes_apologises_in_the_typed_questions_script(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture, question: str, apology: str
) -> None:
    """The command tree's `on_error`: /ask's question is in the interaction's options."""
    import bot.discord.commands as commands

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("sending broke")

    monkeypatch.setattr(commands, "send_answer", broken)
    await start_bot(StubAnswerer(ANSWER))
    with caplog.at_level(logging.INFO):
        token = await _ask(fake, ids, question)
        followups = await until(lambda: fake.followups(token))
    assert followups[0]["content"] == apology and followups[0]["flags"] & EPHEMERAL
    assert fake.find("DELETE", f"/webhooks/{APP_ID}/{token}/messages/@original")
    assert "sending broke" in caplog.text


@pytest.mark.parametrize(
    ("locale", "apology"),
    [("en-US", APOLOGY), ("zh-CN", "抱歉，回答时出了问题，请稍后再试。"),
     ("zh-TW", "抱歉，回答時出了問題，請稍後再試。")],
    ids=["en-US", "zh-CN", "zh-TW"],
)
async def test_a_command_without_a_question_that_crashes_apologises_in_the_clients_language(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, monkeypatch: pytest.MonkeyPatch,
    locale: str, apology: str
) -> None:
    import bot.discord.commands as commands

    async def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("paging broke")

    monkeypatch.setattr(commands, "sources_page", broken)
    await start_bot(StubAnswerer(records=_records(3)))
    token = await _command(fake, ids, "sources", locale=locale)
    followups = await until(lambda: fake.followups(token))
    assert followups[0]["content"] == apology and followups[0]["flags"] & EPHEMERAL


# --- /sources, /help ---------------------------------------------------------------------------


def _records(count: int) -> list[ArticleRecord]:
    return [ArticleRecord(article_id=f"id{n:02d}", title=f"Article {n:02d}",
                          url=f"https://example.com/{n}", published="2024-01-01",
                          source=f"{n}.txt", source_key=f"k{n}", chunks=3)
            for n in range(count)]


async def test_sources_are_paged_with_buttons(fake: FakeDiscord, start_bot: StartBot, ids: _Ids) -> None:
    await start_bot(StubAnswerer(records=_records(25)))
    token = await _command(fake, ids, "sources")
    first = (await until(lambda: fake.followups(token)))[0]
    assert fake.callbacks(token)[0]["data"]["flags"] & EPHEMERAL  # deferred privately
    assert first["flags"] & EPHEMERAL
    embed = first["embeds"][0]
    assert embed["footer"]["text"] == "Page 1/3 · 25 articles"
    assert "[Article 00](https://example.com/0)" in embed["description"]
    assert "Article 10" not in embed["description"]
    assert custom_ids(first) == ["citebot:sources:prev:0", "citebot:sources:next:1"]

    message = fake.messages[-1]
    click_id, click_token = ids()
    await fake.dispatch("INTERACTION_CREATE", button_click(
        "citebot:sources:next:1", message, token=click_token, interaction_id=click_id))
    update = (await until(lambda: fake.callbacks(click_token)))[0]
    assert update["type"] == 7  # the same message, edited
    page = update["data"]["embeds"][0]
    assert page["footer"]["text"] == "Page 2/3 · 25 articles"
    assert "**11.** [Article 10]" in page["description"]
    assert custom_ids(update["data"]) == ["citebot:sources:prev:0", "citebot:sources:next:2"]


async def test_help_is_private(fake: FakeDiscord, start_bot: StartBot, ids: _Ids) -> None:
    await start_bot(StubAnswerer(ANSWER))
    token = await _command(fake, ids, "help")
    text = await until(lambda: _ephemeral_reply(fake, token))
    assert text and "/ask" in text and "/sources" in text and "/ingest" in text


def _labels(message_body: dict[str, Any]) -> list[str]:
    return [c["label"] for row in message_body.get("components") or []
            for c in row.get("components") or []]


@pytest.mark.parametrize(
    ("locale", "help_line", "title", "footers", "labels"),
    [("zh-CN", "`/sources` — 列出已导入的文章。", "team-docs 的来源",
      ["第 1/3 页 · 共 25 篇文章", "第 2/3 页 · 共 25 篇文章"], ["◀ 上一页", "下一页 ▶"]),
     ("zh-TW", "`/sources` — 列出已導入的文章。", "team-docs 的來源",
      ["第 1/3 頁 · 共 25 篇文章", "第 2/3 頁 · 共 25 篇文章"], ["◀ 上一頁", "下一頁 ▶"]),
     ("en-US", "`/sources` — list the ingested articles.", "Sources in team-docs",
      ["Page 1/3 · 25 articles", "Page 2/3 · 25 articles"], ["◀ Previous", "Next ▶"]),
     ("fr", "`/sources` — list the ingested articles.", "Sources in team-docs",
      ["Page 1/3 · 25 articles", "Page 2/3 · 25 articles"], ["◀ Previous", "Next ▶"])],
    ids=["zh-CN", "zh-TW", "en-US", "fr"],
)
async def test_help_and_sources_follow_the_users_client_language(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, locale: str, help_line: str,
    title: str, footers: list[str], labels: list[str]
) -> None:
    """Without a question to take the language from, `/help`, `/sources` and its ◀/▶ follow
    the language of the user's Discord client (the interaction's `locale`): zh-CN Simplified,
    zh-TW Traditional, any other English. The articles' own lines stay as they are."""
    await start_bot(StubAnswerer(records=_records(25)),
                    channel_collections={CHANNEL_ID: "team-docs"})
    token = await _command(fake, ids, "help", locale=locale)
    assert help_line in (await until(lambda: _ephemeral_reply(fake, token)) or "").splitlines()

    token = await _command(fake, ids, "sources", locale=locale)
    first = (await until(lambda: fake.followups(token)))[0]
    embed = first["embeds"][0]
    assert (embed["title"], embed["footer"]["text"]) == (title, footers[0])
    assert "[Article 00](https://example.com/0)" in embed["description"]
    assert _labels(first) == labels

    click_id, click_token = ids()
    await fake.dispatch("INTERACTION_CREATE", button_click(
        "citebot:sources:next:1", fake.messages[-1], token=click_token, interaction_id=click_id,
        locale=locale))
    update = (await until(lambda: fake.callbacks(click_token)))[0]["data"]
    assert update["embeds"][0]["footer"]["text"] == footers[1]
    assert _labels(update) == labels


@pytest.mark.parametrize(
    ("locale", "apology"),
    [("zh-TW", "抱歉，現在無法連接文章庫，請稍後再試。"),
     ("zh-CN", "抱歉，现在无法连接文章库，请稍后再试。"),
     ("en-US", "Sorry, I can't reach the article store right now. Please try again in a moment.")],
    ids=["zh-TW", "zh-CN", "en-US"],
)
async def test_a_store_that_is_down_is_apologised_for_in_the_users_client_language(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, monkeypatch: pytest.MonkeyPatch,
    locale: str, apology: str
) -> None:
    """`/sources`, its ◀/▶ and `/ingest` have no question: the apology follows the client."""
    def ingest_urls(urls: list[str], store: Any, *, allow_private: bool) -> IngestReport:
        raise StoreUnavailable("cannot reach the Chroma server at http://127.0.0.1:9")

    module = types.ModuleType("ingest.web")
    module.ingest_urls = ingest_urls  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ingest.web", module)
    answerer = StubAnswerer(records=_records(25))
    await start_bot(answerer)
    listed = await _command(fake, ids, "sources", locale=locale)
    assert await until(lambda: fake.followups(listed))
    page = fake.messages[-1]
    answerer.fail = httpx.ConnectError("connection refused")  # Chroma's HTTP client's

    token = await _command(fake, ids, "sources", locale=locale)
    assert (await until(lambda: fake.followups(token)))[0]["content"] == apology

    click_id, click_token = ids()
    await fake.dispatch("INTERACTION_CREATE", button_click(
        "citebot:sources:next:1", page, token=click_token, interaction_id=click_id,
        locale=locale))
    assert await until(lambda: _ephemeral_reply(fake, click_token)) == apology

    token = await _command(fake, ids, "ingest", _url_option("https://example.com/post"),
                           who=member(permissions=SEND_MESSAGES | MANAGE_GUILD), locale=locale)
    assert (await until(lambda: fake.followups(token)))[0]["content"] == apology


@pytest.mark.parametrize(
    ("failure", "reply"),
    [(httpx.ConnectError("connection refused"),
      "Sorry, I can't reach the article store right now. Please try again in a moment."),
     (KeyError("title"), "Sorry, adding that article failed. The bot's log says why.")],
    ids=["store-failed-mid-write", "a-bug"],
)
async def test_an_ingest_that_raises_says_whether_the_store_failed(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture, failure: Exception, reply: str
) -> None:
    """Only the store's own failure is called unreachable; a bug is logged, not shown."""
    def ingest_urls(urls: list[str], store: Any, *, allow_private: bool) -> IngestReport:
        raise failure

    module = types.ModuleType("ingest.web")
    module.ingest_urls = ingest_urls  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ingest.web", module)
    await start_bot(StubAnswerer(ANSWER))
    token = await _command(fake, ids, "ingest", _url_option("https://example.com/post"),
                           who=member(permissions=SEND_MESSAGES | MANAGE_GUILD))
    [followup] = await until(lambda: fake.followups(token))
    assert followup["content"] == reply and followup["flags"] & EPHEMERAL
    assert "Traceback" not in followup["content"]
    assert any(r.exc_info and r.exc_info[1] is failure for r in caplog.records)


async def test_sources_that_fail_for_a_reason_not_the_stores_do_not_blame_the_store(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, caplog: pytest.LogCaptureFixture
) -> None:
    """`/sources` and its ▶ called every failure "can't reach the article store"."""
    answerer = StubAnswerer(records=_records(25))
    await start_bot(answerer)
    listed = await _command(fake, ids, "sources")
    assert await until(lambda: fake.followups(listed))
    page = fake.messages[-1]
    bug = KeyError("source_key")
    answerer.fail = bug

    token = await _command(fake, ids, "sources")
    followup = (await until(lambda: fake.followups(token)))[0]
    failed = "Sorry, listing the articles failed. The bot's log says why."
    assert followup["content"] == failed and followup["flags"] & EPHEMERAL
    click_id, click_token = ids()
    await fake.dispatch("INTERACTION_CREATE", button_click(
        "citebot:sources:next:1", page, token=click_token, interaction_id=click_id))
    assert await until(lambda: _ephemeral_reply(fake, click_token)) == failed
    assert sum(1 for r in caplog.records if r.exc_info and r.exc_info[1] is bug) == 2


# --- feedback ----------------------------------------------------------------------------------


async def test_feedback_click_is_recorded(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, tmp_path: Path
) -> None:
    await start_bot(StubAnswerer(ANSWER))
    token = await _ask(fake, ids, "Was this useful?")
    body = (await until(lambda: fake.followups(token)))[0]
    message = next(m for m in fake.messages if m["components"] == body["components"])

    click_id, click_token = ids()
    clicker = member("1500000000000000007")
    await fake.dispatch("INTERACTION_CREATE", button_click(
        custom_ids(body)[1], message, token=click_token, interaction_id=click_id, who=clicker))
    ack = await until(lambda: _ephemeral_reply(fake, click_token))
    assert ack == "Thanks for the feedback!"
    records = FeedbackStore(tmp_path / "feedback.sqlite3").all()
    assert [(r.platform, r.answer_id, r.question, r.user_id, r.vote) for r in records] == [
        ("discord", "abc123def456", "Was this useful?", "1500000000000000007", "down")]


@pytest.mark.parametrize(
    ("question", "thanks", "sorry"),
    [("灯塔由谁守护？", "谢谢你的反馈！", "抱歉，没能记录你的反馈，请稍后再试。"),
     ("燈塔由誰守護？", "謝謝你的反饋！", "抱歉，沒能記錄你的反饋，請稍後再試。")],
    ids=["simplified", "traditional"],
)
async def test_a_click_under_an_answer_to_a_chinese_question_is_answered_in_its_script(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, tmp_path: Path,
    question: str, thanks: str, sorry: str
) -> None:
    """The reply to 👍/👎 is in the language and script of the question the answer was to
    (the button's custom id carries it), recorded or not."""
    await start_bot(StubAnswerer(ANSWER))
    token = await _ask(fake, ids, question)
    body = (await until(lambda: fake.followups(token)))[0]
    message = next(m for m in fake.messages if m["components"] == body["components"])

    click_id, click_token = ids()
    await fake.dispatch("INTERACTION_CREATE", button_click(
        custom_ids(body)[0], message, token=click_token, interaction_id=click_id))
    assert await until(lambda: _ephemeral_reply(fake, click_token)) == thanks
    records = FeedbackStore(tmp_path / "feedback.sqlite3").all()
    assert [(r.question, r.vote) for r in records] == [(question, "up")]

    # The feedback file cannot be opened any more: the vote is not recorded.
    (tmp_path / "feedback.sqlite3").unlink()
    (tmp_path / "feedback.sqlite3").mkdir()
    click_id, click_token = ids()
    await fake.dispatch("INTERACTION_CREATE", button_click(
        custom_ids(body)[1], message, token=click_token, interaction_id=click_id))
    assert await until(lambda: _ephemeral_reply(fake, click_token)) == sorry


async def test_feedback_and_follow_ups_survive_a_restart(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, tmp_path: Path
) -> None:
    """Nothing lives in the process: another client (a restart, a second replica) records a
    click with its question and answers a reply to an earlier answer as a follow-up."""
    first = await start_bot(StubAnswerer(ANSWER))
    token = await _ask(fake, ids, "Who said it?")
    body = (await until(lambda: fake.followups(token)))[0]
    answer_message = next(m for m in fake.messages if m["components"] == body["components"])
    await first.close()

    answerer = StubAnswerer(ANSWER)
    await start_bot(answerer)
    click_id, click_token = ids()
    await fake.dispatch("INTERACTION_CREATE", button_click(
        custom_ids(body)[0], answer_message, token=click_token, interaction_id=click_id))
    assert await until(lambda: _ephemeral_reply(fake, click_token)) == "Thanks for the feedback!"
    records = FeedbackStore(tmp_path / "feedback.sqlite3").all()
    assert [(r.answer_id, r.question, r.vote) for r in records] == [
        ("abc123def456", "Who said it?", "up")]

    # The /ask answer replies to nothing: its question comes from its buttons.
    await fake.dispatch("MESSAGE_CREATE", guild_message(
        "And when?", message_id="1800000000000000011", reply_to=answer_message["id"]))
    assert await until(lambda: answerer.asked)
    assert _plain(answerer.asked) == [
        ("And when?", (Turn("user", "Who said it?"), Turn("assistant", ANSWER.text)), None)]
    # what the answer showed comes with it: a request for more quotes something else
    assert ANSWER.quotes[0].text in answerer.asked[0][1][1].quoted[0]


def _plain(asked: list) -> list:
    """The questions asked, their histories without what each answer showed (`Turn.quoted`)."""
    return [(q, tuple(replace(t, quoted=()) for t in history), x) for q, history, x in asked]


async def test_a_long_chain_of_replies_is_read_back_from_discord(
    fake: FakeDiscord, start_bot: StartBot
) -> None:
    answerer = StubAnswerer(ANSWER)
    await start_bot(answerer)
    await fake.dispatch("MESSAGE_CREATE", guild_message(
        f"<@{BOT_USER['id']}> Q1?", message_id="1800000000000000021", mentions=[BOT_USER]))
    for n in (2, 3, 4):
        await until(lambda n=n: len(fake.channel_messages()) >= n - 1)
        await fake.dispatch("MESSAGE_CREATE", guild_message(
            f"Q{n}?", message_id=f"18000000000000000{20 + n}", reply_to=fake.messages[-1]["id"]))
    await until(lambda: len(fake.channel_messages()) >= 4)
    said = Turn("assistant", ANSWER.text)
    assert [q for q, _, _ in answerer.asked] == ["Q1?", "Q2?", "Q3?", "Q4?"]
    assert _plain(answerer.asked)[1][1] == (Turn("user", "Q1?"), said)
    assert _plain(answerer.asked)[3][1] == (
        Turn("user", "Q1?"), said, Turn("user", "Q2?"), said, Turn("user", "Q3?"), said)
    # Every answer replies to its question, so the chain is there for Discord's users too.
    assert [str(m["message_reference"]["message_id"]) for m in fake.channel_messages()] == [
        f"18000000000000000{20 + n}" for n in (1, 2, 3, 4)]


# An answer in several messages: each quote fills most of a message (6,000 characters).
SPLIT_ANSWER = replace(ANSWER, text="The short answer comes first.", quotes=[
    _quote(f"Quote {n} says: " + "a long passage of the article. " * 120) for n in range(3)])


async def test_a_reply_to_any_part_of_a_split_answer_to_a_mention_reads_the_whole_answer(
    fake: FakeDiscord, start_bot: StartBot
) -> None:
    """The answer's text is in its first message: a reply to the last part (where the
    buttons are) is read with it, as a reply to the first part is."""
    answerer = StubAnswerer(SPLIT_ANSWER)
    await start_bot(answerer)
    await fake.dispatch("MESSAGE_CREATE", guild_message(
        f"<@{BOT_USER['id']}> Q1?", message_id=fake.next_id(), mentions=[BOT_USER]))
    await until(lambda: any(custom_ids(m) for m in fake.channel_messages()))
    parts = [m for m in fake.messages if m.get("message_reference")]
    assert len(parts) >= 3 and not embed_text(parts[-1]).startswith(SPLIT_ANSWER.text)
    # Someone else spoke before the answer's first part: it is found anyway.
    await fake.dispatch("MESSAGE_CREATE", guild_message(
        "unrelated chat", message_id=str(int(parts[0]["id"]) - 1),
        author=user("1500000000000000005")))
    for asked, part in ((2, parts[-1]), (3, parts[0]), (4, parts[1])):
        await fake.dispatch("MESSAGE_CREATE", guild_message(
            "And then?", message_id=fake.next_id(), reply_to=part["id"]))
        assert await until(lambda asked=asked: len(answerer.asked) == asked)
    said = (Turn("user", "Q1?"), Turn("assistant", SPLIT_ANSWER.text))
    assert [history for _, history, _ in _plain(answerer.asked)[1:]] == [said, said, said]
    # What the answer showed is read from its first part and the part replied to.
    shown = [" ".join(history[1].quoted) for _, history, _ in answerer.asked[1:]]
    assert [[f"Quote {n} says" in text for n in range(3)] for text in shown] == [
        [True, False, True], [True, False, False], [True, True, False]]


async def test_a_reply_to_any_part_of_a_split_answer_to_ask_reads_the_whole_answer(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids
) -> None:
    answerer = StubAnswerer(SPLIT_ANSWER)
    await start_bot(answerer)
    token = await _ask(fake, ids, "Tell me everything")
    await until(lambda: any(custom_ids(b) for b in fake.followups(token)))
    parts = list(fake.messages)
    assert len(parts) >= 3 and len(fake.followups(token)) == len(parts)
    # The last part (with the buttons, which carry the question), then the first (the
    # interaction's original response, whose later parts name it).
    for asked, part in ((2, parts[-1]), (3, parts[0])):
        await fake.dispatch("MESSAGE_CREATE", guild_message(
            "And then?", message_id=fake.next_id(), reply_to=part["id"]))
        assert await until(lambda asked=asked: len(answerer.asked) == asked)
    said = (Turn("user", "Tell me everything"), Turn("assistant", SPLIT_ANSWER.text))
    assert [history for _, history, _ in _plain(answerer.asked)[1:]] == [said, said]


def test_feedback_custom_id_fits_discord_with_a_long_question() -> None:
    from bot.discord.buttons import FeedbackButton, feedback_custom_id
    from bot.discord_render import discord_len

    question = "陈信翰为什么拒绝了扎克伯格开出的天价薪酬，这和他后来的选择有什么关系？" * 4
    custom_id = feedback_custom_id("down", "abc123def456", question)
    assert discord_len(custom_id) <= 100 and custom_id.endswith("…")
    assert custom_id.startswith("citebot:fb:down:abc123def456:陈信翰为什么")
    match = FeedbackButton.__discord_ui_compiled_template__.fullmatch(custom_id)
    assert match and match["answer_id"] == "abc123def456"
    # Buttons sent before questions were carried still match (and record no question).
    old = FeedbackButton.__discord_ui_compiled_template__.fullmatch("citebot:fb:up:abc123")
    assert old and old["question"] is None


# --- /ingest -----------------------------------------------------------------------------------


def _url_option(url: str) -> list[dict[str, Any]]:
    return [{"name": "url", "type": 3, "value": url}]


@pytest.fixture
def web_ingest(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """`ingest.web.ingest_urls`, recorded (the real one fetches pages)."""
    calls: list[tuple[Any, ...]] = []

    def ingest_urls(urls: list[str], store: Any, *, allow_private: bool) -> IngestReport:
        calls.append((urls, store, allow_private))
        return IngestReport(articles=1, chunks_added=4)

    module = types.ModuleType("ingest.web")
    module.ingest_urls = ingest_urls  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ingest.web", module)
    return calls


@pytest.mark.parametrize(
    ("locale", "report"),
    [("zh-CN", "已添加 1 篇文章：新增 4 个片段，0 个未变，删除 0 个。"),
     ("zh-TW", "已添加 1 篇文章：新增 4 個片段，0 個未變，刪除 0 個。"),
     ("en-US", "Added 1 article: 4 chunks added, 0 unchanged, 0 removed.")],
    ids=["zh-CN", "zh-TW", "en-US"],
)
async def test_the_ingest_report_is_in_the_users_client_language(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, web_ingest: list[tuple[Any, ...]],
    locale: str, report: str,
) -> None:
    """It was English for every client: `/ingest` has no question to word it by."""
    await start_bot(StubAnswerer())
    token = await _command(fake, ids, "ingest", _url_option("https://example.com/post"),
                           who=member(permissions=SEND_MESSAGES | MANAGE_GUILD), locale=locale)
    [followup] = await until(lambda: fake.followups(token))
    assert followup["content"] == report and followup["flags"] & EPHEMERAL


async def test_ingest_is_refused_for_a_plain_member(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, web_ingest: list[tuple[Any, ...]]
) -> None:
    answerer = StubAnswerer(ANSWER)
    await start_bot(answerer, discord_admin_role=ADMIN_ROLE_NAME)
    token = await _command(fake, ids, "ingest", _url_option("https://example.com/post"),
                           who=member(roles=[MEMBER_ROLE_ID]))
    refusal = await until(lambda: _ephemeral_reply(fake, token))
    assert refusal and f"`{ADMIN_ROLE_NAME}` role" in refusal and "Manage Server" in refusal
    assert web_ingest == [] and answerer.stores == []


async def test_ingest_refusals_follow_the_users_client_language(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, web_ingest: list[tuple[Any, ...]]
) -> None:
    """citebot's own words to `/ingest` (who may add, which option, a URL) follow the client."""
    await start_bot(StubAnswerer(ANSWER), discord_admin_role=ADMIN_ROLE_NAME)
    admin = member(roles=[ADMIN_ROLE_ID])
    replies = {
        "refused": await _command(fake, ids, "ingest", _url_option("https://example.com/post"),
                                  who=member(roles=[MEMBER_ROLE_ID]), locale="zh-TW"),
        "no option": await _command(fake, ids, "ingest", who=admin, locale="zh-TW"),
        "not a URL": await _command(fake, ids, "ingest", _url_option("ftp://example.com/a"),
                                    who=admin, locale="zh-CN"),
    }
    assert await until(lambda: _ephemeral_reply(fake, replies["refused"])) == (
        f"抱歉，只有擁有 `{ADMIN_ROLE_NAME}` 角色或「管理服務器」權限的成員才能添加文章。")
    assert await until(lambda: _ephemeral_reply(fake, replies["no option"])) == (
        "請給出 `url:` 或 `file:` 其中之一（.txt、.md、.html、.pdf 或 .docx 文件）。")
    not_a_url = await until(lambda: fake.followups(replies["not a URL"]))
    assert not_a_url[0]["content"] == "这看起来不是 http(s) 网址。"
    assert web_ingest == []


@pytest.mark.parametrize(
    ("admin_role", "who"),
    [
        (ADMIN_ROLE_NAME, member(roles=[MEMBER_ROLE_ID, ADMIN_ROLE_ID])),
        (ADMIN_ROLE_ID, member(roles=[ADMIN_ROLE_ID])),
        ("", member(permissions=SEND_MESSAGES | MANAGE_GUILD)),
    ],
    ids=["role-name", "role-id", "manage-server"],
)
async def test_ingest_by_url_is_allowed_for_admins(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, web_ingest: list[tuple[Any, ...]],
    admin_role: str, who: dict[str, Any],
) -> None:
    store = object()
    answerer = StubAnswerer(store_object=store)
    await start_bot(answerer, discord_admin_role=admin_role,
                    channel_collections={CHANNEL_ID: "team-docs"})
    token = await _command(fake, ids, "ingest", _url_option("https://example.com/post"), who=who)
    followups = await until(lambda: fake.followups(token))
    assert followups[0]["content"].startswith("Added 1 article: 4 chunks added")
    assert followups[0]["flags"] & EPHEMERAL
    assert web_ingest == [(["https://example.com/post"], store, False)]
    assert answerer.stores == ["team-docs"]


async def test_ingest_permission_is_checked_on_every_call(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, web_ingest: list[tuple[Any, ...]]
) -> None:
    await start_bot(StubAnswerer(ANSWER), discord_admin_role=ADMIN_ROLE_NAME)
    allowed = await _command(fake, ids, "ingest", _url_option("https://example.com/1"),
                             who=member(roles=[ADMIN_ROLE_ID]))
    assert await until(lambda: fake.followups(allowed))
    # The same user without the role (it was taken away) is refused the next time.
    refused = await _command(fake, ids, "ingest", _url_option("https://example.com/2"),
                             who=member(roles=[]))
    assert await until(lambda: _ephemeral_reply(fake, refused))
    assert [urls for urls, _, _ in web_ingest] == [["https://example.com/1"]]


@pytest.mark.parametrize(
    ("filename", "size", "reason"),
    [("tool.exe", 10, "unsupported file type .exe"), ("blank.md", 0, "empty file"),
     ("huge.md", 3_000_000,
      "file too large (3.0 MB; the limit is 2.0 MB, CITEBOT_MAX_FILE_MB=2)")],
)
async def test_an_upload_the_ingest_would_refuse_is_refused_before_downloading(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, filename: str, size: int, reason: str
) -> None:
    answerer = StubAnswerer(ANSWER)
    await start_bot(answerer, max_file_mb=2)
    attachment = {"id": "1700000000000000002", "filename": filename, "size": size,
                  "url": f"{fake.base}/attachments/{filename}",
                  "proxy_url": f"{fake.base}/attachments/{filename}"}
    token = await _command(
        fake, ids, "ingest", [{"name": "file", "type": 11, "value": attachment["id"]}],
        who=member(permissions=SEND_MESSAGES | MANAGE_GUILD),
        resolved={"attachments": {attachment["id"]: attachment}})
    refusal = await until(lambda: _ephemeral_reply(fake, token))
    assert refusal == f"I can't add {filename}: {reason}."  # the ingest package's own words
    assert answerer.stores == []


async def test_ingest_attachment_into_a_real_store(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, tmp_path: Path
) -> None:
    from ingest.store import ArticleStore

    store = ArticleStore(make_settings(tmp_path))
    answerer = StubAnswerer(store_object=store)
    await start_bot(answerer)
    fake.files["note.md"] = (
        "# 测试文章\n\n> link: https://example.com/note\n\n这是一篇用于测试上传的文章。它只有两句话。\n"
    ).encode()
    attachment = {"id": "1700000000000000001", "filename": "note.md",
                  "size": len(fake.files["note.md"]), "url": f"{fake.base}/attachments/note.md",
                  "proxy_url": f"{fake.base}/attachments/note.md", "content_type": "text/markdown"}
    token = await _command(
        fake, ids, "ingest", [{"name": "file", "type": 11, "value": attachment["id"]}],
        who=member(permissions=SEND_MESSAGES | MANAGE_GUILD),
        resolved={"attachments": {attachment["id"]: attachment}})
    followups = await until(lambda: fake.followups(token), timeout=60)
    assert followups[0]["content"].startswith("Added 1 article"), followups
    assert [r.title for r in store.articles()] == ["测试文章"]


@pytest.mark.parametrize(
    ("filename", "reply"),
    [("report.pdf", "Added 1 article"), ("scan.pdf", "no text layer: scanned or image-only PDF")],
)
async def test_ingest_pdf_attachment(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, tmp_path: Path, filename: str, reply: str
) -> None:
    from ingest.store import ArticleStore
    from tests.support.documents import FERRY, make_pdf, make_scanned_pdf
    from tests.support.embeddings import MODEL_NAME, HashEmbeddings

    store = ArticleStore(
        make_settings(tmp_path, embedding_model=MODEL_NAME), embeddings=HashEmbeddings()
    )
    await start_bot(StubAnswerer(ANSWER, store_object=store))
    made = tmp_path / filename
    make_pdf(made, FERRY) if filename == "report.pdf" else make_scanned_pdf(made)
    fake.files[filename] = made.read_bytes()
    attachment = {"id": "1700000000000000002", "filename": filename,
                  "size": len(fake.files[filename]), "url": f"{fake.base}/attachments/{filename}",
                  "proxy_url": f"{fake.base}/attachments/{filename}",
                  "content_type": "application/pdf"}
    token = await _command(
        fake, ids, "ingest", [{"name": "file", "type": 11, "value": attachment["id"]}],
        who=member(permissions=SEND_MESSAGES | MANAGE_GUILD),
        resolved={"attachments": {attachment["id"]: attachment}})
    messages = await until(lambda: fake.followups(token) or _ephemeral_reply(fake, token),
                           timeout=60)
    assert reply in str(messages), messages
    if filename == "report.pdf":
        [record] = store.articles()
        assert (record.title, record.file_format, len(record.pages)) == (
            "Riverside Ferry Annual Review", "pdf", 3)
    else:
        assert store.articles() == []


async def test_ingest_url_through_real_web_ingestion(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, tmp_path: Path
) -> None:
    from ingest.store import ArticleStore

    settings = make_settings(tmp_path, allow_private_urls=True)  # the page is on 127.0.0.1
    store = ArticleStore(settings)
    await start_bot(StubAnswerer(store_object=store), allow_private_urls=True)
    fake.files["tide.html"] = (
        b"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        b"<title>Spring tides in Port Ellis</title></head><body><article>"
        b"<h1>Spring tides in Port Ellis</h1>"
        b"<p>The harbour master said the spring tide on Monday rose 4.2 metres above chart datum.</p>"
        b"<p>Boats were moved to the inner basin two hours before high water as a precaution.</p>"
        b"</article></body></html>"
    )
    token = await _command(fake, ids, "ingest", _url_option(f"{fake.base}/attachments/tide.html"),
                           who=member(permissions=SEND_MESSAGES | MANAGE_GUILD))
    followups = await until(lambda: fake.followups(token), timeout=60)
    assert followups[0]["content"].startswith("Added 1 article"), followups
    assert [r.title for r in store.articles()] == ["Spring tides in Port Ellis"]


# --- mentions and replies ----------------------------------------------------------------------


async def test_mention_answers_and_a_reply_is_a_follow_up(
    fake: FakeDiscord, start_bot: StartBot
) -> None:
    answerer = StubAnswerer(ANSWER)
    await start_bot(answerer)
    await fake.dispatch("MESSAGE_CREATE", guild_message(
        f"<@{BOT_USER['id']}> Who said it?", message_id="1800000000000000001",
        mentions=[BOT_USER]))
    replies = await until(lambda: fake.channel_messages())
    reply = replies[0]
    assert str(reply["message_reference"]["message_id"]) == "1800000000000000001"
    assert reply["allowed_mentions"]["parse"] == []
    assert "> The first quoted sentence." in embed_text(reply)
    answer_message = fake.messages[-1]

    # A reply to the answer (Discord drops the ping when the user turns it off) is a follow-up.
    await fake.dispatch("MESSAGE_CREATE", guild_message(
        "And when?", message_id="1800000000000000002", reply_to=answer_message["id"]))
    await until(lambda: len(fake.channel_messages()) >= 2)
    assert _plain(answerer.asked) == [
        ("Who said it?", (), None),
        ("And when?", (Turn("user", "Who said it?"), Turn("assistant", ANSWER.text)), None),
    ]
    # Messages that neither mention the bot nor reply to it are ignored, and so is a reply
    # whose text Discord withheld (no ping, no Message Content intent).
    await fake.dispatch("MESSAGE_CREATE", guild_message("just chatting",
                                                        message_id="1800000000000000003"))
    await fake.dispatch("MESSAGE_CREATE", guild_message(
        "", message_id="1800000000000000005", reply_to=answer_message["id"]))
    await fake.dispatch("MESSAGE_CREATE", guild_message(
        f"<@{BOT_USER['id']}> last one", message_id="1800000000000000004", mentions=[BOT_USER]))
    await until(lambda: len(answerer.asked) >= 3)
    assert [q for q, _, _ in answerer.asked] == ["Who said it?", "And when?", "last one"]
    def replied_to() -> list[str]:
        return [str(m["message_reference"]["message_id"]) for m in fake.channel_messages()]

    assert await until(lambda: "1800000000000000004" in replied_to())
    assert "1800000000000000005" not in replied_to()  # was handled before the last one


async def test_a_mention_asking_for_help_gets_it_in_its_words(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids
) -> None:
    """A message has no client language: "幫助" / "帮助" / "help" after the mention (or as
    `/ask`'s question) asks for the help, in the script of the words that asked for it."""
    answerer = StubAnswerer(ANSWER)
    await start_bot(answerer)
    for n, words in enumerate(["幫助", "帮助？", "help"], 1):
        await fake.dispatch("MESSAGE_CREATE", guild_message(
            f"<@{BOT_USER['id']}> {words}", message_id=f"180000000000000003{n}",
            mentions=[BOT_USER]))
        assert await until(lambda n=n: len(fake.channel_messages()) >= n)
    helps = [m["content"].splitlines()[2] for m in fake.channel_messages()]
    assert helps == ["`/ask question:<問題>` — 提問；回答會引用來源，每條都附鏈接和日期。",
                     "`/ask question:<问题>` — 提问；回答会引用来源，每条都附链接和日期。",
                     "`/ask question:<text>` — ask a question; the answer quotes its sources, "
                     "each with a link and date."]
    token = await _ask(fake, ids, "怎么用")
    reply = await until(lambda: _ephemeral_reply(fake, token))
    assert reply and "`/sources` — 列出已导入的文章。" in reply
    assert answerer.asked == []


@pytest.mark.parametrize(
    ("server_locale", "help_line"),
    [("zh-TW", "`/sources` — 列出已導入的文章。"), ("zh-CN", "`/sources` — 列出已导入的文章。"),
     ("en-US", "`/sources` — list the ingested articles.")],
)
async def test_a_bare_mention_gets_the_help_in_the_servers_language(
    fake: FakeDiscord, start_bot: StartBot, server_locale: str, help_line: str
) -> None:
    """A message carries no client language, so a mention with nothing to ask got English
    help on a Chinese server; the server's primary language (`preferred_locale`) says more."""
    fake.guild_locale = server_locale
    answerer = StubAnswerer(ANSWER)
    await start_bot(answerer)
    await fake.dispatch("MESSAGE_CREATE", guild_message(
        f"<@{BOT_USER['id']}>", message_id="1800000000000000041", mentions=[BOT_USER]))
    assert await until(lambda: fake.channel_messages())
    assert help_line in fake.channel_messages()[0]["content"].splitlines()
    assert answerer.asked == []


async def test_a_mention_names_roles_channels_users_and_emoji_as_people_read_them(
    fake: FakeDiscord, start_bot: StartBot
) -> None:
    """Discord writes ids (`<@&role>`, `<#channel>`, `<@user>`) and emoji markup in a message:
    the question is asked with the names (the guild's, the message's mentioned users), and
    with what they are (`@role`, `#channel`) when the name is nowhere to be found."""
    answerer = StubAnswerer(ANSWER)
    await start_bot(answerer)
    bob = user("1500000000000000002", "bob")
    await fake.dispatch("MESSAGE_CREATE", guild_message(
        f"<@{BOT_USER['id']}> did <@{bob['id']}> tell <@&{MEMBER_ROLE_ID}> in <#{OTHER_CHANNEL_ID}>"
        " <:wave:789> <a:dance:9> about <@&1300000000000000099> in <#1200000000000000099>?",
        message_id="1800000000000000031", mentions=[BOT_USER, bob]))
    assert await until(lambda: answerer.asked)
    asked = "did @Bob tell @members in #random :wave: :dance: about @role in #channel?"
    assert answerer.asked == [(asked, (), None)]
    # An earlier question in the reply chain is read the same way.
    await until(lambda: fake.channel_messages())
    await fake.dispatch("MESSAGE_CREATE", guild_message(
        "And when?", message_id="1800000000000000032", reply_to=fake.messages[-1]["id"]))
    assert await until(lambda: len(answerer.asked) == 2)
    assert answerer.asked[1][1][0] == Turn("user", asked)


async def test_ask_names_roles_channels_users_and_emoji_as_people_read_them(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids
) -> None:
    answerer = StubAnswerer(ANSWER)
    await start_bot(answerer)
    carol = user("1500000000000000003", "carol")
    token = await _ask(
        fake, ids,
        f"<@{BOT_USER['id']}> did <@{carol['id']}> or <@1500000000000000004> tell "
        f"<@&{ADMIN_ROLE_ID}> in <#{CHANNEL_ID}> on <t:1700000000:D> <a:wave:9>?",
        resolved={"users": {carol["id"]: carol}})
    assert await until(lambda: fake.followups(token))
    assert answerer.asked == [
        ("did @Carol or @user tell @citebot-admins in #general on 2023-11-14 :wave:?", (), None)]
    # A question of nothing but the bot's mention is no question: the help, privately.
    token = await _ask(fake, ids, f"<@{BOT_USER['id']}>")
    assert "/ask" in (await until(lambda: _ephemeral_reply(fake, token)) or "")
    assert len(answerer.asked) == 1


# --- running it --------------------------------------------------------------------------------


def test_serve_without_token_names_the_variable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert serve_discord(make_settings(tmp_path)) == 2
    assert "DISCORD_TOKEN" in capsys.readouterr().err


async def test_serve_with_a_refused_token_exits_2_after_starting_health(
    fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture,
) -> None:
    started: list[tuple[Any, Any]] = []

    def start_health_server(settings: Any, answerer: Any) -> HealthServer:
        started.append((settings, answerer))
        return HealthServer(port=None)

    monkeypatch.setattr("bot.discord.serve.start_health_server", start_health_server)
    fake.reject_token = True
    settings = make_settings(tmp_path, discord_token=TOKEN, discord_api_url=fake.api_url)
    with caplog.at_level(logging.DEBUG):
        code = await asyncio.to_thread(serve_discord, settings)
    assert code == 2
    assert "DISCORD_TOKEN" in capsys.readouterr().err
    assert fake.find("GET", "/users/@me")  # it did talk to the configured API
    assert started and started[0][0] is settings
    assert TOKEN not in caplog.text


def test_serve_against_an_api_that_never_answers_exits_2_after_the_login_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An address that accepts connections and never answers held `serve discord` for
    aiohttp's five minutes (a CI run hit it when another test's server took the "free"
    port). The login is bounded; then it is "cannot reach Discord", exit 2."""
    monkeypatch.setattr("bot.discord.serve.LOGIN_TIMEOUT_S", 0.5)
    monkeypatch.setattr(
        "bot.discord.serve.start_health_server", lambda *_: HealthServer(port=None)
    )
    with socket.socket() as silent:  # listening, never accepting: the handshake completes
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/api/v10"
        settings = make_settings(tmp_path, discord_token=TOKEN, discord_api_url=url)
        assert serve_discord(settings) == 2
    err = capsys.readouterr().err
    assert f"cannot reach Discord at DISCORD_API_URL={url} (TimeoutError)" in err


# --- with the real answer chain ----------------------------------------------------------------


@pytest.mark.slow
async def test_end_to_end_with_the_sample_store(
    fake: FakeDiscord, start_bot: StartBot, ids: _Ids, sample_answerer: Any
) -> None:
    await start_bot(sample_answerer)
    token = await _ask(fake, ids, "陈信翰拒绝了谁开出的天价薪酬？")
    followups = await until(lambda: fake.followups(token), timeout=120)
    assert fake.callbacks(token)[0] == {"type": 5}
    body = followups[0]
    assert body["allowed_mentions"] == {"parse": []}
    quote_lines = [line for line in embed_text(body).splitlines() if line.startswith("> ")]
    assert any("扎克伯格" in line for line in quote_lines)
    # The sample files carry no link: the source is named by title and file name, never by
    # the server's path to it.
    text = embed_text(body)
    assert re.search(r"^\\\[1\\\] [0-9a-f\\_]+\.txt$", text, re.M), text
    assert "examples/articles/" not in text
    # a Chinese question: citebot's own words under the answer are Chinese too
    assert "已检索 14 个来源" in body["embeds"][-1]["footer"]["text"]
