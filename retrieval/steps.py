"""The steps of the answer chain, each a function from one typed value to the next.

    Question ─condense→ Search ─retrieve→ Retrieved ─select→ Selection ─write→ Draft
                                                                   └──────────verify→ Answer

Every value is a frozen dataclass; no step changes what it was given. `retrieve` and
`verify` read the store (their inputs name what they read); `condense`, `fuse` and `select`
are pure apart from the sentence-embedding cache and, across languages, the bilingual
encoder's (retrieval/bilingual.py). `Answerer` composes them into the
LangChain runnable, and `Answerer.explain` stops after `select`.
"""

from __future__ import annotations

import logging
import uuid
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from ingest.store import ArticleStore, ChunkHit, StoreUnavailable
from ingest.text import Language, in_script_of, keyword_tokens, language_of
from retrieval.bilingual import BilingualEncoder
from retrieval.keyword import KeywordHit, KeywordIndex
from retrieval.languages import LanguageGate, foreign_names, holds_names, judge
from retrieval.languages import evidence as language_evidence
from retrieval.links import quote_url
from retrieval.models import Answer, Quote, Turn
from retrieval.quotes import (
    Candidate,
    QuoteSpan,
    SentenceCosines,
    is_verbatim,
    select_quotes,
)
from retrieval.relevance import (
    DEFAULT_MIN_CONFIDENCE,
    Decision,
    RelevanceFeatures,
    decide,
    relevance_features,
)
from retrieval.translation import (
    translation_coverage,
    translations_if_readable,
    translations_in_articles,
)

log = logging.getLogger(__name__)

DENSE_K = 30
KEYWORD_K = 30
CANDIDATE_CHUNKS = 8
RRF_K = 60
ARTICLE_SCAN = 1
ARTICLE_DISCOUNT = 0.5
# Across languages the bilingual encoder's ranking of the candidates counts as two votes
# beside the dense and the keyword search's one each. XQuAD en→zh, every 3rd question: the
# first quote is from the gold article for 0.879 without it, 0.902 at 1, 0.904 at 2, 0.912 at
# 4 (answer_hit@300 0.821 / 0.841 / 0.841 / 0.831).
BILINGUAL_VOTE = 2.0

NOT_FOUND = {
    "zh": "抱歉，我在已收录的文章中没有找到与这个问题相关的内容。",
    "en": "I don't know: I found nothing about that in the articles I have.",
}


@dataclass(frozen=True)
class Question:
    """A cleaned question with its conversation (the chain's input)."""

    text: str
    history: tuple[Turn, ...] = ()
    collection: str | None = None
    notes: tuple[str, ...] = ()
    # Passages the conversation already quoted, not quoted again ("Tell me more about that.").
    quoted_before: tuple[QuoteSpan, ...] = ()
    # The language to search in when it is not the question's own: a follow-up with no word
    # of its own ("能详细说说吗？" after an English question) is searched in its conversation's.
    searched_in: Language | None = None
    # The words quotes are chosen by when not the text searched: a follow-up read with its
    # conversation ("1968年呢？") picks its passage by its own words.
    quoted_by: str = ""

    @property
    def language(self) -> Language:
        return language_of(self.text)


@dataclass(frozen=True)
class Search:
    """The question and the standalone text that is searched for it."""

    question: Question
    text: str

    @property
    def language(self) -> Language:
        """The language searched in: the question's, or the one the conversation chose."""
        return self.question.searched_in or self.question.language


