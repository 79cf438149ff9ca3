"""Choosing quotes: the sentences inside the best chunks that answer the question.

A quote is one to three consecutive sentences copied exactly from an article (never more
than `MAX_QUOTE_CHARS`), verified against the stored article text at its offsets before it
may leave `retrieval/`, and linked (retrieval/links.py). A question
that asks why, how or what happened (`is_passage_question`) is answered by a passage: its
quotes take as many sentences as the same budget holds (see `_grow_passage`).
"""

from __future__ import annotations

import bisect
import math
import re
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import snowballstemmer

from ingest.text import (
    CJK_RUN,
    LATIN_LETTERS,
    fold,
    language_of,
    sentence_spans,
    sentence_vector_text,
    soft_cut,
)
from retrieval.answer_kinds import STATED, asked_kind, offers
from retrieval.translation import translated_words_in

MAX_QUOTE_CHARS = 300
MAX_QUOTE_SENTENCES = 3
# Sentence score = LEXICAL_WEIGHT * wording overlap + (1 - LEXICAL_WEIGHT) * chunk score;
# further quotes must reach FOLLOWING_QUOTE_RATIO of the best one (tuned with `citebot eval`).
LEXICAL_WEIGHT = 0.55
FOLLOWING_QUOTE_RATIO = 0.6
RERANK_SENTENCES = 12
# The share of the embedding cosine in the rerank of the best RERANK_SENTENCES. 0.15, down
# from 0.3 once English words matched by stem and sentences across languages by translation.
# XQuAD en, every 2nd question: the first quote holds the answer for 500 of 595 at 0.3, 522
# at 0.15 (0.08: 523, 0: 518, 0.5: 468). Before the refit that followed, answer_hit@300 went
# CMRC 200 0.948 → 0.952, XQuAD zh 0.940 → 0.948, DRCD 80 0.955 → 0.959 (BENCHMARKS.md,
# fifth session).
DENSE_SENTENCE_WEIGHT = 0.15
# An English sentence's cosine to an English question weighs more: English sentences got
# whole-sentence vectors in the eighth session (Chinese ones stay at 80 characters). Replaying
# the quote choice on the eleventh session's recorded retrievals (answer_hit@300 at 0.15 / 0.3
# / 0.4): the mixed store's English questions about English articles 0.877 / 0.884 / 0.886,
# XQuAD en (48 articles) 0.861 / 0.867 / 0.866; Chinese questions lost already at 0.25 (XQuAD
# zh 0.944 → 0.940, DRCD 80 0.955 → 0.952), English ones about Chinese articles did not gain.
ENGLISH_SENTENCE_WEIGHT = 0.3
# Added to the score of an English sentence holding the kind of answer an English question
# asks for (a year for "when", a number for "how many"; retrieval/answer_kinds.py) — about
# what one more rare question word adds. The same replay, at the English cosine weight 0.3:
# the mixed store's English questions about English articles 0.884 either way (0.877 → 0.881
# at 0.15), XQuAD en 0.867 → 0.868; 0.1 gained nothing more. Given to Chinese sentences too
# it gained English questions about Chinese articles nothing in the eval (XQuAD en → zh) and
# cost English "I don't know" against DRCD 80 a question (0.918 → 0.917; after an unrelated
# exchange 0.910 → 0.909).
ANSWER_KIND_BONUS = 0.03
# A sentence this long found in an earlier answer was shown by it (`sentences_shown`); a
# shorter one ("是的。", "No.") may be in any text.
SHOWN_SENTENCE_CHARS = 8

_LATIN = re.compile(f"[{LATIN_LETTERS}0-9]+")
_WORD_RUN = re.compile(r"[^\W_]+")  # a word or a number (CJK runs are counted apart)
_stemmers = threading.local()


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """`word`'s English stem. A snowball stemmer keeps the word it works on in itself, so
    each thread has its own (questions are answered in several threads at once)."""
    stemmer = getattr(_stemmers, "english", None)
    if stemmer is None:
        stemmer = _stemmers.english = snowballstemmer.stemmer("english")
    return stemmer.stemWord(word)


