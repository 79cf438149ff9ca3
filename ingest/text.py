"""Text helpers shared by ingestion and retrieval: script folding, sentences, ids.

Chinese articles come in Simplified and Traditional script; matching folds both to
Simplified (zhconv's offline tables) while quotes keep the article's own characters.
Folding is character-for-character for almost all text; `fold` checks the length and falls
back to the original when a table entry would change it, so offsets stay valid.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

import zhconv

if TYPE_CHECKING:
    import jieba

# The one definition of a CJK character, as the body of a regex character class: the CJK
# Unified Ideographs with Extension A, and the compatibility ideographs (U+3400–U+9FFF,
# U+F900–U+FAFF). That is every character of Simplified and Traditional Chinese text in
# practice; kana, Hangul and the rare supplementary-plane extensions are not included (the
# articles are Chinese and English). Use `has_cjk`, `is_cjk` or `CJK_RUN`, not a range.
CJK_CHARS = "\u3400-\u9fff\uf900-\ufaff"
# Latin letters, with the accented ones European names are written with (Przemysław Dębiak,
# Müller, São Paulo): ASCII, Latin-1 and Latin Extended-A/B, less × and ÷. Matching at question
# time uses it (`retrieval.quotes.lexical_units`); the keyword index's stored tokens (`_WORD`)
# still split a word at an accent, the same way for questions and chunks.
LATIN_LETTERS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_CJK = re.compile(f"[{CJK_CHARS}]")
CJK_RUN = re.compile(f"[{CJK_CHARS}]+")
# A sentence ends at CJK terminal punctuation, at Latin .!? followed by a space (or, for !?,
# by a CJK character: many Chinese sites use ASCII punctuation), or at a line break; closing
# quotes/brackets stay with their sentence. `<!channel>` or `Yahoo!Japan` do not end one,
# nor does a period that `_ends_abbreviation` keeps inside its sentence, nor a semicolon
# before a lower-case word (English clauses; "；" and a semicolon before Chinese still do).
_SENTENCE_END = re.compile(
    rf"(?:[。！？；;…]+|[!?]+(?=[\s”’\"'」』）)\]{CJK_CHARS}]|$)|\.(?=[”’\"'」』）)\]]*\s)|\.{{3}})"
    r"[”’\"'」』）)\]]*\s*|\n+"
)
# Short forms written before a name or a number (Dr. Sun, St. Louis, Convention No. 81).
_TITLES = frozenset(
    "mr mrs ms dr prof st mt ft no nos vol fig gen col lt sgt capt rev op pp".split()
)
_WORD_BEFORE = re.compile(r"[A-Za-z0-9.]+$")


def fold(text: str) -> str:
    """Simplified-script, lower-case, NFKC-width form for matching (same length when possible)."""
    width = unicodedata.normalize("NFKC", text) if not text.isascii() else text
    if len(width) != len(text):
        width = text
    simplified = zhconv.convert(width, "zh-hans") if _CJK.search(width) else width
    if len(simplified) != len(width):
        simplified = width
    return simplified.lower()


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


def holds_phrase(folded: str, phrase: str) -> bool:
    """Whether the folded text holds the folded `phrase`: a Latin one as whole words ("chen"
    is not in "kitchen", "ai" not in "said"), a Chinese one anywhere (it has no spaces)."""
    if has_cjk(phrase):
        return phrase in folded
    edge = f"{LATIN_LETTERS}0-9"
    return re.search(f"(?<![{edge}]){re.escape(phrase)}(?![{edge}])", folded) is not None


def is_cjk(ch: str) -> bool:
    """Whether the character `ch` is a CJK character (`CJK_CHARS`)."""
    return bool(_CJK.fullmatch(ch))


Language = Literal["en", "zh"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")
# The one rule for "this text is Chinese" (questions, answers, articles, eval sets): at least
# one CJK character in every `CHINESE_SHARE` visible characters. A Chinese word is about 1.5
# characters and an English one about 5 letters, so at a fifth a text holds about as many
# Chinese words as English ones: below that it is English naming a Chinese place or person
# ("An essay on 北京 and its hutongs"), above it Chinese with English terms ("GPT-5 的贪吃蛇游戏
# 是谁做的？"). Whitespace counts for neither (English has far more of it). The first
# `LANGUAGE_SAMPLE_CHARS` characters decide: enough for any article, and it bounds the cost
# on a long one. A text of both scripts is judged by its grammar instead when only one
# language's function words occur in it: "Greg Brockman是谁？" is Chinese, "Who was 元英宗?"
# English (two English stopwords needed: one may be a quoted title's), however long the names.
CHINESE_SHARE = 5
LANGUAGE_SAMPLE_CHARS = 2000
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")  # not "A" of "A-217"


def language_of(text: str) -> Language:
    """"zh" when the text is Chinese by the rule above, "en" otherwise (also when empty)."""
    sample = text[:LANGUAGE_SAMPLE_CHARS]
    visible = "".join(sample.split())
    chinese = sum(1 for ch in visible if is_cjk(ch))
    if chinese and chinese < len(visible):
        english = sum(w.lower() in STOPWORDS for w in _LATIN_WORD.findall(sample))
        chinese_words = any(ch in _CHINESE_FUNCTION_CHARACTERS for ch in sample)
        if (english >= 2) != chinese_words:  # one English stopword may be a title's "or"
            return "zh" if chinese_words else "en"
    return "zh" if visible and chinese * CHINESE_SHARE >= len(visible) else "en"


def is_chinese(text: str) -> bool:
    """Whether `text` is Chinese (`language_of`): answered, and noted, in Chinese."""
    return language_of(text) == "zh"


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text[start:end]`, trailing whitespace included.

    The spans tile the range exactly: every character belongs to one sentence.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        mark = text[match.start()]
        if mark == ";" and match.end() < len(text) and text[match.end()].islower():
            continue  # English: a semicolon joins two clauses of one sentence
        if (
            mark == "."
            and not text.startswith("...", match.start())
            and _ends_abbreviation(text, match.start(), match.end())
        ):
            continue
        if match.end() > cursor:
            spans.append((cursor, match.end()))
            cursor = match.end()
    if cursor < end:
        spans.append((cursor, end))
    return spans


def _ends_abbreviation(text: str, period: int, after: int) -> bool:
    """Whether the period at `period`, followed by a space, ends a short form rather than a
    sentence: an initial (J. R. R. Tolkien, the U.S. Army, e.g.), a title (`_TITLES`), a
    list number at the start of a line (1. …), or any word when the next one starts in
    lower case (approx. five). A year or an acronym before it (in 2009. From, the NFL. The)
    ends the sentence."""
    found = _WORD_BEFORE.search(text, max(0, period - 40), period)
    if found is None:
        return False
    word = found.group()
    last = word.rsplit(".", 1)[-1]
    if len(last) == 1 and last.isalpha():
        return True
    if word[0].isupper() and word.lower() in _TITLES:
        return True
    line_start = text.rfind("\n", 0, found.start()) + 1
    if word.isdigit() and not text[line_start : found.start()].strip():
        return True
    return after < len(text) and text[after].islower()


# What is embedded for a sentence when quotes are ranked: its start says what it is about,
# and embedding cost grows with its tokens. The model reads about one token per Chinese
# character and one per four English letters, so 300 English characters cost about what 80
# Chinese ones do. Whole English sentences, not their first 80 characters, put the answer
# first more often (xquad_mixed en → en, answer_hit@300 0.869 → 0.881; BENCHMARKS.md,
# eighth session); Chinese ones were unchanged at 80 (zh → zh 0.924 either way).
SENTENCE_VECTOR_CHARS: dict[Language, int] = {"zh": 80, "en": 300}


def sentence_vector_text(text: str, start: int, end: int) -> str:
    """The text whose vector stands for the sentence `text[start:end]` in quote ranking."""
    sentence = text[start:end].strip()
    return sentence[: SENTENCE_VECTOR_CHARS[language_of(sentence)]]


def quotable_sentences(text: str, ranges: list[tuple[int, int]]) -> list[str]:
    """`sentence_vector_text` of every sentence of these ranges of `text`, each once, empty
    ones left out: over the whole article, the sentences quote ranking embeds."""
    found: dict[str, None] = {}
    for range_start, range_end in ranges:
        for start, end in sentence_spans(text, range_start, range_end):
            sentence = sentence_vector_text(text, start, end)
            if sentence:
                found[sentence] = None
    return list(found)


def soft_cut(window: str, *marks: Iterable[str]) -> int:
    """Where to cut `window` so a piece ends at a soft break: just after the last mark that
    starts in the window's second half, or `len(window)` (a hard cut) when there is none.

    Each argument is a group of marks (a string is a group of its characters); the groups are
    tried in order and, within a group, the latest mark wins. So one group cuts as late as
    possible (chunks, quotes, Discord's pieces); a group per mark prefers a line end to a
    sentence end to a word end (Slack's sections). The callers' marks differ on purpose: a
    chunk or a quote is cut inside a sentence (commas, brackets), a chat message between
    sentences first.
    """
    half = len(window) // 2
    for group in marks:
        at = max((window.rfind(mark) for mark in group), default=-1)
        if at >= half:
            best = max((mark for mark in group if window.rfind(mark) == at), key=len)
            return at + len(best)
    return len(window)


def content_id(*parts: str, length: int = 16) -> str:
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


_WORD = re.compile(rf"[a-z0-9]+(?:[._-][a-z0-9]+)*|[{CJK_CHARS}]+")
# Words the keyword (BM25) index leaves out. There are two tokenizers on purpose, each with
# its own stop list: this one makes jieba *words* for the index (a stopword is a whole word:
# 什么, 的), while `retrieval.quotes.lexical_units` makes character *bigrams* to score
# sentences against a question, so its list (`_QUESTION_UNITS`) holds the bigrams question
# words break into (是什, 为什). A word list cannot filter bigrams, nor the other way round.
STOPWORDS = frozenset(
    """
    the a an of to in and or is are was were be been
    on for with as by at from that this it its what which who
    whom whose when where why how did does do done has have had not
    no 的 了 是 在 和 与 及 或 也 都 就 而 被
    把 对 于 为 以 之 其 这 那 个 吗 呢 吧 啊
    什么 哪 哪个 哪些 哪里 怎么 怎样 如何 为什么 多少 几 谁 是否 有
    没有
    """.split()
)
# The one-character Chinese stopwords and question words, in both scripts: a text with one of
# them has Chinese grammar (`language_of`).
_CHINESE_FUNCTION_CHARACTERS = frozenset(
    "".join(w for w in STOPWORDS if len(w) == 1 and is_cjk(w)) + "什怎誰為對與這個嗎幾麼於"
)
_jieba_ready = False


def _jieba() -> jieba.Tokenizer:
    """jieba's default tokenizer with its dictionary loaded (once, quietly)."""
    global _jieba_ready
    import jieba

    if not _jieba_ready:
        jieba.setLogLevel(60)
        jieba.initialize()
        _jieba_ready = True
    return jieba.dt


def keyword_tokens(text: str) -> list[str]:
    """Tokens for the keyword (BM25) index: folded script, jieba words for Chinese, plain
    lower-case words for English, stopwords dropped. Used for chunks and questions alike."""
    tokenizer = _jieba()
    tokens: list[str] = []
    for match in _WORD.finditer(fold(text)):
        word = match.group(0)
        if has_cjk(word):
            tokens.extend(t for t in tokenizer.lcut_for_search(word) if t not in STOPWORDS)
        elif word not in STOPWORDS:
            tokens.append(word)
    return tokens


def is_traditional(text: str) -> bool:
    """Written in Traditional script: more characters that only Traditional uses (conversion
    to Simplified changes them) than characters that only Simplified uses."""
    if not _CJK.search(text):
        return False
    simplified, traditional = zhconv.convert(text, "zh-hans"), zhconv.convert(text, "zh-hant")
    if len(simplified) != len(text) or len(traditional) != len(text):
        return simplified != text and traditional == text
    only_traditional = sum(a != b for a, b in zip(text, simplified, strict=True))
    only_simplified = sum(a != b for a, b in zip(text, traditional, strict=True))
    return only_traditional > only_simplified


def in_script_of(question: str, chinese: str) -> str:
    """Citebot's own Chinese wording (written in Simplified) in the script of the question:
    a Traditional question gets Traditional replies. Never for quotes or titles."""
    return in_script(chinese, traditional=is_traditional(question))


def in_script(chinese: str, *, traditional: bool) -> str:
    """Citebot's own Chinese wording (written in Simplified), in Traditional if `traditional`
    (a reader's script known without a question: a Discord user's client language)."""
    return zhconv.convert(chinese, "zh-hant") if traditional else chinese


def regional_wordings(text: str) -> tuple[str, ...]:
    """`text`, then its mainland and its Taiwan wording, in `text`'s own script, where they
    differ: the names and words the two regions write otherwise (苏利南 / 苏里南, 甘迺迪 /
    肯尼迪, 软体 / 软件), by zhconv's regional phrase tables. Folding (`fold`) unifies the
    script only; a mainland reader's question about a Taiwanese article needs the words."""
    if not _CJK.search(text):
        return (text,)
    script = "zh-hant" if is_traditional(text) else "zh-hans"
    regional = (
        zhconv.convert(zhconv.convert(text, region), script) for region in ("zh-cn", "zh-tw")
    )
    return tuple(dict.fromkeys((text, *regional)))


# Full-width punctuation of Chinese text. jieba's dictionary has no punctuation, yet in Chinese
# text ， and 。 are at least as frequent as its commonest word (的), so they count as that.
# None of these turns into another of them when its GB18030 bytes are read as Big5 or the
# other way round: a misread one becomes a small form (、 → ﹜) or a private-use character.
_CHINESE_PUNCTUATION = "，。、；：？！「」『』（）《》〈〉【】“”‘’…—·～"
_PUNCTUATION_SPLIT = re.compile(f"([{_CHINESE_PUNCTUATION}])")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def chinese_log_likelihood(text: str) -> float:
    """How likely `text` is as Chinese: the log-probability of its non-ASCII characters under
    jieba's word frequencies (its most probable segmentation, script folded, so Simplified
    and Traditional weigh alike), with `_CHINESE_PUNCTUATION` as the commonest word and any
    other character as an unseen one. Higher is likelier. It compares readings of the same
    bytes (GB18030 or Big5, `ingest.encodings`): their ASCII is the same, their other
    characters are as many."""
    tokenizer = _jieba()
    total = 0.0
    for run in _NON_ASCII_RUN.findall(text):
        # Split with a group: the punctuation marks are the odd items.
        for index, part in enumerate(_PUNCTUATION_SPLIT.split(run)):
            if index % 2:
                total += _commonest_word_log_probability()
            elif part:
                words = fold(part)
                route: dict[int, tuple[float, int]] = {}
                tokenizer.calc(words, tokenizer.get_DAG(words), route)
                total += route[0][0]
    return total


@functools.cache
def _commonest_word_log_probability() -> float:
    tokenizer = _jieba()
    return math.log(max(tokenizer.FREQ.values()) / tokenizer.total)
