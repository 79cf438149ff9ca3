"""What kind of answer a question asks for, and whether a sentence offers one.

"When did the first direct elections take place?" wants a year, "How many nations…" a
number. Among sentences that share the question's words about equally, the one holding a
year (or a number) the question does not already state is the likelier answer: quote
selection (retrieval/quotes.py) gives it `ANSWER_KIND_BONUS`. Questions of other kinds
(who, what, why) get no bonus: a pattern cannot tell a name or a thing from the rest of a
sentence (a bonus for a capitalised word not in the question, tried for "who" questions,
changed nothing). Chinese questions get none either: the same rule for 什么时候 and 多少 was
measured on CMRC, DRCD and XQuAD zh and cost each about a question (BENCHMARKS.md, eleventh
session). Their kind (`asked_kind(question, "zh")`) is only read where a follow-up has one
word of its own to be checked by (retrieval/conversation.py): "她是哪一年出生的？" is not
answered by a quote that holds no year.

"What does LOR stand for?" asks what an acronym stands for, and a passage that only uses it
("a hybrid EOR-LOR mode") does not say (`spells_out`; relevance: `expansion_unstated`).

An age ("How old was Luther when he wrote it?", "陈国峻活了多少岁？") and a duration ("How long
did it take to translate it?", "联合政府将持续多久？") are measures, in either language: the quote
that states one leads the answer, and a first quote that states none is no answer ("I don't
know": retrieval/relevance.py, `measure_unstated`). A year or another number in a passage
on the topic is not how old or how long, and a measure says something: each of the 21 age
and 42 duration questions of CMRC dev, DRCD dev and XQuAD has one within 20 characters of
its gold answer, and across languages (XQuAD's English questions about its Chinese
articles and the reverse) each of the 8 age and 18 duration questions does too. (The
patterns were widened on those windows until they did: 周岁, 距今…亿年, 3:08 left, 1870 年到
1939 年, 直至十九世纪, 一个半赛季; and narrowed where a year or a date passed for a duration,
2007年, 16日.)
"""

from __future__ import annotations

import re
from enum import Enum

from ingest.text import CJK_CHARS, fold


class AnswerKind(Enum):
    TIME = "time"  # a year, a date, a century
    AGE = "age"  # how old someone or something is: 39岁, aged 17, 515 million years
    DURATION = "duration"  # how long: 10 hours, 三个月, from 1870 to 1939, 900公里 (a length)
    NUMBER = "number"  # a count, an amount, a share
    EXPANSION = "expansion"  # what an acronym stands for: LOR, lunar orbit rendezvous


# The kinds a question is not answered without (relevance: `measure_unstated`).
MEASURES = frozenset({AnswerKind.AGE, AnswerKind.DURATION})
# The kinds whose answer the first quote must state: the quote that does leads
# (retrieval/quotes.py); without one, "I don't know" (`measure_unstated`, `expansion_unstated`).
STATED = MEASURES | {AnswerKind.EXPANSION}

# "What does LOR stand for?", "What is LMP short for?", "LMP是什么的缩写？", "缩写LMP代表什么？"
# (folded: lower case, Simplified). Not "What is the acronym for…?" nor 简称: they ask the
# short form. Not "ASUS代表的是什么？" either (DRCD): a name in capitals may mean something
# without standing for words, so a Chinese question says 缩写 or 全称.
_ASKS_EXPANSION = re.compile(r"\b(?:stands?|stood|short)\s+for\b", re.IGNORECASE)
_ZH_ASKS_EXPANSION = re.compile(
    r"(?:缩写|縮寫)\s*[a-z][a-z0-9&]*\s*(?:代表|指)"
    r"|[a-z][a-z0-9&]*\s*(?:这个缩写|這個縮寫)?\s*(?:是(?:什么|甚麼|什麼)的(?:缩写|縮寫)|的(?:全称|全稱))",
    re.IGNORECASE,
)
# An acronym as the question writes it: two or more capitals (LOR, GPT, R&D). The one asked
# about is the last before the words that ask ("缩写LMP代表什么" of "Block II…", not II).
_ACRONYM = re.compile(r"(?<![A-Za-z0-9])[A-Z][A-Z0-9&]*[A-Z][A-Z0-9&]*(?![A-Za-z0-9])")
# Words an expansion may skip: "Office of Management and Budget" is OMB.
_EXPANSION_SKIPS = frozenset("of and the for a an to in on at by &".split())