def names_and_numbers(question: str) -> list[str]:
    """The words an English question shares verbatim with Chinese text: its capitalised words
    and numbers ("GPT-5": GPT, 5; "Dębiak"; not "iPhone"), as written."""
    return [w for w in _LATIN.findall(question) if w[0].isupper() or any(c.isdigit() for c in w)]


# Question words carry no evidence; they are left out of lexical matching. These are the
# character bigrams and words `lexical_units` makes of them (是什, 为什), not the jieba words
# of the keyword index's own stop list (`ingest.text.STOPWORDS`): each filters its tokenizer.
_QUESTION_UNITS = frozenset(
    """
    什么 是什 哪个 哪些 哪里 哪一 哪位 怎么 怎样 如何 为什 么? 多少 几个 是谁 是否 是哪 有哪 请问
    the what which who whom whose when where why how was were did does is are of in and to a an
    for on at by with from that this
    """.split()
) | {
    stem(w)
    for w in "what which who whom whose when where why how was were did does is are".split()
}


# Questions whose answer is an explanation of several sentences: why, how (not "how many"
# and the like, which ask for a number), what happened, the reason or cause. Matched on the
# folded question (Simplified, lower case). "称为什么" / "成为什么" ask "called what", not why.
_PASSAGE_QUESTION = re.compile(
    r"(?<![称成作认视译名叫改变当分])为什么|为何|为啥|何以|怎么(?!说|称|叫|写|读)|怎样|如何|原因|"
    r"发生了什么|什么导致|\bwhy\b|\bexplain|\bwhat happened|\breasons?\b|\bcaused?\b|"
    r"\bhow\b(?! (?:many|much|long|old|far|big|large|tall|often|high|deep|wide|fast|heavy)\b)"
)
# A sentence opening with one of these continues the one before it ("所以…", "This …"), so a
# passage that starts there takes the sentence before too.
_CONTINUES = re.compile(
    r"\W*(?:所以|因此|因而|于是|为此|对此|使得|使|这|此|它|其|同时|然而|但|而|并且|而且|另外|此外|最终|最后|结果"
    r"|(?:so|therefore|thus|hence|this|that|these|those|it|its|they|second|secondly|then"
    r"|however|as a result|also)\b)"
)


def is_passage_question(question: str) -> bool:
    """Whether a question asks for an explanation (why, how, what happened), whose answer is
    a passage of several sentences rather than a name, a date or a number."""
    return bool(_PASSAGE_QUESTION.search(fold(question)))


def lexical_units(text: str, characters: bool = True) -> list[str]:
    """Matching units: folded CJK character bigrams (plus single characters when
    `characters`, and always for one-character runs) and stemmed lower-case Latin words and
    numbers (opened, opening → open)."""
    folded = fold(text)
    units = [stem(w) for w in _LATIN.findall(folded)]
    for run in CJK_RUN.findall(folded):
        if characters or len(run) == 1:
            units.extend(run)
        units.extend(run[i : i + 2] for i in range(len(run) - 1))
    return units


@dataclass(frozen=True)
class Candidate:
    """A chunk that retrieval found: its fused rank `score` (0..1, the best 1) and its dense
    `cosine` to the question (0 when only the keyword search found it)."""

    article_id: str
    start: int
    end: int
    score: float
    cosine: float
    language: str = ""  # of the chunk ('' when the store does not say)


@dataclass(frozen=True)
class QuoteSpan:
    article_id: str
    start: int
    end: int
    score: float
    lexical: float
    cosine: float = 0.0  # of its best sentence to the question (0: not reranked)