@dataclass(frozen=True)
class Retrieved:
    """The chunks hybrid search found (best first) and the texts of their articles."""

    search: Search
    query_vector: Sequence[float]
    # language ('' when the store does not say) → (article id, cosine) of its best chunks
    dense: Mapping[str, tuple[tuple[str, float], ...]]
    candidates: tuple[Candidate, ...]
    texts: Mapping[str, str]
    gate: LanguageGate | None = None  # in a store of both languages
    # When the store holds a language other than the question's (or does not say which: the
    # chunks of an older citebot), the question's words with their translations, and the
    # keyword search of those (article id, BM25), best first.
    translations: tuple[tuple[str, tuple[str, ...]], ...] = ()
    translated: tuple[tuple[str, float], ...] = ()
    # When the candidates are in the other language than the question's: (article id, the
    # bilingual encoder's cosine) of each candidate chunk, best first; and of the best
    # `DENSE_K` chunks of their language in the whole store (`ArticleStore.bilingual_search`).
    bilingual: tuple[tuple[str, float], ...] = ()
    bilingual_store: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Selection:
    """The quotes chosen among the candidates, the relevance features and the decision."""

    retrieved: Retrieved
    spans: tuple[QuoteSpan, ...]
    features: RelevanceFeatures
    decision: Decision

    @property
    def question(self) -> Question:
        return self.retrieved.search.question

    @property
    def confident(self) -> bool:
        return bool(self.spans) and self.decision.confident


@dataclass(frozen=True)
class Draft:
    """The answer text ('' for the extractive lead) and the spans it cites, in order."""

    text: str
    spans: tuple[QuoteSpan, ...] = field(default_factory=tuple)


class Writer(Protocol):
    """Writes an answer around a confident selection (the LLM writer)."""

    def write(self, selection: Selection) -> Draft: ...

    def keep_cited(self, text: str, quote_count: int) -> str: ...


def condense(question: Question, text: str | None = None) -> Search:
    """The search for one reading of the question: its own text, or `text` (the question
    with its conversation, chosen by retrieval/conversation.py)."""
    return Search(question, question.text if text is None else text)


