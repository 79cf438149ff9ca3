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
after its script is chosen, so they are never converted. Without a question (the source
lists) the words are English.
"""

from __future__ import annotations

from collections.abc import Mapping

from ingest.text import Language, in_script_of, is_chinese

# Each wording: English, and Chinese written in Simplified (a Traditional question gets it in
# Traditional).
Wording = Mapping[Language, str]

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


def worded(question: str, wording: Wording, /, **values: object) -> str:
    """`wording` in `question`'s language and script, its `{fields}` filled from `values`
    (as they are: a title or a file name is never converted). English without a question."""
    text = in_script_of(question, wording["zh"]) if is_chinese(question) else wording["en"]
    return text.format(**values)