class SentenceScorer:
    """Scores sentences by how much of the question's (IDF-weighted) wording they contain.

    With `characters`, single CJK characters count too (finer matching, used to choose
    sentences); without, only bigrams and words (a stricter signal, used for relevance).
    A sentence in the other language than the question's can only share its names and
    numbers (Latin words of a Chinese question; capitalised words and numbers of an English
    one), and, given the question's `translations` (retrieval/translation.py), its words
    whose dictionary translation the sentence holds: its coverage is of those.
    """

    def __init__(
        self,
        question: str,
        pool: list[str],
        characters: bool = True,
        translations: Sequence[tuple[str, tuple[str, ...]]] = (),
    ) -> None:
        self.characters = characters
        units = [
            u
            for u in dict.fromkeys(lexical_units(question, characters))
            if u not in _QUESTION_UNITS
        ]
        document_frequency: Counter[str] = Counter()
        for text in pool:
            document_frequency.update(set(lexical_units(text, characters)))
        n = max(1, len(pool))
        self.weights = {
            u: math.log(1 + (n + 1) / (document_frequency.get(u, 0) + 0.5)) for u in units
        }
        self.total = sum(self.weights.values())
        self.language = language_of(question)
        if self.language == "zh":
            crossing = {stem(w) for w in _LATIN.findall(fold(question))}
        else:
            crossing = {stem(fold(w)) for w in names_and_numbers(question)}
        # One letter ("I", "A") is no name; a single digit still counts.
        crossing = {u for u in crossing if len(u) > 1 or u.isdigit()}
        self.crossing = {u: w for u, w in self.weights.items() if u in crossing}
        # A name may be written as in the question (GPT-5) or translated (Peru, 秘鲁): it
        # counts once, held either way; other translated words weigh by their own rarity.
        self.translations = list(translations)
        translated_frequency: Counter[str] = Counter()
        if self.translations:
            for text in pool:
                if language_of(text) != self.language:
                    translated_frequency.update(translated_words_in(self.translations, text))
        self.translated = {
            w: math.log(1 + (n + 1) / (translated_frequency.get(w, 0) + 0.5))
            for w, _ in self.translations
            if stem(w) not in self.crossing
        }
        self.crossing_total = sum(self.crossing.values()) + sum(self.translated.values())

    def coverage(self, text: str, language: str = "") -> float:
        """The share of the question's weighted units in `text` (of its names and numbers
        and its translated words, when `language` is set and is not the question's)."""
        crossing = bool(language) and language != self.language
        weights, total = (
            (self.crossing, self.crossing_total) if crossing else (self.weights, self.total)
        )
        if not total:
            return 0.0
        present = set(lexical_units(text, self.characters))
        if crossing and self.translations:
            translated = translated_words_in(self.translations, text)
            present |= {stem(w) for w in translated}
            present |= {w for w in translated if w in self.translated}
            weights = {**weights, **self.translated}
        return sum(w for u, w in weights.items() if u in present) / total


class SentenceCosines:
    """Cosine similarity of sentences to the question with the embedding model, cached.

    Only the few best sentences by wording are embedded at question time (a paraphrase
    such as 爱好/喜欢 is invisible to word overlap); vectors are kept for repeated use.
    """

    def __init__(
        self, embed: Callable[[list[str]], list[list[float]]], cache_size: int = 20_000
    ) -> None:
        self._embed = embed
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def __call__(self, query_vector: Sequence[float], sentences: list[str]) -> list[float]:
        query = np.asarray(query_vector, dtype=np.float32)
        return [float(vector @ query) for vector in self.vectors(sentences)]

    def vectors(self, sentences: list[str]) -> list[np.ndarray]:
        """The sentences' vectors, embedded (outside the lock) only if not kept already."""
        with self._lock:
            found = {s: self._cache[s] for s in dict.fromkeys(sentences) if s in self._cache}
        missing = [s for s in dict.fromkeys(sentences) if s not in found]
        if missing:
            vectors = self._embed(missing)
            with self._lock:
                for sentence, vector in zip(missing, vectors, strict=True):
                    found[sentence] = self._cache[sentence] = np.asarray(vector, dtype=np.float32)
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return [found[s] for s in sentences]