def fuse(*rankings: Sequence[str]) -> dict[str, float]:
    """Reciprocal-rank fusion of rankings of ids (the dense and keyword ones): id → score."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, chunk_id in enumerate(ranking):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
    return fused


def retrieve(
    search: Search,
    store: ArticleStore,
    index: KeywordIndex,
    bilingual: BilingualEncoder | None = None,
) -> Retrieved:
    """Dense and keyword search, fused; the best chunks become candidates (scores 0..1).

    In a store of both languages each language's chunks are searched on their own and the
    language gate (retrieval/languages.py) decides which language holds the answer: only its
    chunks become candidates, so the question's own language cannot crowd the answer out.
    A Chinese question is searched in the regional wording the store holds best
    (`KeywordIndex.store_wording`). Candidates in the other language than the question's are
    re-ranked with `bilingual`'s vote too (`vote_by_cosine`), and the store's chunks of their
    language are searched with the bilingual model as well (`Retrieved.bilingual_store`:
    evidence for the decision).
    """
    with _reading_store():
        search = replace(search, text=index.store_wording(search.text))
    # The question's vector is the model's work, not the store's: a failure there is not
    # told as a store that is down.
    query_vector = store.embeddings.embed_query(search.text)
    with _reading_store():
        store.heartbeat()
        languages = sorted(store.languages())
        if len(languages) > 1:
            by_language = {
                lang: store.dense_search(query_vector, DENSE_K, language=lang) for lang in languages
            }
        else:
            by_language = {
                languages[0] if languages else "": store.dense_search(query_vector, DENSE_K)
            }
        keyword = index.search(search.text, KEYWORD_K)
        translations: tuple[tuple[str, tuple[str, ...]], ...] = ()
        translated: tuple[tuple[str, float], ...] = ()
        if not languages or any(lang != search.language for lang in languages):
            translations = _translations(search.text)
            tokens = [word for _, words in translations for word in words]
            translated = tuple(
                (h.article_id, h.bm25) for h in index.search_tokens(tokens, KEYWORD_K)
            )
        dense_by_id = {h.chunk_id: h for hits in by_language.values() for h in hits}
        extra: dict[str, tuple[str, dict[str, Any]]] = {}
        if len(by_language) > 1:  # the language of every keyword hit is needed
            missing = [h.chunk_id for h in keyword if h.chunk_id not in dense_by_id]
            extra = store.chunks_by_id(missing) if missing else {}
    language_by_id = {cid: hit.language for cid, hit in dense_by_id.items()}
    language_by_id.update(
        {cid: str(meta.get("language") or "") for cid, (_, meta) in extra.items()}
    )
    gate = None
    if len(by_language) > 1:
        names = foreign_names(search.text, search.language)
        names_held = (
            _names_held(names, store, by_language, keyword, language_by_id, translated)
            if names
            else {}
        )
        gate = _judge_languages(
            search.language,
            by_language,
            keyword,
            language_by_id,
            translated,
            _bilingual_tops(bilingual, search.text, store, list(by_language)),
            names_held,
        )
    if gate is None:
        dense = next(iter(by_language.values()))
        ranking = [h.chunk_id for h in keyword]
    else:
        dense = by_language[gate.answer_language]
        ranking = [
            h.chunk_id for h in keyword if language_by_id.get(h.chunk_id) == gate.answer_language
        ]
    fused = fuse([h.chunk_id for h in dense], ranking)
    top = max(fused.values(), default=1.0)
    scores = {chunk_id: value / top for chunk_id, value in fused.items()}
    best_ids = sorted(scores, key=lambda c: -scores[c])[:CANDIDATE_CHUNKS]
    with _reading_store():
        missing = [c for c in best_ids if c not in dense_by_id and c not in extra]
        extra.update(store.chunks_by_id(missing) if missing else {})
        candidates = _candidates(best_ids, scores, dense_by_id, extra)
        texts = store.article_texts([c.article_id for c in candidates])
    candidates, bilingual_hits, bilingual_store = _bilingual_opinion(
        search, candidates, texts, bilingual, top, store
    )
    # The answer may sit in a chunk of the best article that ranked lower: its whole text
    # is searched too, at a discount, so the sentence scorer can still find it there.
    for article_id in list(dict.fromkeys(c.article_id for c in candidates))[:ARTICLE_SCAN]:
        best = max((c for c in candidates if c.article_id == article_id), key=lambda c: c.score)
        text = texts.get(article_id, "")
        candidates.append(
            Candidate(article_id, 0, len(text), best.score * ARTICLE_DISCOUNT, 0.0, best.language)
        )
    return Retrieved(
        search=search,
        query_vector=query_vector,
        dense={
            lang: tuple((h.article_id, h.cosine) for h in hits)
            for lang, hits in by_language.items()
        },
        candidates=tuple(candidates),
        texts=texts,
        gate=gate,
        translations=translations,
        translated=translated,
        bilingual=bilingual_hits,
        bilingual_store=bilingual_store,
    )


def _bilingual_opinion(
    search: Search,
    candidates: list[Candidate],
    texts: Mapping[str, str],
    bilingual: BilingualEncoder | None,
    top_fused: float,
    store: ArticleStore,
) -> tuple[list[Candidate], tuple[tuple[str, float], ...], tuple[tuple[str, float], ...]]:
    """When every candidate is in the other language than the question's: the candidates
    re-ranked with the bilingual encoder's vote (`vote_by_cosine`), its cosine of each
    candidate chunk and of the store's best chunks of their language, as (article id,
    cosine), best first. Otherwise the candidates as they are."""
    own = search.language
    if bilingual is None or not candidates:
        return candidates, (), ()
    if not all(c.language and c.language != own for c in candidates):
        return candidates, (), ()
    chunks = [texts.get(c.article_id, "")[c.start : c.end] for c in candidates]
    cosines = _bilingual_cosines(bilingual, search.text, chunks)
    if cosines is None:
        return candidates, (), ()
    ids = [c.article_id for c in candidates]
    hits = sorted(zip(ids, cosines, strict=True), key=lambda hit: -hit[1])
    in_store = _bilingual_store_hits(bilingual, search.text, store, candidates[0].language)
    return vote_by_cosine(candidates, cosines, top_fused), tuple(hits), in_store


@contextmanager
def _reading_store() -> Iterator[None]:
    """Any failure while reading the store is told as a store that cannot be searched
    (`StoreUnavailable`, which the adapters turn into their apology), not as a crash."""
    try:
        yield
    except StoreUnavailable:
        raise
    except Exception as exc:
        raise StoreUnavailable(f"search failed: {exc.__class__.__name__}: {exc}") from exc


def _bilingual_store_hits(
    bilingual: BilingualEncoder, question: str, store: ArticleStore, language: str
) -> tuple[tuple[str, float], ...]:
    """The store's best `DENSE_K` chunks of `language` by the bilingual model, as (article
    id, cosine); none (logged) while the store lacks some chunk's bilingual vector."""
    try:
        found = store.bilingual_search(bilingual.vector(question), DENSE_K, language=language)
    except Exception as exc:
        log.warning("bilingual search failed (%s: %s)", exc.__class__.__name__, exc)
        return ()
    if not found and store not in _WARNED_INCOMPLETE:
        _WARNED_INCOMPLETE.add(store)
        log.warning(
            "the store %r has chunks without bilingual vectors; questions across languages "
            "are judged without its bilingual search until the next ingest adds them",
            store.name,
        )
    return tuple((hit.article_id, hit.cosine) for hit in found)