_ASKS_TIME = re.compile(
    r"\bwhen\b|\b(?:what|which) (?:year|date|day|month|decade|century)\b|"
    r"\bin what (?:year|decade|century)\b|\bhow long ago\b",
    re.IGNORECASE,
)
_ASKS_AGE = re.compile(r"\bhow old\b|\bat what age\b|\bwhat age\b", re.IGNORECASE)
# "How long" asks a time or a length ("how long ago" asks a time: `_ASKS_TIME`, read first).
_ASKS_DURATION = re.compile(r"\bhow long\b", re.IGNORECASE)
_ASKS_NUMBER = re.compile(
    r"\bhow (?:many|much|far|big|large|tall|high|deep|wide|fast|heavy)\b|"
    r"\bwhat (?:percentage|percent|proportion|number|amount|fraction|share)\b",
    re.IGNORECASE,
)
# Chinese questions, Simplified (fold a Traditional one first): 哪一年 asks a time, 几年 a number.
_ZH_ASKS_TIME = re.compile(
    r"哪一?年|何年|何时|什么时候|什么时间|几时|哪一?天|几月|哪个月|几号|哪个世纪|什么年代|哪个年代"
)
# (not 年龄 alone: "谁是年龄最大的四分卫？" asks who, "平均年龄怎样了？" how it changed)
_ZH_ASKS_AGE = re.compile(r"多大年[纪龄]|年[纪龄](?:是|有|为)?多[大少]|多大岁数|多少周?岁|几岁|多大了")
# (not "多久一次", how often, nor "多久之前", how long ago)
_ZH_ASKS_DURATION = re.compile(r"多久(?![^？?，,]*一次|以前|之前|前)|多长(?:的)?时间|多少时间")
_ZH_ASKS_NUMBER = re.compile(r"多少|几[个位名次岁年天人座家条种倍件万千百十]|多[大高长远久重深宽老]")
# What a Chinese question counts: the word right after 多少 or 几 and a measure word ("他有多少
# 个孩子？" counts 孩子; "金额是多少？" counts nothing: it asks for the 金额's value).
_ZH_COUNTED = re.compile(r"(?:多少|几)[个位名座次件本部条只头匹家所种]?(?P<thing>\w+)")
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
# A year (not part of a longer number: 3,1979 is none) or a decade (1970s).
_YEAR = re.compile(r"(?<!\d)(?<!\d[.,])(?:1[0-9]{3}|20[0-9]{2})(?!\d|[.,]\d)|\d+0s\b")
# Months as English writes them, capitalised: "may" and "march" are also verbs.
_MONTH_OR_CENTURY = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|[Cc]entury|[Cc]enturies)\b"
)
# A date as Chinese writes it: 二〇二七年, 九月, 5月 (digits), 19世纪, 70年代.
_ZH_TIME = re.compile(
    r"[〇零一二三四五六七八九]{2,4}年|(?:[一二三四五六七八九十]{1,3}|\d{1,2})(?:月|世纪)|\d+0年代"
)
# A Chinese count: two numerals or more (三十, 一千二百), one before a measure word (三个, 两次),
# or a vague one (数百, 几十).
_ZH_NUMBER = re.compile(
    r"[零〇一二两三四五六七八九十百千万亿]{2,}"
    r"|[一二两三四五六七八九十][个位名次岁年天人座家条种倍件只头本部场项所届]|[数几][十百千万]"
)
# English number words (a count is "three" as often as 3).
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    "hundred|hundreds|thousand|thousands|million|millions|billion|dozen|half|percent"
)
_NUMBER_WORD = re.compile(rf"\b(?:{_NUMBER_WORDS})\b")
# A duration or a length: a number (or "several", "a few") and a unit, a span of years, a
# clock's 3:08, "until" and the like ("执政至…止", 至今, well into the nineteenth century).
_DURATION_UNITS = (
    r"years?|months?|weeks?|days?|hours?|minutes?|seconds?|decades?|centuries|century|nights?|seasons?"
    r"|miles?|kilomet(?:re|er)s?|km|met(?:re|er)s?|feet|foot|inch(?:es)?|cm|mm|light-years?"
)
_DURATION = re.compile(
    rf"(?:\d+(?:[.,]\d+)?|\b(?:{_NUMBER_WORDS}|several|few|many|a|an|some))[\s-]+"
    rf"(?:(?:{_NUMBER_WORDS}|of)[\s-]+)?(?:{_DURATION_UNITS})\b"
    # (not a year, 2007年, nor a date, 16日, 19世纪)
    r"|(?:(?<![\d.])\d{1,3}(?:\.\d+)?|[一二两三四五六七八九十百千万亿数几半多]+)\s*多?年(?!代)"
    r"|(?:\d+|[一二两三四五六七八九十百千万亿数几半多]+)\s*多?(?:个月|个多月|周|星期|天|个?小时|分钟|秒"
    r"|个?半?赛季|公里|千米|米|英里|英尺|厘米|毫米)|[一二两三四五六七八九十数几半多]+个多?世纪"
    r"|\bfrom (?:\d{3,4}|[a-z]+ \d{4}) (?:to|until) |\d{3,4}\s*年?\s*(?:-|–|to|至|到)\s*\d{2,4}"
    r"|\b\d{1,2}:\d{2}\b"
    r"|\b(?:until|since|lifetime|decades|centuries|century|overnight|forever)\b"
    r"|至今|以来|直到|直至|终身|永久|一直|[至到][^。]{0,30}止"
)
# An age: 39岁, 十七岁, 年满18周岁, 距今5.15亿年; aged 17, at the age of twenty-one, a 39-year-old, 515
# million years ago (how old a fossil is), in his forties. Not "millions of years ago" nor
# "hundreds of thousands of years old": no age is stated. Matched on folded text (lower
# case, Simplified).
_COUNT = rf"(?:\d+|(?:{_NUMBER_WORDS})(?:-(?:{_NUMBER_WORDS}))?)"
_AGE = re.compile(
    r"(?:\d+|[一二两三四五六七八九十百]+)\s*周?岁|距今\s*[\d.]+\s*[万亿]*年|[\d.]+\s*[万亿]+年前"
    rf"|\b(?:aged?|age of)\s+{_COUNT}\b"
    rf"|\b{_COUNT}[- ](?:years?|months?)[- ]old\b"
    r"|\b\d+(?:[.,]\d+)?\s+(?:(?:thousand|million|billion)\s+)?years?\s+ago\b"
    r"|\bin (?:his|her|their) (?:teens|twenties|thirties|forties|fifties|sixties|seventies"
    r"|eighties|nineties)\b"
)