def select_quotes(
    question: str,
    candidates: list[Candidate],
    texts: dict[str, str],
    max_quotes: int = 3,
    sentence_cosines: SentenceCosines | None = None,
    query_vector: Sequence[float] | None = None,
    translations: Sequence[tuple[str, tuple[str, ...]]] = (),
    quoted_before: Sequence[QuoteSpan] = (),
) -> list[QuoteSpan]:
    """The best non-overlapping sentence windows among the candidate chunks, best first.

    Sentences are scored by wording overlap (in the other language than the question's, with
    the question's `translations` too) and their chunk's rank; with `sentence_cosines`, the
    best `RERANK_SENTENCES` of them are rescored with the embedding model too. No window
    overlaps a span of `quoted_before` (what the conversation's answers showed).
    """
    best_candidate: dict[tuple[str, int], tuple[Candidate, int, int]] = {}
    article_sentences: dict[str, list[tuple[int, int]]] = {}
    for cand in candidates:
        text = texts.get(cand.article_id)
        if text is None:
            continue
        if cand.article_id not in article_sentences:
            article_sentences[cand.article_id] = sentence_spans(text)
        for start, end in _overlapping(article_sentences[cand.article_id], cand.start, cand.end):
            key = (cand.article_id, start)
            known = best_candidate.get(key)
            quotable = _starts_a_quote(text, start, end)
            if quotable and (known is None or known[0].score < cand.score):
                best_candidate[key] = (cand, start, end)
    sentences = list(best_candidate.values())
    if not sentences:
        return []
    pool = [texts[c.article_id][s:e] for c, s, e in sentences]
    scorer = SentenceScorer(question, pool, translations=translations)
    strict_scorer = SentenceScorer(question, pool, characters=False)
    scored: list[tuple[float, float, Candidate, int, int]] = []
    kind = asked_kind(fold(question), language_of(question))
    for (cand, start, end), sentence in zip(sentences, pool, strict=True):
        coverage = scorer.coverage(sentence, cand.language)
        score = LEXICAL_WEIGHT * coverage + (1 - LEXICAL_WEIGHT) * cand.score
        if (
            kind is not None
            and language_of(question) == "en"
            and language_of(sentence) == "en"
            and offers(kind, sentence, question)
        ):
            score += ANSWER_KIND_BONUS
        scored.append((score, strict_scorer.coverage(sentence, cand.language), cand, start, end))
    scored.sort(key=lambda item: -item[0])
    cosines: dict[tuple[str, int], float] = {}
    if sentence_cosines is not None and query_vector is not None:
        scored = _rerank(
            scored, texts, sentence_cosines, query_vector, cosines, language_of(question)
        )

    scored = [item for item in scored if not overlaps_any(quoted_before, item[2].article_id, *item[3:])]
    if not scored:
        return []
    chosen: list[QuoteSpan] = []
    best = scored[0][0]
    passage = is_passage_question(question)
    for score, lexical, cand, start, end in scored:
        if len(chosen) >= max_quotes or score < FOLLOWING_QUOTE_RATIO * best:
            break
        text = texts[cand.article_id]
        taken = [
            (q.start, q.end) for q in (*chosen, *quoted_before) if q.article_id == cand.article_id
        ]
        if any(q_start < end and start < q_end for q_start, q_end in taken):
            continue
        if passage:
            window_start, window_end = _grow_passage(text, start, end, taken)
        else:
            window_start, window_end = _grow_window(text, start, end, scorer)
        if any(q_start < window_end and window_start < q_end for q_start, q_end in taken):
            window_start, window_end = _cut_to_limit(text, start, end, scorer)
        chosen.append(
            QuoteSpan(
                cand.article_id,
                window_start,
                window_end,
                score,
                lexical,
                cosines.get((cand.article_id, start), 0.0),
            )
        )
    if kind in STATED and chosen:
        # A question of how old or how long (or of what an acronym stands for) leads with a
        # quote of the best quote's article that states it, in either language: "How old was
        # Temujin when he married Börte?" quoted the marriage first, "铁木真在16岁左右娶了…"
        # second. (Not another article's: "How old must a person be to apply to be an MSP?"
        # is not answered by "prostitutes in Kenya are aged 9-18".) Without one the first
        # quote is no answer (relevance: `measure_unstated`, `expansion_unstated`).
        article = chosen[0].article_id
        chosen.sort(
            key=lambda q: q.article_id != article
            or not offers(kind, texts[q.article_id][q.start : q.end], question)
        )
    return chosen


