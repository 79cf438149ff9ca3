"""A corpus folder full of bad input: each bad file is reported by name, every good one lands.

The folder is built in `tmp_path`: two plain good articles, three good articles in legacy
encodings (GBK, Big5, UTF-16 without BOM) that must come out as the right text, a good file
with spaces, emoji and Chinese in its name, and one of each kind of bad file. Embeddings are
the instant hash stand-in: these tests are about bookkeeping, not relevance.
"""

from __future__ import annotations

import builtins
import json
import os
from pathlib import Path

import pytest

from config import Settings
from ingest.models import IngestReport
from ingest.pipeline import ingest_paths, read_inputs
from ingest.reader import UnreadableArticle, read_article_file
from ingest.store import ArticleStore
from retrieval.keyword import KeywordIndex
from tests.ingest.store_checks import assert_consistent
from tests.support.cli import clean_env, run_cli
from tests.support.embeddings import MODEL_NAME, HashEmbeddings
from tests.support.settings import make_settings

SOLAR = "Farmers in Kansas installed solar panels above their crops. The shade cut water use by a third."
TIDAL = "A tidal turbine off the coast of Orkney powered two thousand homes through the winter."
NEWSROOM = "人工智能正在改变新闻业。记者们使用语言模型整理采访记录，编辑们则担心事实核查的负担越来越重。"
CHIPS = "臺灣的半導體產業持續擴張。晶圓代工廠在南部興建新廠，工程師們討論著先進製程的良率問題。"
RAIL = "高速铁路网络继续向西部延伸。新线路通车后，两座城市之间的旅行时间缩短到三个小时。"
MARS = "火星探测器在陨石坑边缘发现了古老湖床的痕迹，科学家认为这里曾经存在液态水。"
DAMAGED = "这篇文章在传输中损坏了。它的大部分字节仍是合法的编码，但中间少了一个字节，因此无法完整解码。"

# file name -> (bytes, a passage the stored article text must contain)
GOOD: dict[str, tuple[bytes, str]] = {
    "solar.md": (f"# Solar panels on farms\n\n{SOLAR}\n".encode(), SOLAR),
    "tidal.txt": (f"Tidal power pilot\n\n{TIDAL}\n".encode(), TIDAL),
    "newsroom-gbk.txt": (NEWSROOM.encode("gbk"), NEWSROOM),
    "chips-big5.txt": (CHIPS.encode("big5"), CHIPS),
    "rail-utf16.txt": (f"High-speed rail\n\n{RAIL}\n".encode("utf-16-le"), RAIL),
    "火星 探测 🚀 notes.md": (f"火星探测\n\n{MARS}\n".encode(), MARS),
}

# file name -> words its skip reason must contain
BAD: dict[str, str] = {
    "header-only.txt": "no text",
    "zero.md": "empty file",
    "photo.txt": "binary",
    "damaged-utf8.txt": "invalid UTF-8",
    "huge.txt": "too large",
    "blank.txt": "only whitespace",
    "scripts-only.html": "no article text",
    "loop-a.md": "symlink loop",
    "loop-b.md": "symlink loop",
    "dangling.md": "broken link",
    "pipe.txt": "not a regular file",
    "locked.txt": "permission denied",
    "passwd.txt": "symlink leading outside",
}

HUGE_BYTES = 50_000_000


def _write_corpus(folder: Path) -> Path:
    folder.mkdir()
    for name, (data, _) in GOOD.items():
        (folder / name).write_bytes(data)
    (folder / "header-only.txt").write_text("> title: Coming soon\n\n\n")
    (folder / "zero.md").write_bytes(b"")
    (folder / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64)
    damaged = DAMAGED.encode()
    (folder / "damaged-utf8.txt").write_bytes(damaged[:31] + damaged[32:])
    with open(folder / "huge.txt", "wb") as sparse:  # 50 MB of holes: instant, no disk used
        sparse.truncate(HUGE_BYTES)
    (folder / "blank.txt").write_text("   \n\n\t  \n \u3000\n")
    (folder / "scripts-only.html").write_text(
        "<html><head><script>window.a = 1;</script></head>"
        "<body><script>document.write('<p>hello</p>')</script><noscript></noscript></body></html>"
    )
    os.symlink("loop-b.md", folder / "loop-a.md")
    os.symlink("loop-a.md", folder / "loop-b.md")
    os.symlink("gone.md", folder / "dangling.md")
    os.mkfifo(folder / "pipe.txt")
    outside = folder.parent / "outside-secret.txt"
    outside.write_text("root:x:0:0:root:/root:/bin/bash — not an article, never quotable.")
    os.symlink(outside, folder / "passwd.txt")
    (folder / "locked.txt").write_text("A perfectly good article that the process may not read.")
    return folder


