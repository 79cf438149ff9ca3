"""What kind of answer an English question asks for, and whether a sentence offers one.

"When did the first direct elections take place?" wants a year, "How many nations…" a
number. Among sentences that share the question's words about equally, the one holding a
year (or a number) the question does not already state is the likelier answer: quote
selection (retrieval/quotes.py) gives it `ANSWER_KIND_BONUS`. Questions of other kinds
(who, what, why) get no bonus: a pattern cannot tell a name or a thing from the rest of a
sentence (a bonus for a capitalised word not in the question, tried for "who" questions,
changed nothing). Chinese questions get none either: the same rule for 什么时候 and 多少 was
measured on CMRC, DRCD and XQuAD zh and cost each about a question (BENCHMARKS.md, eleventh
session).
"""

from __future__ import annotations

import re
from enum import Enum


class AnswerKind(Enum):
    TIME = "time"  # a year, a date, a century
    NUMBER = "number"  # a count, an amount, a share


_ASKS_TIME = re.compile(
    r"\bwhen\b|\b(?:what|which) (?:year|date|day|month|decade|century)\b|"
    r"\bin what (?:year|decade|century)\b|\bhow long ago\b",
    re.IGNORECASE,
)
_ASKS_NUMBER = re.compile(
    r"\bhow (?:many|much|long|old|far|big|large|tall|high|deep|wide|fast|heavy)\b|"
    r"\bwhat (?:percentage|percent|proportion|number|amount|fraction|share)\b",
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
# A year (not part of a longer number: 3,1979 is none) or a decade (1970s).
_YEAR = re.compile(r"(?<!\d)(?<!\d[.,])(?:1[0-9]{3}|20[0-9]{2})(?!\d|[.,]\d)|\d+0s\b")
# Months as English writes them, capitalised: "may" and "march" are also verbs.
_MONTH_OR_CENTURY = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|[Cc]entury|[Cc]enturies)\b"
)
_NUMBER_WORD = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    r"fifty|hundred|hundreds|thousand|thousands|million|millions|billion|dozen|half|percent)\b"
)


def asked_kind(question: str) -> AnswerKind | None:
    """The kind of answer an English `question` asks for, if it is a time or a number."""
    if _ASKS_TIME.search(question):
        return AnswerKind.TIME
    if _ASKS_NUMBER.search(question):
        return AnswerKind.NUMBER
    return None


def offers(kind: AnswerKind, sentence: str, question: str) -> bool:
    """Whether `sentence` holds an answer of `kind` that `question` does not already state
    (a year or number the question names is its subject, not its answer)."""
    text, asked = sentence.lower(), question.lower()
    if kind is AnswerKind.TIME:
        months = [m.lower() for m in _MONTH_OR_CENTURY.findall(sentence)]
        found = _YEAR.findall(text) + months
    else:
        found = _DIGITS.findall(text) + _NUMBER_WORD.findall(text)
    return any(value not in asked for value in found)