def passages_after(
    article_id: str, text: str, shown: Sequence[QuoteSpan], count: int
) -> list[QuoteSpan]:
    """What "Tell me more" reads on with: up to `count` quotes of the paragraph of the first
    span of `shown` in the article `article_id` (`text`), from its sentences after that span,
    in order, none overlapping a span of `shown`; when nothing follows, from its sentences
    before that span. Each quote is whole sentences within `MAX_QUOTE_CHARS` and
    `MAX_QUOTE_SENTENCES` (a longer sentence alone, cut at a soft break), opening with a
    sentence that may start a quote, and not running on past a line's end."""
    mine = [(span.start, span.end) for span in shown if span.article_id == article_id]
    if not mine:
        return []
    anchor_start, anchor_end = mine[0]
    unshown = [
        (start, end)
        for start, end in _paragraph_sentences(text, anchor_start, anchor_end)
        if text[start:end].strip() and not overlaps_any(shown, article_id, start, end)
    ]
    after = [sentence for sentence in unshown if sentence[0] >= anchor_end]
    before = [sentence for sentence in unshown if sentence[1] <= anchor_start]
    quotes: list[QuoteSpan] = []
    for run in (after, before):
        index = 0
        while index < len(run) and len(quotes) < count:
            start, end = run[index]
            index += 1
            if not _starts_a_quote(text, start, end):
                continue
            taken = 1
            # on through the next sentences while they follow on in the same paragraph and fit
            while (
                index < len(run)
                and run[index][0] == end
                and not _ends_paragraph(text, *run[index - 1])
                and _length(text, start, run[index][1]) <= MAX_QUOTE_CHARS
                and taken < MAX_QUOTE_SENTENCES
            ):
                end = run[index][1]
                index += 1
                taken += 1
            window_start, window_end = _cut_to_limit(text, start, end)
            quotes.append(QuoteSpan(article_id, window_start, window_end, 0.0, 0.0))
        if quotes:
            break
    return quotes


def sentences_shown(article_id: str, text: str, shown: Sequence[str]) -> list[QuoteSpan]:
    """The sentences of the article `article_id` (`text`) that the `shown` texts (what earlier
    answers showed) hold, as spans: as written, or at least half of them when an over-long
    sentence was shown cut at a soft break (its clauses of `SHOWN_SENTENCE_CHARS` or more
    counted). Shorter sentences are left out: "是的。" or "No." may be anywhere."""
    if not shown:
        return []
    spans = []
    for start, end in sentence_spans(text):
        sentence = text[start:end].strip()
        if len(sentence) < SHOWN_SENTENCE_CHARS:
            continue
        if any(sentence in said for said in shown):
            spans.append(QuoteSpan(article_id, start, end, 0.0, 0.0))
            continue
        # each clause without the break or full stop that ends it: a cut quote ends before it
        clauses = [c.strip(f" {_CLAUSE_BREAKS}.。!！?？") for c in _CLAUSE.split(sentence)]
        held = sum(
            len(clause)
            for clause in clauses
            if len(clause) >= SHOWN_SENTENCE_CHARS and any(clause in said for said in shown)
        )
        if 2 * held >= len(sentence):
            spans.append(QuoteSpan(article_id, start, end, 0.0, 0.0))
    return spans


def overlaps_any(spans: Sequence[QuoteSpan], article_id: str, start: int, end: int) -> bool:
    """Whether `start:end` of the article `article_id` overlaps one of `spans`."""
    return any(s.article_id == article_id and s.start < end and start < s.end for s in spans)


def _ends_paragraph(text: str, start: int, end: int) -> bool:
    """Whether the sentence `text[start:end]` (trailing whitespace included) ends its line."""
    sentence = text[start:end]
    return "\n" in sentence[len(sentence.rstrip()) :]