# "What are clades?", "Who is Greg Brockman?", "赫羅圖是什麼？", "什么是赫罗图？" (folded): the
# question asks what or who its thing is and nothing more ("What was the result?" has "the",
# and asks about something the conversation named).
_ASKS_WHAT_IT_IS = re.compile(
    r"(?:(?:what|who)\s+(?:is|are|was|were)\s+(?!(?:the|a|an)\b)"
    r"(?P<thing>[\w'-]+(?:\s+[\w'-]+)*?)\s*\?*"
    r"|(?P<zh>\w+?(?:\s+\w+?)*?)\s*(?:是什么|是谁)[？?]*|什么是\s*(?P<zh2>\w+?(?:\s+\w+?)*?)[？?]*)$"
)


def thing_asked_about(question: str) -> str | None:
    """What `question` asks to be told about, folded (lower case, Simplified), when it asks
    only what or who that is: "Who is Greg Brockman?" → greg brockman, "赫羅圖是什麼？" → 赫罗图.
    "Who is he?" gives "he": whether that refers back is the caller's to say."""
    asked = _ASKS_WHAT_IT_IS.match(fold(question).strip())
    if asked is None:
        return None
    return asked.group("thing") or asked.group("zh") or asked.group("zh2")


def asked_kind(question: str, language: str = "en") -> AnswerKind | None:
    """The kind of answer `question` asks for, if it is one of `AnswerKind` (a time, an age,
    a duration, a number, an acronym's expansion); a Chinese question's (`language` "zh",
    Simplified script) only when asked for."""
    asked = _asking(question, language)
    return asked[0] if asked else None


