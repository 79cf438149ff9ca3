"""The keyword index: BM25 ranking, kept in step with writes by other processes, persisted,
and never making a question wait for a large update (it answers from the previous index).

Stand-in embeddings (`tests.support.embeddings`): these tests are about the index's
bookkeeping, not about relevance.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from pathlib import Path

import pytest

import retrieval.keyword as keyword
from config import Settings
from ingest.chunking import chunk_article
from ingest.reader import read_text_articles
from ingest.store import ArticleStore
from ingest.text import regional_wordings
from retrieval import Answerer
from retrieval.keyword import KeywordIndex
from tests.support.chroma import ChromaServer
from tests.support.cli import clean_env, run_cli
from tests.support.embeddings import MODEL_NAME, HashEmbeddings
from tests.support.settings import make_settings

LIGHTHOUSE = (
    "# Lighthouse keepers\n\nThe last lighthouse keeper on the island retired in 1987. "
    "Automation replaced the crew, but the lamp still turns every night.\n"
)
SEAGRASS = (
    "# Seagrass meadows\n\nDivers replanted seagrass in the bay. Young fish returned within "
    "two summers.\n"
)
KELP = "# Kelp farming\n\nA kelp farm off the headland harvested forty tonnes this spring.\n"
FERRY = "# 渡轮\n\n港口的电动渡轮现在只需十一分钟就能横渡海湾。\n"


def _add(store: ArticleStore, text: str, name: str) -> str:
    [article] = read_text_articles(text, name)
    store.add_article(article, chunk_article(article, store.settings.chunk_chars))
    return article.article_id


def _found(index: KeywordIndex, question: str) -> list[str]:
    return [hit.article_id for hit in index.search(question, 5)]


@pytest.fixture
def store(tmp_path: Path) -> ArticleStore:
    return ArticleStore(
        make_settings(tmp_path, embedding_model=MODEL_NAME), embeddings=HashEmbeddings()
    )


def test_ranks_the_chunk_with_the_rarer_words_first(store: ArticleStore) -> None:
    lighthouse = _add(store, LIGHTHOUSE, "lighthouse.md")
    seagrass = _add(store, SEAGRASS, "seagrass.md")
    kelp = _add(store, KELP, "kelp.md")
    ferry = _add(store, FERRY, "ferry.md")
    index = KeywordIndex(store)
    assert _found(index, "When did the lighthouse keeper retire?") == [lighthouse]
    assert _found(index, "seagrass fish") == [seagrass]
    assert _found(index, "How much kelp did the farm harvest?")[0] == kelp
    assert _found(index, "渡轮要多久？") == [ferry]  # jieba words, stopwords dropped
    assert _found(index, "What is the capital of Peru?") == []
    assert index.search("", 5) == [] and index.search("lighthouse", 0) == []


def test_follows_this_process_and_persists_for_the_next(store: ArticleStore) -> None:
    lighthouse = _add(store, LIGHTHOUSE, "lighthouse.md")
    index = KeywordIndex(store)
    assert _found(index, "lighthouse keeper") == [lighthouse]
    kelp = _add(store, KELP, "kelp.md")
    assert _found(index, "kelp farm") == [kelp]  # a small change is applied before searching
    store.forget(lighthouse)
    assert _found(index, "lighthouse keeper") == []
    assert index.indexed_revision() == store.revision()

    reopened = KeywordIndex(store)  # a new process opens the file: nothing to fetch
    fetched: list[int] = []
    reopened.on_batch = fetched.append
    assert _found(reopened, "kelp farm") == [kelp]
    assert fetched == [] and reopened.chunk_count() == store.chunk_count()


def test_a_question_during_an_update_is_answered_from_the_previous_index(
    store: ArticleStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    lighthouse = _add(store, LIGHTHOUSE, "lighthouse.md")
    index = KeywordIndex(store)
    assert _found(index, "lighthouse keeper") == [lighthouse]
    answerer = Answerer(store.settings, store=store)
    answerer._indexes[store.name] = index  # the answerer searches this very index
    before = answerer.ask("When did the last lighthouse keeper retire?")
    assert before.confident and before.quotes[0].article_id == lighthouse

    monkeypatch.setattr(keyword, "INLINE_ARTICLES", 0)  # every change is a "large" one
    started, release = threading.Event(), threading.Event()

    def pause(_: int) -> None:
        started.set()
        assert release.wait(timeout=120), "the test never released the update"

    index.on_batch = pause
    seagrass = _add(store, SEAGRASS, "seagrass.md")
    store.forget(lighthouse)
    assert _found(index, "seagrass fish") == []  # the update started and paused ...
    assert started.wait(timeout=120)
    # ... and meanwhile questions are answered from the index as it was.
    assert _found(index, "lighthouse keeper") == [lighthouse]
    assert _found(index, "seagrass fish") == []
    during = answerer.ask("Divers replanted seagrass in the bay")
    assert during.error is None
    [thread] = [t for t in threading.enumerate() if t.name == "keyword-index-update"]

    release.set()
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert _found(index, "seagrass fish") == [seagrass]
    assert _found(index, "lighthouse keeper") == []
    after = answerer.ask("Divers replanted seagrass in the bay")
    assert after.confident and after.quotes[0].article_id == seagrass


def test_a_question_during_the_first_build_waits_for_it(
    store: ArticleStore, caplog: pytest.LogCaptureFixture
) -> None:
    """Two questions at once on a store whose index was never built (a bot's first two
    mentions): the second has no index to answer from, so it waits for the first's build
    instead of searching an empty one."""
    lighthouse = _add(store, LIGHTHOUSE, "lighthouse.md")
    index = KeywordIndex(store)
    building, release = threading.Event(), threading.Event()

    def pause(_: int) -> None:
        building.set()
        assert release.wait(timeout=120), "the test never released the build"

    index.on_batch = pause
    found: dict[str, list[str]] = {}

    def ask(name: str) -> None:
        found[name] = _found(index, "lighthouse keeper")

    first = threading.Thread(target=ask, args=("first",))
    first.start()
    assert building.wait(timeout=120)
    waiting = threading.Event()

    class _Waiting(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "waiting for the first build" in record.getMessage():
                waiting.set()

    handler = _Waiting()
    keyword.log.addHandler(handler)
    caplog.set_level(logging.INFO, logger=keyword.log.name)
    try:
        second = threading.Thread(target=ask, args=("second",))
        second.start()
        assert waiting.wait(timeout=120), "the second question did not wait for the build"
        assert "second" not in found  # still waiting
        release.set()
        first.join(timeout=120)
        second.join(timeout=120)
    finally:
        keyword.log.removeHandler(handler)
    assert found == {"first": [lighthouse], "second": [lighthouse]}


def _citebot(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env(
        CITEBOT_CHROMA_URL=str(settings.chroma_url),
        CITEBOT_CHROMA_PATH=str(settings.chroma_path),
        CITEBOT_EMBEDDING_MODEL=MODEL_NAME,
    )
    done = run_cli(*args, env=env)
    assert done.returncode == 0, done.stderr
    return done


def test_stays_right_when_another_process_ingests_and_forgets(
    tmp_path: Path, chroma_server: ChromaServer
) -> None:
    settings = make_settings(
        tmp_path, chroma_url=chroma_server.url, chroma_path=tmp_path / "bot", embedding_model=MODEL_NAME
    )
    store = ArticleStore(settings, embeddings=HashEmbeddings())
    lighthouse = _add(store, LIGHTHOUSE, "lighthouse.md")
    index = KeywordIndex(store)
    assert _found(index, "lighthouse keeper") == [lighthouse]

    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "seagrass.md").write_text(SEAGRASS)
    (folder / "kelp.md").write_text(KELP)
    _citebot(settings, "ingest", str(folder))  # the ingest container, `watch`, ...
    seagrass, kelp = _found(index, "seagrass fish"), _found(index, "kelp farm")
    assert len(seagrass) == len(kelp) == 1 and seagrass != kelp
    assert _found(index, "lighthouse keeper") == [lighthouse]

    _citebot(settings, "forget", lighthouse)
    assert _found(index, "lighthouse keeper") == []
    assert _found(index, "seagrass fish") == seagrass
    assert index.chunk_count() == store.chunk_count()
    assert index.indexed_revision() == store.revision()


def test_a_question_is_searched_in_the_regional_wording_the_store_holds(
    store: ArticleStore,
) -> None:
    """A Taiwanese article writes Suriname 蘇利南, a mainland reader asks about 苏里南: the
    script folds, the word does not. The wording the index knows is the one searched."""
    suriname = _add(store, "# 蘇利南\n\n蘇利南在1975年脫離荷蘭獨立。\n", "suriname.md")
    _add(store, FERRY, "ferry.md")
    index = KeywordIndex(store)
    question = "苏里南在哪一年独立？"
    worded = index.store_wording(question)
    assert worded == "苏利南在哪一年独立？"  # Simplified still: only the word changed
    [as_asked], [as_stored] = index.search(question, 1), index.search(worded, 1)
    assert as_stored.article_id == suriname and as_stored.bm25 > as_asked.bm25
    assert index.store_wording("渡轮要多久？") == "渡轮要多久？"  # no regional word
    assert index.store_wording("蘇利南在哪一年獨立？") == "蘇利南在哪一年獨立？"  # as asked


def test_a_wording_is_not_taken_for_words_cut_otherwise_around_it(store: ArticleStore) -> None:
    """公尺 (Taiwan) and 米 (mainland) are both in the store, and the mainland wording of the
    question is cut by jieba into one more word the store holds (纳 rather than 为纳). The
    question's own regional word is known, so it is searched as asked."""
    _add(store, "# 卡拉巴赫\n\n大約有一半的納戈爾諾-卡拉巴赫地勢超過950公尺海拔。\n", "karabakh.md")
    _add(store, "# 稻米\n\n一公斤米在市場上賣四十元。\n", "rice.md")
    question = "多少公尺為納戈爾諾卡拉巴赫的平均海拔?"
    assert len(regional_wordings(question)) == 2
    assert KeywordIndex(store).store_wording(question) == question