def _starts_a_quote(text: str, start: int, end: int) -> bool:
    """Whether the sentence `text[start:end]` may start a quote: it has letters (not a list's
    "1.", nor the stop left after "..."), and a paragraph of its own needs two words or
    numbers or more, a Chinese word counted as two characters (not a heading: "Kenya")."""
    sentence = text[start:end]
    if not any(ch.isalpha() for ch in sentence):
        return False
    chinese = sum(len(run) for run in CJK_RUN.findall(sentence))
    words = len(_WORD_RUN.findall(CJK_RUN.sub(" ", sentence)))
    own_end = start + len(sentence.rstrip())  # its blank line ends the paragraph, not itself
    return words + chinese / 2 >= 2 or len(_paragraph_sentences(text, start, own_end)) > 1


def _overlapping(spans: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """The sentences (`spans`, in order) that overlap `start:end`, whole: a chunk that cut a
    long sentence in two still offers all of it."""
    found: list[tuple[int, int]] = []
    for span in spans[max(bisect.bisect_right(spans, (start, math.inf)) - 1, 0) :]:
        if span[0] >= end:
            break
        if span[1] > start:
            found.append(span)
    return found


def _rerank(
    scored: list[tuple[float, float, Candidate, int, int]],
    texts: dict[str, str],
    sentence_cosines: SentenceCosines,
    query_vector: Sequence[float],
    found: dict[tuple[str, int], float],
    question_language: str,
) -> list[tuple[float, float, Candidate, int, int]]:
    head, tail = scored[:RERANK_SENTENCES], scored[RERANK_SENTENCES:]
    sentences = [sentence_vector_text(texts[c.article_id], s, e) for _, _, c, s, e in head]
    cosines = sentence_cosines(query_vector, sentences)
    for (_, _, cand, start, _), cos in zip(head, cosines, strict=True):
        found[(cand.article_id, start)] = cos
    low, high = min(cosines), max(cosines)
    spread = (high - low) or 1.0
    rescored = []
    for (score, lexical, cand, start, end), cos, sentence in zip(
        head, cosines, sentences, strict=True
    ):
        english = question_language == "en" and language_of(sentence) == "en"
        weight = ENGLISH_SENTENCE_WEIGHT if english else DENSE_SENTENCE_WEIGHT
        rescored.append(
            ((1 - weight) * score + weight * (cos - low) / spread, lexical, cand, start, end)
        )
    rescored.sort(key=lambda item: -item[0])
    floor = rescored[-1][0] if rescored else 0.0
    # Sentences beyond the reranked head keep their order below it.
    return rescored + [(min(score, floor), *rest) for score, *rest in tail]


def _paragraph_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The sentences of the paragraph (between blank lines) that `start:end` is in."""
    paragraph_start = text.rfind("\n\n", 0, start) + 1 if "\n\n" in text[:start] else 0
    paragraph_end = text.find("\n\n", end)
    paragraph_end = len(text) if paragraph_end < 0 else paragraph_end
    return sentence_spans(text, paragraph_start, paragraph_end)


def _grow_window(text: str, start: int, end: int, scorer: SentenceScorer) -> tuple[int, int]:
    """Extend a sentence with its neighbours (the more relevant side first) up to the limits."""
    start, end = _cut_to_limit(text, start, end, scorer)
    spans = _paragraph_sentences(text, start, end)
    try:
        i = j = next(k for k, (s, e) in enumerate(spans) if s <= start < e)
    except StopIteration:
        return start, end
    while j - i + 1 < MAX_QUOTE_SENTENCES:
        options = []
        if i > 0 and _length(text, spans[i - 1][0], end) <= MAX_QUOTE_CHARS:
            options.append((scorer.coverage(text[spans[i - 1][0] : spans[i - 1][1]]), -1))
        if j + 1 < len(spans) and _length(text, start, spans[j + 1][1]) <= MAX_QUOTE_CHARS:
            options.append((scorer.coverage(text[spans[j + 1][0] : spans[j + 1][1]]) + 0.01, 1))
        if not options:
            break
        _, side = max(options)
        if side < 0:
            i -= 1
            start = spans[i][0]
        else:
            j += 1
            end = spans[j][1]
    return _strip_spaces(text, start, end)


def _grow_passage(
    text: str, start: int, end: int, taken: Sequence[tuple[int, int]] = ()
) -> tuple[int, int]:
    """The passage around the best sentence of an explanation question, within the budget.

    An explanation usually starts at the sentence that matches the question and goes on in
    the ones after it; a sentence that opens with a word continuing the one before (所以,
    这, "This") takes that one first. So: the sentences before while the passage opens with
    such a word, then those after, then those before, each while the whole stays within
    `MAX_QUOTE_CHARS` and the paragraph, and never into a quote already `taken` (a second
    quote may so continue the first).
    """
    start, end = _cut_to_limit(text, start, end)
    before = max((t_end for t_start, t_end in taken if t_end <= start), default=0)
    after = min((t_start for t_start, t_end in taken if t_start >= end), default=len(text))
    spans = [
        (s, e) for s, e in _paragraph_sentences(text, start, end) if before <= s and e <= after
    ]
    here = [k for k, (s, e) in enumerate(spans) if s <= start and end <= e]

    def fits(first: int, last: int) -> bool:
        return _length(text, spans[first][0], spans[last][1]) <= MAX_QUOTE_CHARS

    if not here or not fits(here[0], here[0]):  # a sentence cut to the limit: as it is
        return start, end
    i = j = here[0]

    while i > 0 and _CONTINUES.match(fold(text[spans[i][0] : spans[i][1]])) and fits(i - 1, j):
        i -= 1
    while j + 1 < len(spans) and fits(i, j + 1):
        j += 1
    while i > 0 and fits(i - 1, j):
        i -= 1
    return _strip_spaces(text, spans[i][0], spans[j][1])


def _length(text: str, start: int, end: int) -> int:
    return len(text[start:end].strip())


_CLAUSE_BREAKS = "，,、；;：:"
_CLAUSE = re.compile(f"(?<=[{_CLAUSE_BREAKS}])")


def _cut_to_limit(
    text: str, start: int, end: int, scorer: SentenceScorer | None = None
) -> tuple[int, int]:
    """Cut an over-long sentence to the limit at a soft break: from its start, or, given a
    `scorer`, from the clause (after a comma, a semicolon or a colon) whose window holds
    the most of the question (the first such window on a tie)."""
    start, end = _strip_spaces(text, start, end)
    if end - start <= MAX_QUOTE_CHARS:
        return start, end
    openings = [start]
    if scorer is not None:  # after each clause break that is not inside a number (3,000)
        openings += [
            k + 1
            for k in range(start + 1, end - 1)
            if text[k] in _CLAUSE_BREAKS and not (text[k - 1].isdigit() and text[k + 1].isdigit())
        ]
    best: tuple[float, int, int] | None = None
    for opening in openings:
        window_start, _ = _strip_spaces(text, opening, end)
        if end - window_start <= MAX_QUOTE_CHARS:
            window_end = end
        else:
            window = text[window_start : window_start + MAX_QUOTE_CHARS]
            window_end = window_start + soft_cut(window, _CLAUSE_BREAKS + " ")
        coverage = scorer.coverage(text[window_start:window_end]) if scorer is not None else 0.0
        if best is None or coverage > best[0]:
            best = (coverage, window_start, window_end)
        if window_end >= end:
            break
    assert best is not None
    return _strip_spaces(text, best[1], best[2])


def _strip_spaces(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def is_verbatim(quote_text: str, article_text: str, start: int, end: int) -> bool:
    """The verbatim check every quote passes before it leaves `retrieval/`."""
    return (
        bool(quote_text.strip())
        and 0 <= start < end <= len(article_text)
        and article_text[start:end] == quote_text
    )
