"""Crash safety and concurrency: nothing lost, nothing doubled, nobody gets another's answer.

- A `citebot ingest` SIGKILLed between two chunk writes of an article leaves a usable store,
  and the next run completes it without duplicates and without re-embedding what was written.
  The kill point is made deterministic by gated stand-in embeddings
  (`tests.support.embeddings.GatedHashEmbeddings`), not by timing.
- Two ingests of overlapping folders at once, as two threads sharing one `ArticleStore`. The
  embedded Chroma store is single-process by design (several processes writing one
  directory is not supported by Chroma); a multi-process deployment uses the Chroma server
  (`CITEBOT_CHROMA_URL`), which serialises writes itself.
- 50 questions in parallel (`asyncio.gather` of `Answerer.aask`) get the answers they get
  one at a time.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from config import Settings
from ingest.chunking import chunk_article
from ingest.models import IngestReport
from ingest.pipeline import ingest_paths, read_inputs
from ingest.store import WRITE_BATCH, ArticleStore
from ingest.store._writing import EMBED_STEP
from retrieval import Answer, Answerer
from retrieval.keyword import KeywordIndex
from tests.ingest.store_checks import assert_consistent
from tests.support.cli import clean_env
from tests.support.embeddings import GATED_MODEL_NAME, MODEL_NAME, HashEmbeddings
from tests.support.settings import REPO, make_settings

_SENTENCES = [
    "The harbour authority approved a new ferry terminal after a long public consultation.",
    "Engineers expect the pilings to be finished before the autumn storms arrive.",
    "Local fishermen asked for a separate quay so that their boats are not crowded out.",
    "The council will publish the full budget for the project early next year.",
]


def _long_article(topic: str, chunks_wanted: int) -> str:
    """An English article long enough for about `chunks_wanted` chunks of 300 characters."""
    lines = [f"{topic} report"]
    for i in range(chunks_wanted * 4):
        lines.append(f"{topic} note {i}: {_SENTENCES[i % len(_SENTENCES)]}")
    return "\n\n".join(lines) + "\n"


def _crash_corpus(folder: Path) -> Path:
    folder.mkdir()
    (folder / "a-lighthouse.md").write_text(
        "# Lighthouse keepers\n\nThe last lighthouse keeper on the island retired in 1987. "
        "Automation replaced the crew, but the lamp still turns every night.\n"
    )
    (folder / "b-harbour.md").write_text(_long_article("Harbour", 300))  # two write batches
    (folder / "c-seagrass.md").write_text(
        "# Seagrass meadows\n\nDivers replanted seagrass in the bay. Young fish returned within two summers.\n"
    )
    (folder / "d-kelp.md").write_text(
        "# Kelp farming\n\nA kelp farm off the headland harvested forty tonnes this spring.\n"
    )
    return folder


def _expected_chunks(folder: Path, settings: Settings) -> dict[str, int]:
    """Article id -> how many chunks a complete ingest stores for it."""
    report = IngestReport()
    articles = read_inputs([folder], 10_000_000, report)
    assert not report.skipped
    return {a.article_id: len(chunk_article(a, settings.chunk_chars)) for a in articles}


def _wait_for(path: Path, process: subprocess.Popen[bytes], deadline_s: float) -> None:
    deadline = time.monotonic() + deadline_s
    while not path.exists():
        if process.poll() is not None:
            raise AssertionError(f"ingest ended (code {process.returncode}) before the gate")
        if time.monotonic() > deadline:
            raise AssertionError(f"ingest did not reach the gate within {deadline_s:.0f} s")
        time.sleep(0.05)  # polling interval, not a timing assumption


@pytest.mark.slow
def test_an_ingest_killed_midway_leaves_a_usable_store_and_a_rerun_completes_it(
    tmp_path: Path,
) -> None:
    corpus = _crash_corpus(tmp_path / "corpus")
    settings = make_settings(tmp_path, embedding_model=GATED_MODEL_NAME)
    expected = _expected_chunks(corpus, settings)
    by_size = sorted(expected, key=expected.get)  # type: ignore[arg-type]
    harbour_id = by_size[-1]
    assert expected[harbour_id] > WRITE_BATCH

    gate = tmp_path / "gate"
    gate.mkdir()
    env = clean_env(
        CITEBOT_CHROMA_PATH=str(settings.chroma_path),
        CITEBOT_EMBEDDING_MODEL=GATED_MODEL_NAME,
        TEST_INGEST_GATE_DIR=str(gate),
        # Embedding calls: two per step of EMBED_STEP chunks (the chunks, then the sentences
        # they begin), WRITE_BATCH chunks to a write; the first write holds the lighthouse
        # article and the start of the harbour article. Blocking on the first call of the
        # second write leaves the lighthouse article complete and part of the harbour written.
        TEST_INGEST_GATE_AFTER=str(2 * (WRITE_BATCH // EMBED_STEP)),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "ingest", str(corpus)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        _wait_for(gate / "blocked", process, deadline_s=240)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL

    store = ArticleStore(settings, embeddings=HashEmbeddings())
    records = {r.article_id: r for r in store.articles()}
    assert len(records) == 1, "only the first article was complete at the kill"
    (first_id,) = records
    partial = store.chunk_count() - expected[first_id]
    assert partial == WRITE_BATCH - expected[first_id], "the kill should fall between two writes"

    # Usable as it is: listing, keyword search and answering see only complete articles.
    index = KeywordIndex(store)
    assert {h.article_id for h in index.search("lighthouse keeper retired", 5)} == {first_id}
    answerer = Answerer(settings, store=store)
    for question in ["When did the last lighthouse keeper retire?", "Harbour note 12 ferry terminal"]:
        answer = answerer.ask(question)
        assert answer.error is None
        assert {q.article_id for q in answer.quotes} <= {first_id}

    report = ingest_paths([corpus], store, show_progress=False)
    assert report.articles == len(expected) and not report.skipped
    assert report.chunks_unchanged == expected[first_id] + partial  # nothing embedded twice
    assert report.chunks_added == sum(expected.values()) - expected[first_id] - partial
    assert {r.article_id: r.chunks for r in store.articles()} == expected
    assert store.chunk_count() == sum(expected.values())
    assert_consistent(store)
    assert harbour_id in {h.article_id for h in index.search("harbour ferry terminal", 5)}

    again = ingest_paths([corpus], store, show_progress=False)
    assert (again.chunks_added, again.chunks_removed) == (0, 0)
    assert store.chunk_count() == sum(expected.values())


def test_two_ingests_of_overlapping_folders_at_once_do_not_duplicate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "corpus"
    (root / "shared").mkdir(parents=True)
    (root / "shared" / "one.md").write_text("# One\n\nThe first shared article talks about bridges.\n")
    (root / "shared" / "two.md").write_text("# Two\n\n第二篇共享的文章讨论隧道工程。\n")
    (root / "own.md").write_text("# Own\n\nOnly the outer folder has this article about canals.\n")
    (root / "copy-of-one.md").write_text("# One\n\nThe first shared article talks about bridges.\n")
    settings = make_settings(tmp_path, embedding_model=MODEL_NAME)
    store = ArticleStore(settings, embeddings=HashEmbeddings())
    expected = _expected_chunks(root, settings)
    assert len(expected) == 3  # copy-of-one has the same text as one: the same article

    # Make both threads pass the "already stored?" check before either writes anything.
    both_checked = threading.Barrier(2, timeout=30)
    real_article = store.article
    waited: set[int] = set()

    def article(article_id: str):  # type: ignore[no-untyped-def]
        if threading.get_ident() not in waited:
            waited.add(threading.get_ident())
            both_checked.wait()
        return real_article(article_id)

    monkeypatch.setattr(store, "article", article)
    reports: dict[str, IngestReport] = {}
    errors: list[BaseException] = []

    def run(name: str, folder: Path) -> None:
        try:
            reports[name] = ingest_paths([folder], store, show_progress=False)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=("outer", root)),
        threading.Thread(target=run, args=("inner", root / "shared")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert reports["outer"].articles == 3 and reports["inner"].articles == 2
    added = reports["outer"].chunks_added + reports["inner"].chunks_added
    assert added == sum(expected.values()), "a chunk was embedded and written twice"
    monkeypatch.undo()
    assert {r.article_id: r.chunks for r in store.articles()} == expected
    assert store.chunk_count() == sum(expected.values())
    assert_consistent(store)


def _fifty_questions(answerer: Answerer) -> list[str]:
    """Fifty different questions made from the sample articles' own sentences."""
    store = answerer.store()
    records = store.articles()
    texts = store.article_texts([r.article_id for r in records])
    questions: list[str] = []
    for step in range(200):
        for record in records:
            sentences = [s for s in texts[record.article_id].split("\n") if 25 <= len(s) <= 200]
            if step < len(sentences):
                question = sentences[step][:40]
                if question not in questions:
                    questions.append(question)
            if len(questions) == 50:
                return questions
    raise AssertionError(f"only {len(questions)} questions in the sample articles")


