"""What kind of answer a question asks for, and whether a sentence offers one.

"When did the first direct elections take place?" wants a year, "How many nations…" a
number. Among sentences that share the question's words about equally, the one holding a
year (or a number) the question does not already state is the likelier answer: quote
selection (retrieval/quotes.py) gives it `ANSWER_KIND_BONUS`. Questions of other kinds
(who, what, why) get no bonus: names and things have no form a pattern can tell apart from
the rest of a sentence.
"""

from __future__ import annotations

import re
from enum import Enum

from ingest.text import fold


class AnswerKind(Enum):
    TIME = "time"  # a year, a date, a century
    NUMBER = "number"  # a count, an amount, a share


# Matched on the folded question (Simplified Chinese, lower case).
_ASKS_TIME = re.compile(
    r"\bwhen\b|\bwhat (?:year|date|day|month|decade|century)\b|"
    r"\b(?:which|what) (?:year|date|decade|century)\b|\bin what (?:year|decade|century)\b|"
    r"\bhow long ago\b|哪一?年|何年|何时|什么时候|哪个时候|什么时间|哪一天|几月|几年|哪个世纪|多少年"
)
_ASKS_NUMBER = re.compile(
    r"\bhow (?:many|much|long|old|far|big|large|tall|high|deep|wide|fast|heavy)\b|"
    r"\bwhat (?:percentage|percent|proportion|number|amount|fraction|share)\b|"
    r"多少|几[个位名次种条件项座人家岁天年月]|多[长久大高远重深宽]|百分之几|比例"
)
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_YEAR = re.compile(r"(?<!\d)(?<!\d[.,])(?:1[0-9]{3}|20[0-9]{2})(?!\d|[.,]\d)|\d+0s\b")
_MONTH_OR_CENTURY = re.compile(
    r"\b(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|century|centuries)\b|世纪|[0-9一二三四五六七八九十]+月|[0-9〇零一二三四五六七八九]{2,4}年"
)
_NUMBER_WORD = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|hundred|hundreds|thousand|thousands|million|millions|billion|dozen|half|"
    r"percent)\b|[两二三四五六七八九十百千万亿]+[个位名次种条件项座人家岁天年月倍成%]"
)


def asked_kind(question: str) -> AnswerKind | None:
    """The kind of answer `question` asks for, if it is a time or a number."""
    folded = fold(question)
    if _ASKS_TIME.search(folded):
        return AnswerKind.TIME
    if _ASKS_NUMBER.search(folded):
        return AnswerKind.NUMBER
    return None


def offers(kind: AnswerKind, sentence: str, question: str) -> bool:
    """Whether `sentence` holds an answer of `kind` that `question` does not already state
    (a year or number the question names is its subject, not its answer)."""
    text, asked = fold(sentence), fold(question)
    if kind is AnswerKind.TIME:
        found = _YEAR.findall(text) + _MONTH_OR_CENTURY.findall(text)
    else:
        found = _DIGITS.findall(text) + _NUMBER_WORD.findall(text)
    return any(value not in asked for value in found)