def _deny_locked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as root, where chmod 000 does not stop reads: refuse the read instead."""
    real_read_bytes = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return _write_corpus(tmp_path / "corpus")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, max_file_mb=1, embedding_model=MODEL_NAME)


@pytest.fixture
def ingested(
    corpus: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> tuple[ArticleStore, IngestReport]:
    _deny_locked(monkeypatch)
    store = ArticleStore(settings, embeddings=HashEmbeddings())
    report = ingest_paths([corpus], store, show_progress=False)
    return store, report


def _by_source_name(store: ArticleStore) -> dict[str, str]:
    """Stored file name -> article id."""
    return {Path(r.source).name: r.article_id for r in store.articles()}


def test_each_bad_file_is_reported_by_name_with_its_reason(
    ingested: tuple[ArticleStore, IngestReport],
) -> None:
    _, report = ingested
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert set(reasons) == set(BAD), reasons
    for name, expected in BAD.items():
        assert expected.lower() in reasons[name].lower(), (name, reasons[name])
    assert report.articles == len(GOOD)


def test_every_good_file_is_ingested_with_the_right_text(
    ingested: tuple[ArticleStore, IngestReport],
) -> None:
    store, _ = ingested
    ids = _by_source_name(store)
    assert set(ids) == set(GOOD)
    texts = store.article_texts(list(ids.values()))
    for name, (_, passage) in GOOD.items():
        assert passage in texts[ids[name]], name
    titles = {Path(r.source).name: r.title for r in store.articles()}
    assert titles["火星 探测 🚀 notes.md"] == "火星探测"
    assert titles["rail-utf16.txt"] == "High-speed rail"


def test_store_has_no_orphan_chunks_and_keyword_index_keeps_step(
    ingested: tuple[ArticleStore, IngestReport],
) -> None:
    store, _ = ingested
    assert_consistent(store)
    index = KeywordIndex(store)
    ids = _by_source_name(store)
    tidal_id, chips_id = ids["tidal.txt"], ids["chips-big5.txt"]

    assert {h.article_id for h in index.search("tidal turbine Orkney", 5)} == {tidal_id}
    # Traditional text found from a Simplified question: the index folds scripts.
    assert chips_id in {h.article_id for h in index.search("半导体 晶圆", 5)}

    before = store.chunk_count()
    removed = store.forget(tidal_id)
    assert removed >= 1 and store.chunk_count() == before - removed
    assert tidal_id not in {r.article_id for r in store.articles()}
    assert index.search("tidal turbine Orkney", 5) == []
    assert chips_id in {h.article_id for h in index.search("半导体 晶圆", 5)}
    assert_consistent(store)


def test_size_is_checked_before_any_byte_is_read(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    huge = corpus / "huge.txt"
    assert huge.stat().st_size == HUGE_BYTES
    assert huge.stat().st_blocks * 512 < 1_000_000  # sparse: the test itself stays fast
    real_open, real_read_bytes = builtins.open, Path.read_bytes

    def guarded_open(file: object, *args: object, **kwargs: object) -> object:
        assert Path(str(file)).name != "huge.txt", "opened the oversized file"
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    def guarded_read_bytes(self: Path) -> bytes:
        assert self.name != "huge.txt", "read the oversized file"
        return real_read_bytes(self)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(Path, "read_bytes", guarded_read_bytes)
    with pytest.raises(UnreadableArticle, match="too large"):
        read_article_file(huge, max_bytes=1_000_000)
    report = IngestReport()
    read_inputs([huge], 1_000_000, report)
    assert [(Path(s.path).name, "too large" in s.reason) for s in report.skipped] == [
        ("huge.txt", True)
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads chmod 000 files; see _deny_locked")
def test_a_file_without_read_permission_is_reported(tmp_path: Path) -> None:
    locked = tmp_path / "locked.txt"
    locked.write_text("An article nobody may read.")
    locked.chmod(0)
    report = IngestReport()
    assert read_inputs([tmp_path], 1_000_000, report) == []
    assert [(s.path, s.reason) for s in report.skipped] == [(str(locked), "permission denied")]


def test_a_folder_without_files_is_reported(tmp_path: Path) -> None:
    """`citebot ingest ./articles` on an empty (or mistyped, or hidden-files-only) folder said
    "0 articles" and exited 0; now the folder is reported, so the exit status is 1."""
    empty, hidden_only, subfolders_only = (tmp_path / n for n in ("empty", "hidden", "nested"))
    empty.mkdir()
    hidden_only.mkdir()
    (hidden_only / ".DS_Store").write_bytes(b"\0")
    (subfolders_only / "a" / "b").mkdir(parents=True)
    report = IngestReport()
    assert read_inputs([empty, hidden_only, subfolders_only], 1_000_000, report) == []
    assert [(s.path, s.reason) for s in report.skipped] == [
        (str(folder), "the folder holds no files") for folder in (empty, hidden_only, subfolders_only)
    ]
    (empty / "note.txt").write_text("The ferry leaves at seven.")
    report = IngestReport()
    assert len(read_inputs([empty], 1_000_000, report)) == 1 and not report.skipped


def _cli_ingest(folder: Path, chroma: Path) -> tuple[int, dict[str, object]]:
    env = clean_env(
        CITEBOT_CHROMA_PATH=str(chroma), CITEBOT_EMBEDDING_MODEL=MODEL_NAME, CITEBOT_MAX_FILE_MB="1"
    )
    done = run_cli("ingest", str(folder), "--json", env=env)
    assert done.stdout.strip(), done.stderr
    return done.returncode, json.loads(done.stdout.strip().splitlines()[-1])


def test_cli_json_exits_1_when_something_was_skipped(corpus: Path, tmp_path: Path) -> None:
    (corpus / "locked.txt").unlink()  # a subprocess cannot be monkeypatched; the rest is real
    code, summary = _cli_ingest(corpus, tmp_path / "cli-chroma")
    assert code == 1
    skipped = {Path(str(s["path"])).name for s in summary["skipped"]}  # type: ignore[index,union-attr]
    assert skipped == set(BAD) - {"locked.txt"}
    assert summary["articles"] == len(GOOD)

    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "solar.md").write_bytes(GOOD["solar.md"][0])
    code, summary = _cli_ingest(clean, tmp_path / "cli-chroma")
    assert (code, summary["articles"], summary["skipped"]) == (0, 1, [])


# --- one large file, or one article the store refuses, never stops the batch --------------------

# Above SQLite's 32,766 variables per statement (chromadb 1.5: a `get` of 33,000 ids fails,
# 32,000 pass), so one unbatched id-taking call fails this test; 50,000 took 5 minutes.
LARGE_CHUNKS = 34_000


def _large_article(chunks: int) -> str:
    """One sentence per 80-character chunk, each a little different."""
    return "".join(
        f"Reading {i:05d} of the harbour tide gauge was logged at dawn by the keeper.\n"
        for i in range(chunks)
    )


@pytest.mark.slow
def test_an_article_of_more_chunks_than_sqlite_takes_variables_is_stored_beside_a_small_one(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "large"
    folder.mkdir()
    (folder / "gauge-log.txt").write_text(_large_article(LARGE_CHUNKS))
    (folder / "solar.md").write_bytes(GOOD["solar.md"][0])
    settings = make_settings(tmp_path, chunk_chars=80, embedding_model=MODEL_NAME)
    # A stand-in for the bilingual model too: what is tested is that every call is batched.
    store = ArticleStore(settings, embeddings=HashEmbeddings(), bilingual_embeddings=HashEmbeddings())

    report = ingest_paths([folder], store, show_progress=False)

    assert report.skipped == [] and report.articles == 2
    assert store.missing_bilingual_vectors() == 0
    by_name = {Path(r.source).name: r for r in store.articles()}
    assert by_name["gauge-log.txt"].chunks >= LARGE_CHUNKS
    assert store.chunk_count() == report.chunks_added == sum(r.chunks for r in by_name.values())
    # Every id-taking call is batched: reading the large article back, and forgetting it.
    large = by_name["gauge-log.txt"]
    assert len(store.chunks_by_id([f"{large.article_id}-{i:04d}" for i in range(large.chunks)])) \
        == large.chunks
    assert store.forget(large.article_id) == large.chunks
    assert store.chunk_count() == by_name["solar.md"].chunks
    assert store.missing_bilingual_vectors() == 0


def test_an_article_the_store_refuses_is_skipped_with_the_reason_and_the_rest_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chromadb.errors import InternalError

    folder = tmp_path / "two"
    folder.mkdir()
    (folder / "solar.md").write_bytes(GOOD["solar.md"][0])
    (folder / "tidal.txt").write_bytes(GOOD["tidal.txt"][0])
    store = ArticleStore(make_settings(tmp_path, embedding_model=MODEL_NAME), embeddings=HashEmbeddings())
    real_add = store.add_articles

    def add_articles(items, **kwargs):  # type: ignore[no-untyped-def]
        if any(article.source.endswith("solar.md") for article, _ in items):
            raise InternalError("too many SQL variables")
        return real_add(items, **kwargs)

    monkeypatch.setattr(store, "add_articles", add_articles)
    report = ingest_paths([folder], store, show_progress=False)

    assert [(Path(s.path).name, s.reason) for s in report.skipped] == [
        ("solar.md", "store error: InternalError: too many SQL variables")
    ]
    assert report.articles == 1
    assert [Path(r.source).name for r in store.articles()] == ["tidal.txt"]
    assert_consistent(store)