async def test_fifty_parallel_questions_are_answered_and_not_mixed_up(
    sample_answerer: Answerer,
) -> None:
    questions = _fifty_questions(sample_answerer)
    one_by_one = [sample_answerer.ask(q) for q in questions]
    latencies: list[float] = []

    async def timed(question: str) -> Answer:
        asked = time.perf_counter()
        answer = await sample_answerer.aask(question)
        latencies.append(time.perf_counter() - asked)
        return answer

    started = time.perf_counter()
    together = await asyncio.gather(*(timed(q) for q in questions))
    elapsed = time.perf_counter() - started
    assert len(together) == 50
    for question, alone, parallel in zip(questions, one_by_one, together, strict=True):
        assert parallel.question == question
        assert parallel.error is None
        assert parallel.confident == alone.confident
        assert [(q.article_id, q.start, q.end) for q in parallel.quotes] == [
            (q.article_id, q.start, q.end) for q in alone.quotes
        ], question
    assert sum(a.confident for a in together) >= 40  # the questions are the articles' words
    assert len({a.answer_id for a in together}) == 50
    p95 = sorted(latencies)[int(0.95 * len(latencies)) - 1]
    print(f"\n50 parallel questions: {50 / elapsed:.1f} questions/s, p95 latency {p95:.2f} s")


