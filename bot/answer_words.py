"""citebot's own words around an answer, in the question's language and script.

Retrieval words an answer's lead line, apologies and notes in the question's language, a
Chinese question's in its own script (`ingest.text.is_chinese`, `in_script_of`). The words
the adapters add around the quotes — each quote's link, a document's page, an untitled
article, the `also …` of a heading, the "searched N sources" line, the Slack buttons — and
what they say to the asker around an answer — the rate-limit refusal, where citebot answers,
the replies to a click on 👍/👎 or "share in channel" (in the language of the question the
answer was to) — follow the same rule, here, so a Chinese question gets no English of
citebot's own.
Titles, quotes, file names, links and ids stay as they are: they fill a wording's `{fields}`
after its script is chosen, so they are never converted.

Without a question the adapter says whose language to use (`worded_as` a `Voice`): Discord
follows the user's client language (`interaction.locale`: `/help`, `/sources`, `/ingest`),
Slack's help follows the words that asked for it ("帮助"). Otherwise it is English.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from ingest.text import Language, in_script, is_chinese, is_traditional

# Each wording: English, and Chinese written in Simplified (a Traditional question gets it in
# Traditional).
Wording = Mapping[Language, str]
# The language and script of citebot's words: English, or Chinese in Simplified or Traditional.
Voice = Literal["en", "zh-hans", "zh-hant"]

QUOTE_LINK: Wording = {"en": "open at this quote", "zh": "打开原文此处"}
UNTITLED: Wording = {"en": "untitled", "zh": "无标题"}
# A document's page (`label` is `Quote.page_label`, "p. 2"), and a quote's file with it.
PAGE: Wording = {"en": "{label}", "zh": "第 {page} 页"}
LOCATION: Wording = {"en": "{name}, {page}", "zh": "{name}，{page}"}
# The `also …` of a heading: the names, joined, then "and N more" past the names shown.
ALSO: Wording = {"en": "also {names}", "zh": "另见 {names}"}
ALSO_SEPARATOR: Wording = {"en": ", ", "zh": "、"}
ALSO_MORE: Wording = {"en": " and {more} more", "zh": " 及另外 {more} 个"}
# The line under an answer (`sources` is "14 sources", `count` 14), and Discord's answer id.
SEARCHED: Wording = {"en": "Searched {sources}", "zh": "已检索 {count} 个来源"}
ANSWER_ID: Wording = {"en": "answer {id}", "zh": "回答编号 {id}"}
SHARED_BY: Wording = {"en": "shared by {user}", "zh": "由 {user} 分享"}
HELPFUL: Wording = {"en": "👍 Helpful", "zh": "👍 有帮助"}
NOT_HELPFUL: Wording = {"en": "👎 Not helpful", "zh": "👎 没有帮助"}
SHARE_IN_CHANNEL: Wording = {"en": "Share in channel", "zh": "分享到频道"}
SLACK_TRIMMED: Wording = {
    "en": "…(the rest of this answer was too long for Slack and was trimmed)",
    "zh": "…（这个回答的其余部分对 Slack 来说太长，已截去）",
}
# The reply to a 👍/👎 click, recorded (`vote` is the emoji) or not: Slack's, then Discord's.
FEEDBACK_RECORDED: Wording = {
    "en": "Thanks! Your {vote} is recorded.",
    "zh": "谢谢！你的 {vote} 已记录。",
}
FEEDBACK_NOT_RECORDED: Wording = {
    "en": "Sorry, I could not record your feedback.",
    "zh": "抱歉，没能记录你的反馈。",
}
FEEDBACK_THANKS: Wording = {"en": "Thanks for the feedback!", "zh": "谢谢你的反馈！"}
FEEDBACK_FAILED: Wording = {
    "en": "Sorry, I couldn't record that. Please try again later.",
    "zh": "抱歉，没能记录你的反馈，请稍后再试。",
}
# The refusal of a question asked too often (`asked` is "2 questions", `count` 2; `wait` in s).
RATE_LIMITED: Wording = {
    "en": "You've asked {asked} in the last minute. Please wait {wait} s and ask again.",
    "zh": "你在过去一分钟里已经问了 {count} 个问题，请等 {wait} 秒再问。",
}
# Discord's refusal of a question asked outside DISCORD_ALLOWED_CHANNELS (`channels` joined
# with ALSO_SEPARATOR).
ONLY_IN_CHANNELS: Wording = {"en": "I only answer in {channels}.", "zh": "我只在 {channels} 回答问题。"}
# Slack's "share in channel", refused to another user, or when citebot may not post there.
NOT_SHAREABLE: Wording = {
    "en": "That answer can no longer be shared; please ask again.",
    "zh": "这个回答已经无法分享，请重新提问。",
}
CANNOT_POST: Wording = {
    "en": "I could not post in this channel. Invite me first (`/invite @citebot`).",
    "zh": "我无法在这个频道发消息，请先邀请我（`/invite @citebot`）。",
}


# The apology when the store cannot be reached where no answer is being given (`/sources`,
# `/ingest`; chosen by `bot.core.failure_text`); a question's own is retrieval's
# (`retrieval.answerer.ERROR_TEXT`).
STORE_UNREACHABLE: Wording = {
    "en": "Sorry, I can't reach the article store right now. Please try again in a moment.",
    "zh": "抱歉，现在无法连接文章库，请稍后再试。",
}
# Discord's `/ingest` when adding failed for a reason that is not the store's (a bug): the
# admin is told it failed and where the reason is, never the traceback.
INGEST_FAILED: Wording = {
    "en": "Sorry, adding that article failed. The bot's log says why.",
    "zh": "抱歉，添加这篇文章失败了，原因已记录在机器人的日志中。",
}
# Discord's `/ingest` report of what was added: `summary` is `IngestReport.summary()`, the
# CLI's English wording; the Chinese one is made of the same counts. Why an input was skipped
# comes from the ingest package and stays English.
INGEST_ADDED: Wording = {
    "en": "Added {summary}.",
    "zh": "已添加 {articles} 篇文章：新增 {added} 个片段，{unchanged} 个未变，删除 {removed} 个。",
}
# `/sources` (Discord, and Slack's `/citebot sources`) when listing failed for a reason that is
# not the store's.
SOURCES_FAILED: Wording = {
    "en": "Sorry, listing the articles failed. The bot's log says why.",
    "zh": "抱歉，列出文章失败了，原因已记录在机器人的日志中。",
}
# Slack's help (a bare mention, "help", `/citebot`): `mention` is how to address citebot.
SLACK_HELP: Wording = {
    "en": "Ask me about the articles I have read: {mention} _your question_ "
    "(in a channel I answer in a thread; reply there to follow up: "
    "_Why?_, _Tell me more_, _What about the second one?_). "
    "I answer with verbatim quotes and a link to each source. "
    "`/citebot your question` answers just for you, `/citebot sources` lists the articles.",
    "zh": "问我读过的文章：{mention} _你的问题_"
    "（在频道里我在话题中回答；在那里回复即可追问："
    "_为什么？_、_能详细说说吗？_、_第二个呢？_）。"
    "我用原文引语回答，并附上每个来源的链接。"
    "`/citebot 你的问题` 只回答给你一个人看，`/citebot sources` 列出所有文章。",
}
# Discord's `/help` (and a mention or `/ask` with nothing to ask).
DISCORD_HELP: Wording = {
    "en": """**citebot** answers questions from the ingested articles with verbatim quotes and links.