# Stores whose missing bilingual vectors were logged: once per store, not per question.
_WARNED_INCOMPLETE: weakref.WeakSet[ArticleStore] = weakref.WeakSet()


def vote_by_cosine(
    candidates: Sequence[Candidate], cosines: Sequence[float], top_fused: float
) -> list[Candidate]:
    """The candidates re-ranked with one more ranking in their reciprocal-rank fusion: by
    `cosines` (one per candidate), weighing `BILINGUAL_VOTE` rankings. The scores are fused
    scores divided by `top_fused` (the best one before the vote); they stay relative to the
    best one after it."""
    order = sorted(range(len(candidates)), key=lambda i: -cosines[i])
    vote = {i: BILINGUAL_VOTE / (RRF_K + rank) / top_fused for rank, i in enumerate(order)}
    rescored = [replace(c, score=c.score + vote[i]) for i, c in enumerate(candidates)]
    top = max((c.score for c in rescored), default=1.0)
    return sorted((replace(c, score=c.score / top) for c in rescored), key=lambda c: -c.score)


def _bilingual_cosines(
    bilingual: BilingualEncoder, question: str, texts: Sequence[str]
) -> list[float] | None:
    """The bilingual encoder's cosines; None if it cannot run (the question is then judged
    without its opinion — more often "I don't know" across languages —, not refused)."""
    try:
        return bilingual.cosines(question, texts)
    except Exception as exc:
        log.warning(
            "bilingual encoder unavailable (%s: %s); judging without it",
            exc.__class__.__name__,
            exc,
        )
        return None