class _FailingEmbeddings(HashEmbeddings):
    """Fails on one call, like a process that dies between two chunk writes."""

    def __init__(self, fail_on_call: int) -> None:
        self.calls = 0
        self.fail_on_call = fail_on_call

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise RuntimeError("killed")
        return super().embed_documents(texts)


def test_an_article_edited_after_an_interrupted_ingest_leaves_no_orphan_chunks(
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    article = corpus / "harbour.md"
    article.write_text(_long_article("Harbour", 300))
    settings = make_settings(tmp_path, embedding_model=MODEL_NAME)
    # Two embedding calls per step of EMBED_STEP chunks (chunks, then their sentences): the
    # first call of the second write of WRITE_BATCH chunks fails.
    first_of_second_write = 2 * (WRITE_BATCH // EMBED_STEP) + 1
    failing = ArticleStore(settings, embeddings=_FailingEmbeddings(first_of_second_write))
    with pytest.raises(RuntimeError, match="killed"):
        ingest_paths([corpus], failing, show_progress=False)
    assert failing.articles() == [] and failing.chunk_count() == WRITE_BATCH  # partly written

    article.write_text(_long_article("Harbour", 300).replace("ferry terminal", "cruise terminal"))
    store = ArticleStore(settings, embeddings=HashEmbeddings())
    report = ingest_paths([corpus], store, show_progress=False)
    assert report.articles == 1
    assert_consistent(store)  # the unfinished version's chunks are gone
    assert store.chunk_count() == sum(_expected_chunks(corpus, settings).values())