`/ask question:<text>` — ask a question; the answer quotes its sources, each with a link and date.
`/sources` — list the ingested articles.
`/ingest url:<url>` or `/ingest file:<.txt/.md/.html/.pdf/.docx>` — add an article (admins only).
`/help` — this message.

You can also mention me with a question, and reply to one of my answers to ask a follow-up ("Why?", "Tell me more", "What about the second one?").
Rate 👍 or 👎 under an answer to tell us whether it helped.""",
    "zh": """**citebot** 用已导入文章的原文引语回答问题，并附上链接。

`/ask question:<问题>` — 提问；回答会引用来源，每条都附链接和日期。
`/sources` — 列出已导入的文章。
`/ingest url:<网址>` 或 `/ingest file:<.txt/.md/.html/.pdf/.docx>` — 添加文章（仅限管理员）。
`/help` — 显示这条消息。

你也可以提到我并提问，或回复我的某个回答来追问（“为什么？”、“能详细说说吗？”、“第二个呢？”）。
在回答下点 👍 或 👎，告诉我们它有没有帮助。""",
}
# Discord's `/sources` page: its title, its footer (`articles` is "25 articles", `count` 25),
# the page of an empty store, and the ◀/▶ buttons.
SOURCES_TITLE: Wording = {"en": "Sources in {collection}", "zh": "{collection} 的来源"}
SOURCES_FOOTER: Wording = {
    "en": "Page {page}/{pages} · {articles}",
    "zh": "第 {page}/{pages} 页 · 共 {count} 篇文章",
}
NO_SOURCES: Wording = {
    "en": "Nothing has been ingested yet. Admins can add articles with `/ingest`.",
    "zh": "还没有导入任何文章。管理员可以用 `/ingest` 添加文章。",
}
PREVIOUS_PAGE: Wording = {"en": "◀ Previous", "zh": "◀ 上一页"}
NEXT_PAGE: Wording = {"en": "Next ▶", "zh": "下一页 ▶"}
# Discord's `/ingest`, refused (`role` is DISCORD_ADMIN_ROLE) or given the wrong options. The
# ingest package's own words (a file's problem, the report of what was added) stay English.
ADMINS_ONLY: Wording = {
    "en": "Sorry, only members with the Manage Server permission can add articles.",
    "zh": "抱歉，只有拥有“管理服务器”权限的成员才能添加文章。",
}
ROLE_OR_ADMINS_ONLY: Wording = {
    "en": "Sorry, only members with the `{role}` role or the Manage Server permission can add "
    "articles.",
    "zh": "抱歉，只有拥有 `{role}` 角色或“管理服务器”权限的成员才能添加文章。",
}
URL_OR_FILE: Wording = {
    "en": "Give either `url:` or `file:` (a .txt, .md, .html, .pdf or .docx file).",
    "zh": "请给出 `url:` 或 `file:` 其中之一（.txt、.md、.html、.pdf 或 .docx 文件）。",
}
NOT_A_URL: Wording = {
    "en": "That doesn't look like an http(s) URL.",
    "zh": "这看起来不是 http(s) 网址。",
}


def voice_of(question: str) -> Voice:
    """The language and script of `question` (English without a question)."""
    if not is_chinese(question):
        return "en"
    return "zh-hant" if is_traditional(question) else "zh-hans"


def worded(question: str, wording: Wording, /, **values: object) -> str:
    """`wording` in `question`'s language and script, its `{fields}` filled from `values`
    (as they are: a title or a file name is never converted). English without a question."""
    return worded_as(voice_of(question), wording, **values)


def worded_as(voice: Voice, wording: Wording, /, **values: object) -> str:
    """`wording` in `voice`, its `{fields}` filled from `values` (as they are)."""
    if voice == "en":
        return wording["en"].format(**values)
    return in_script(wording["zh"], traditional=voice == "zh-hant").format(**values)