def asking_words(question: str, language: str = "en") -> str:
    """The words of `question` that ask for its kind ("which year", "how many", 哪一年), as
    `asked_kind` finds them; '' when it asks for no kind."""
    asked = _asking(question, language)
    return asked[1] if asked else ""


def _asking(question: str, language: str) -> tuple[AnswerKind, str] | None:
    """The kind `question` asks for and the words that ask it: an acronym's expansion, an
    age, a time, a duration, then a number ("How old was he when he died?" asks an age, not a
    time nor any number)."""
    patterns = (
        (
            (AnswerKind.EXPANSION, _ZH_ASKS_EXPANSION),
            (AnswerKind.AGE, _ZH_ASKS_AGE),
            (AnswerKind.TIME, _ZH_ASKS_TIME),
            (AnswerKind.DURATION, _ZH_ASKS_DURATION),
            (AnswerKind.NUMBER, _ZH_ASKS_NUMBER),
        )
        if language == "zh"
        else (
            (AnswerKind.EXPANSION, _ASKS_EXPANSION),
            (AnswerKind.AGE, _ASKS_AGE),
            (AnswerKind.TIME, _ASKS_TIME),
            (AnswerKind.DURATION, _ASKS_DURATION),
            (AnswerKind.NUMBER, _ASKS_NUMBER),
        )
    )
    for kind, pattern in patterns:
        found = pattern.search(question)
        if found:
            return kind, found.group()
    return None


def counted(question: str) -> str | None:
    """What a Chinese question (Simplified) asks how many of: "他有多少个孩子？" → 孩子."""
    found = _ZH_COUNTED.search(question)
    return found["thing"] if found else None


def offers(kind: AnswerKind, sentence: str, question: str) -> bool:
    """Whether `sentence` holds an answer of `kind` that `question` does not already state
    (a year or number the question names is its subject, not its answer)."""
    if kind is AnswerKind.EXPANSION:
        acronym = _acronym_asked(question)
        return acronym is None or spells_out(acronym, sentence)
    text, asked = fold(sentence), fold(question)  # lower case, Chinese in Simplified
    if kind is AnswerKind.TIME:
        months = [m.lower() for m in _MONTH_OR_CENTURY.findall(sentence)]
        found = _YEAR.findall(text) + months + _ZH_TIME.findall(text)
    elif kind is AnswerKind.AGE:
        found = _AGE.findall(text)
    elif kind is AnswerKind.DURATION:
        found = _DURATION.findall(text)
    else:
        found = _DIGITS.findall(text) + _NUMBER_WORD.findall(text) + _ZH_NUMBER.findall(text)
    return any(value not in asked for value in found)


def _acronym_asked(question: str) -> str | None:
    """The acronym `question` asks the expansion of: the last one before its asking words end
    (anywhere in the question when they are not found as written)."""
    asked = _ASKS_EXPANSION.search(question) or _ZH_ASKS_EXPANSION.search(question)
    end = asked.end() if asked else len(question)
    found = [m.group() for m in _ACRONYM.finditer(question) if m.start() < end]
    return found[-1] if found else None


def spells_out(acronym: str, text: str) -> bool:
    """Whether `text` writes out what `acronym` stands for: consecutive words whose initials
    spell it ("lunar orbit rendezvous" for LOR, "Office of Management and Budget" for OMB), or
    in Chinese the acronym in brackets beside its words ("登月舱驾驶员（LMP）", "LMP（登月舱驾驶员）").
    A passage that only uses the acronym ("a hybrid EOR-LOR mode") does not."""
    written = re.escape(acronym)
    beside_words = rf"[{CJK_CHARS}]\s*[（(]\s*{written}\s*[)）]|{written}\s*[（(]\s*[{CJK_CHARS}]"
    if re.search(beside_words, text):
        return True
    letters = [ch for ch in acronym.lower() if ch.isalnum()]
    words = [w.lower() for w in re.findall(r"[A-Za-z0-9]+", text)]
    for first in range(len(words)):
        matched, k = 0, first
        while k < len(words) and matched < len(letters):
            if words[k][0] == letters[matched]:
                matched += 1
            elif not (matched and words[k] in _EXPANSION_SKIPS):
                break
            k += 1
        if matched == len(letters):
            return True
    return False