def _translations(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The question's words with their translations (none if the dictionary cannot be read)."""
    return tuple(translations_if_readable(text))


def _bilingual_tops(
    bilingual: BilingualEncoder | None, question: str, store: ArticleStore, languages: list[str]
) -> dict[str, float]:
    """The bilingual model's best cosine of the question and each language's chunks; none
    (the gate then judges alone) when it cannot run or the store lacks bilingual vectors."""
    if bilingual is None:
        return {}
    try:
        vector = bilingual.vector(question)
        found = {lang: store.bilingual_search(vector, 1, language=lang) for lang in languages}
    except Exception as exc:
        log.warning("bilingual search failed (%s: %s)", exc.__class__.__name__, exc)
        return {}
    return {lang: hits[0].cosine for lang, hits in found.items() if hits}


def _judge_languages(
    own: str,
    by_language: Mapping[str, Sequence[ChunkHit]],
    keyword: Sequence[KeywordHit],
    language_by_id: Mapping[str, str],
    translated: Sequence[tuple[str, float]],
    bilingual_tops: Mapping[str, float],
    names_held: Mapping[str, bool | None],
) -> LanguageGate:
    """The language gate for a question in `own` language, from each language's dense hits,
    its share of the keyword hits, (for the other language) the translated search's hits —
    the translation's words are the other language's, so its hits are taken as such —,
    each language's best bilingual cosine and whether its best articles hold the names."""
    other = next((lang for lang in by_language if lang != own), own)
    found = {
        lang: language_evidence(
            lang,
            [(h.article_id, h.cosine) for h in by_language[lang]],
            [(h.article_id, h.bm25) for h in keyword if language_by_id.get(h.chunk_id) == lang],
            translated if lang != own else (),
            bilingual_tops.get(lang),
            names_held.get(lang),
        )
        for lang in (own, other)
    }
    return judge(own, found[own], found[other])


# How many of each language's best articles by dense search are read for the question's names.
NAME_ARTICLES = 3


def _names_held(
    names: Sequence[str],
    store: ArticleStore,
    by_language: Mapping[str, Sequence[ChunkHit]],
    keyword: Sequence[KeywordHit],
    language_by_id: Mapping[str, str],
    translated: Sequence[tuple[str, float]],
) -> dict[str, bool | None]:
    """Per language, whether its best articles hold the names (`holds_names`): its
    `NAME_ARTICLES` best by dense search, and the best of the keyword search and of the
    translated search when they are in that language."""
    best = {
        lang: list(dict.fromkeys(h.article_id for h in hits))[:NAME_ARTICLES]
        for lang, hits in by_language.items()
    }
    language_of_article = {h.article_id: lang for lang, hits in by_language.items() for h in hits}
    for hit in keyword:
        language_of_article.setdefault(hit.article_id, language_by_id.get(hit.chunk_id, ""))
    firsts = [hit.article_id for hit in keyword[:1]] + [a for a, _ in translated[:1]]
    for lang, ids in best.items():
        ids += [a for a in firsts if language_of_article.get(a) == lang and a not in ids]
    with _reading_store():
        texts = store.article_texts([a for ids in best.values() for a in ids])
    return {
        lang: holds_names([texts[a] for a in ids if a in texts], names)
        for lang, ids in best.items()
    }


def _candidates(
    best_ids: Sequence[str],
    scores: Mapping[str, float],
    dense_by_id: Mapping[str, ChunkHit],
    extra: Mapping[str, tuple[str, dict[str, Any]]],
) -> list[Candidate]:
    """The chunks of `best_ids` as candidates, from their dense hit or their stored record."""
    candidates: list[Candidate] = []
    for chunk_id in best_ids:
        if chunk_id in dense_by_id:
            hit = dense_by_id[chunk_id]
            place = (hit.article_id, hit.start, hit.end, hit.cosine, hit.language)
        elif chunk_id in extra:
            meta = extra[chunk_id][1]
            article_id, start, end = str(meta["article_id"]), int(meta["start"]), int(meta["end"])
            place = (article_id, start, end, 0.0, str(meta.get("language") or ""))
        else:
            continue
        candidates.append(Candidate(*place[:3], scores[chunk_id], *place[3:]))
    return candidates


def select(
    retrieved: Retrieved,
    sentence_cosines: SentenceCosines | None,
    max_quotes: int,
    threshold: float = DEFAULT_MIN_CONFIDENCE,
    bilingual: BilingualEncoder | None = None,
) -> Selection:
    """The best quotes among the candidates, and whether they answer the question (a quote
    in the other language than the question's is also judged by `bilingual`)."""
    quoted_by = retrieved.search.question.quoted_by or retrieved.search.text
    spans = tuple(
        select_quotes(
            quoted_by,
            list(retrieved.candidates),
            dict(retrieved.texts),
            max_quotes,
            sentence_cosines=sentence_cosines,
            query_vector=retrieved.query_vector,
            # and the names the articles translate themselves ("陳信翰(Mark Chen)")
            translations=(
                *retrieved.translations,
                *translations_in_articles(quoted_by, retrieved.texts.values()),
            ),
            quoted_before=retrieved.search.question.quoted_before,
        )
    )
    # The text searched, not the question: "Why?" read with its conversation has words.
    if spans and has_words(retrieved.search.text):
        best = spans[0]
        quoted = retrieved.texts.get(best.article_id, "")[best.start : best.end]
        quote_language = language_of(quoted)
        # Cosines are compared with the chunks of the quote's language only (in a store of
        # one language, or of chunks that do not say theirs, with the whole store).
        dense = retrieved.dense.get(quote_language) or next(iter(retrieved.dense.values()), ())
        gate = retrieved.gate
        certainty = 1.0 if gate is None else gate.certainty(quote_language)
        crossing = retrieved.search.language != quote_language
        translated = retrieved.translated
        paired = None
        if crossing and bilingual is not None:
            paired = _bilingual_cosines(bilingual, retrieved.search.text, [quoted])
        features = relevance_features(
            dense,
            best.lexical,
            max(span.cosine for span in spans),
            cross_language=crossing,
            language_certainty=certainty,
            translated_agrees=crossing and bool(translated) and translated[0][0] == best.article_id,
            translated_coverage=translation_coverage(retrieved.translations, quoted)
            if crossing
            else 0.0,
            question=retrieved.search.question.text,
            question_language=retrieved.search.language,
            quote=quoted,
            bilingual=paired[0] if paired else 0.0,
            bilingual_hits=retrieved.bilingual,
            bilingual_store_hits=retrieved.bilingual_store,
            quote_article=best.article_id,
        )
    else:
        features = RelevanceFeatures()
    return Selection(retrieved, spans, features, decide(features, threshold))


def write(selection: Selection, writer: Writer | None) -> Draft:
    """The LLM's answer around a confident selection, or the extractive draft."""
    if writer is not None and selection.confident:
        draft = writer.write(selection)
        if draft.text:
            return draft
    return Draft("", selection.spans)


def verify(
    selection: Selection, draft: Draft, store: ArticleStore, writer: Writer | None = None
) -> Answer:
    """The `Answer`: each cited span is checked against the article as stored, then quoted.

    The article text is read from the store again (not from the texts the spans were cut
    from), so a quote that is not the stored text at its offsets never leaves `retrieval/`.
    """
    question = selection.question
    searched = store.article_count()
    answer_id = uuid.uuid4().hex[:12]
    not_found = Answer(
        question.text,
        in_script_of(question.text, NOT_FOUND[question.language]),
        False,
        [],
        answer_id,
        searched,
        notes=list(question.notes),
    )
    if not selection.confident or not draft.spans:
        return not_found
    stored = store.article_texts([s.article_id for s in draft.spans], cached=False)
    records = {}
    quotes: list[Quote] = []
    for span in draft.spans:
        quote_text = selection.retrieved.texts.get(span.article_id, "")[span.start : span.end]
        if not is_verbatim(quote_text, stored.get(span.article_id, ""), span.start, span.end):
            log.warning("dropped a quote that is not verbatim in %s", span.article_id)
            continue
        record = records.get(span.article_id) or store.article(span.article_id)
        if record is None:
            continue
        records[span.article_id] = record
        page = record.page_at(span.start)
        quotes.append(
            Quote(
                text=quote_text,
                title=record.title,
                url=(
                    quote_url(record.url, quote_text, record.file_format, page)
                    if record.url
                    else None
                ),
                published=record.published,
                source=record.source,
                article_id=span.article_id,
                start=span.start,
                end=span.end,
                score=round(span.score, 4),
                page=page,
                other_sources=record.other_sources,
            )
        )
    if not quotes:
        return not_found
    text = draft.text or extractive_lead(quotes, question.language, question.text)
    if writer is not None and draft.text:
        text = writer.keep_cited(text, len(quotes))
    return Answer(
        question.text, text, True, quotes, answer_id, searched, notes=list(question.notes)
    )


# No word is longer than this; a question made only of longer "words" (xxxxxxxx…) is noise,
# whose vector can land near anything.
MAX_WORD_CHARS = 40


def has_words(text: str) -> bool:
    """Whether a question holds at least one keyword that could be a word."""
    return any(len(token) <= MAX_WORD_CHARS for token in keyword_tokens(text))


def extractive_lead(quotes: list[Quote], language: str, question: str = "") -> str:
    """The line above the quotes when no LLM writes the answer, in the question's language
    and script (the titles stay as the articles write them)."""
    titles = list(dict.fromkeys(q.title for q in quotes))
    if language == "zh":
        more = f"等 {len(titles)} 篇文章：" if len(titles) > 1 else "："
        return in_script_of(question, "以下摘录来自《") + titles[0] + "》" + more
    if len(titles) == 1:
        return f"Here is what “{titles[0]}” says:"
    return f"Here is what {len(titles)} articles say:"
