"""The keyword side of hybrid search: BM25 over the store's chunks, in SQLite FTS5 on disk.

Tokens are computed once at ingest (folded script, jieba words, English words) and kept in
each chunk's metadata; this index holds them in an FTS5 table and ranks with FTS5's own
`bm25()`. Why FTS5: it is in Python's standard library, it is incremental (rows are added
and deleted, no rebuild), it lives on disk (a starting process opens it instead of scanning
Chroma, and its memory is SQLite's page cache, not the corpus), and a reader keeps seeing
the last committed index while a writer updates it. Measured against the in-memory bm25s
index it replaces in BENCHMARKS.md ("Scale").

Freshness: the index records the store revision it reflects. When a question finds the
store's revision changed (an ingest or a forget, by this or any other process sharing the
Chroma server), the index compares its article ids with the store's and applies the
difference: the chunks of added articles are fetched and inserted, removed articles are
deleted. A small difference (what one ingest or `watch` refresh adds) is applied before
the question is searched; a large one runs in a background thread while questions are
answered from the previous index. Only an index that has never been built makes a question
wait for its first build (there is nothing older to answer from).

The file is `<CITEBOT_CHROMA_PATH>-keyword/<collection>.sqlite3` for an embedded store and
`<CITEBOT_CHROMA_PATH>-keyword/<host>_<port>-<collection>.sqlite3` for a Chroma server; if that
folder cannot be written, a temporary folder is used. Several processes may share a file:
updates are serialised by SQLite and computed inside their own transaction.
"""

from __future__ import annotations

import difflib
import logging
import re
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from ingest.store import ArticleStore
from ingest.text import fold, keyword_tokens, regional_wordings

log = logging.getLogger(__name__)

# Up to this many added or removed articles are applied before the question is searched
# (one `watch` refresh or `citebot ingest` of a folder); more go to a background update.
INLINE_ARTICLES = 50
_FETCH_BATCH = 200
_FILTER_FROM_CHUNKS = 2000
# How long an update waits for another process's update of the same file: a question
# hardly at all (it answers from the index as it is), a background update patiently.
_QUESTION_WAIT_S = 0.2
_UPDATE_WAIT_S = 900.0
_SCHEMA_VERSION = "2"
# The stored tokens are space-separated and may hold `.`, `_` and `-` inside (`gpt-4.5`).
_TOKENIZER = "unicode61 remove_diacritics 0 tokenchars '._-'"
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class KeywordHit:
    chunk_id: str
    article_id: str
    bm25: float  # higher is better


def default_index_path(store: ArticleStore) -> Path:
    """Where the index of `store` lives (see the module docstring)."""
    settings = store.settings
    folder = settings.chroma_path.with_name(settings.chroma_path.name + "-keyword")
    name = store.name
    if settings.chroma_url:
        parsed = urlparse(settings.chroma_url)
        name = f"{parsed.hostname}_{parsed.port or ''}-{name}"
    return folder / f"{_UNSAFE_NAME.sub('_', name)}.sqlite3"


class KeywordIndex:
    """BM25 over one store's chunks, kept in step with the store's revision.

        index = KeywordIndex(store)          # opens (or creates) the index file
        index.search("渡轮 多久", k=30)       # [KeywordHit], best first
        index.refresh()                      # bring it up to date now (blocks)
    """

    def __init__(self, store: ArticleStore, path: Path | None = None) -> None:
        self._store = store
        self.path = _writable(path or default_index_path(store))
        self._local = threading.local()
        self._sync_lock = threading.Lock()
        self._seen_revision: str | None = None
        self._background: threading.Thread | None = None
        db = self._connect()
        try:
            _create_schema(db)
        finally:
            db.close()
        # Called with each batch of chunks being indexed (tests pause an update with it).
        self.on_batch: Callable[[int], None] | None = None

    # --- reading ------------------------------------------------------------------------------

    def search(self, question: str, k: int) -> list[KeywordHit]:
        """The `k` best chunks for the question's keywords (score > 0 only)."""
        return self.search_tokens(keyword_tokens(question), k)

    def store_wording(self, question: str) -> str:
        """The question in the regional wording (`ingest.text.regional_wordings`) the index
        holds: a mainland reader's 约翰肯尼迪 becomes 约翰甘迺迪 in a store of Taiwanese
        articles. Another wording is taken only when a word of the question that the index
        lacks is where the wordings differ, and that wording has more words the index holds
        (a wording also moves jieba's cuts around it; those alone decide nothing)."""
        wordings = regional_wordings(question)
        if len(wordings) == 1:
            return question
        self._keep_fresh()
        tokens = {w: list(dict.fromkeys(keyword_tokens(w))) for w in wordings}
        every = list(dict.fromkeys(t for ts in tokens.values() for t in ts))
        marks = ",".join("?" * len(every))
        query = f"SELECT term FROM chunk_vocab WHERE term IN ({marks})"
        known = {term for (term,) in self._reader().execute(query, every).fetchall()}
        unknown = [t for t in tokens[question] if t not in known]
        best = question
        for wording in wordings[1:]:
            changed = _changed_characters(question, wording)
            if any(changed & set(t) for t in unknown) and sum(
                t in known for t in tokens[wording]
            ) > sum(t in known for t in tokens[best]):
                best = wording
        return best

    def search_tokens(self, tokens: Sequence[str], k: int) -> list[KeywordHit]:
        """The `k` best chunks for keyword tokens already in the index's form
        (`ingest.text.keyword_tokens`; a translated question's, retrieval/translation.py)."""
        self._keep_fresh()
        tokens = list(dict.fromkeys(tokens))
        if not tokens or k <= 0:
            return []
        db = self._reader()
        tokens = _informative(db, tokens)
        if not tokens:
            return []
        query = " OR ".join(f'"{t}"' for t in tokens)
        rows = db.execute(
            "SELECT c.chunk_id, c.article_id, -m.rank FROM "
            "(SELECT rowid, rank FROM chunk_tokens WHERE chunk_tokens MATCH ? "
            " ORDER BY rank LIMIT ?) AS m JOIN chunks AS c ON c.rowid = m.rowid "
            "ORDER BY m.rank",
            (query, k),
        ).fetchall()
        return [KeywordHit(cid, aid, float(score)) for cid, aid, score in rows if score > 0]

    def indexed_revision(self) -> str | None:
        """The store revision this index reflects (None before its first build)."""
        row = self._reader().execute("SELECT value FROM meta WHERE key = 'revision'").fetchone()
        return str(row[0]) if row else None

    def chunk_count(self) -> int:
        return int(self._reader().execute("SELECT count(*) FROM chunks").fetchone()[0])

    # --- updating -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Bring the index up to date with the store now (waits for a running update)."""
        with self._sync_lock:
            self._sync()

    def refresh_in_background(self) -> threading.Thread | None:
        """Start an update in a thread unless one is running; questions keep being answered
        from the previous index until it commits. Returns the thread started, if any."""
        if not self._sync_lock.acquire(blocking=False):
            return None
        return self._start_background()

    def _keep_fresh(self) -> None:
        revision = self._store.revision()
        if revision == self._seen_revision:
            return
        if not self._sync_lock.acquire(blocking=False):
            if self.indexed_revision() is not None:
                return  # an update is running: answer from the index as it was
            # The first build is running in another thread: there is no index to answer
            # from yet, so this question waits for it too.
            log.info("waiting for the first build of the keyword index of %r", self._store.name)
            self._sync_lock.acquire()
        handed_off = False
        try:
            indexed = self.indexed_revision()
            if indexed == revision:  # brought up to date by another process sharing the file
                self._seen_revision = revision
                return
            stored = set(self._store.article_ids())
            known = self._indexed_articles(self._reader())
            changed = len(stored - known) + len(known - stored)
            if indexed is not None and changed > INLINE_ARTICLES:
                self._start_background(stored, revision)
                handed_off = True
                return
            self._sync(stored, revision, wait_s=_QUESTION_WAIT_S)
        except sqlite3.OperationalError as exc:
            # Another process is updating the shared file: it will commit what this question
            # would have added; answer from the index as it is.
            log.info("keyword index busy (%s); answering from the previous index", exc)
        finally:
            if not handed_off:
                self._sync_lock.release()

    def _start_background(
        self, stored: set[str] | None = None, revision: str | None = None
    ) -> threading.Thread:
        """Run `_sync` in a thread that releases the (already held) update lock when done."""

        def run() -> None:
            try:
                self._sync(stored, revision)
            except Exception:
                log.exception("keyword index update failed; the previous index keeps serving")
            finally:
                self._sync_lock.release()

        thread = threading.Thread(target=run, name="keyword-index-update", daemon=True)
        self._background = thread
        thread.start()
        return thread

    def _sync(
        self,
        stored: set[str] | None = None,
        revision: str | None = None,
        wait_s: float = _UPDATE_WAIT_S,
    ) -> None:
        """Apply the store's changes in one transaction (call with the update lock held);
        waits up to `wait_s` for another process's update of the same file."""
        if revision is None:
            revision = self._store.revision()
        if stored is None:
            stored = set(self._store.article_ids())
        db = self._connect(wait_s)
        try:
            db.execute("BEGIN IMMEDIATE")  # another process may be updating the same file
            known = self._indexed_articles(db)
            removed = sorted(known - stored)
            added = sorted(stored - known)
            for start in range(0, len(removed), _FETCH_BATCH):
                batch = [(aid,) for aid in removed[start : start + _FETCH_BATCH]]
                db.executemany(
                    "DELETE FROM chunk_tokens WHERE rowid IN "
                    "(SELECT rowid FROM chunks WHERE article_id = ?)",
                    batch,
                )
                db.executemany("DELETE FROM chunks WHERE article_id = ?", batch)
                db.executemany("DELETE FROM articles WHERE article_id = ?", batch)
            for start in range(0, len(added), _FETCH_BATCH):
                batch = added[start : start + _FETCH_BATCH]
                chunks = self._store.chunks_of(batch)
                if self.on_batch:
                    self.on_batch(len(chunks))
                for chunk in chunks:
                    cursor = db.execute(
                        "INSERT OR IGNORE INTO chunks (chunk_id, article_id) VALUES (?, ?)",
                        (chunk.chunk_id, chunk.article_id),
                    )
                    if cursor.rowcount:
                        db.execute(
                            "INSERT INTO chunk_tokens (rowid, tokens) VALUES (?, ?)",
                            (cursor.lastrowid, chunk.tokens or "∅"),
                        )
                db.executemany(
                    "INSERT OR IGNORE INTO articles (article_id) VALUES (?)", [(a,) for a in batch]
                )
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('revision', ?)", (revision,))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()
        self._seen_revision = revision
        if added or removed:
            log.info(
                "keyword index of %r: %d articles added, %d removed",
                self._store.name,
                len(added),
                len(removed),
            )

    # --- SQLite -------------------------------------------------------------------------------

    def _connect(self, wait_s: float = _UPDATE_WAIT_S) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=wait_s, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    def _reader(self) -> sqlite3.Connection:
        """This thread's read connection (a reader sees the last committed index)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        return db

    @staticmethod
    def _indexed_articles(db: sqlite3.Connection) -> set[str]:
        return {row[0] for row in db.execute("SELECT article_id FROM articles")}


def _changed_characters(text: str, wording: str) -> set[str]:
    """The folded characters of `text` that `wording` replaces (around an insertion, the two
    it goes between)."""
    a, b = fold(text), fold(wording)
    changed: set[str] = set()
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            changed.update(a[max(0, i1 - 1) : i2 + 1] if i1 == i2 else a[i1:i2])
    return changed


def _informative(db: sqlite3.Connection, tokens: list[str]) -> list[str]:
    """The tokens that can rank: FTS5's BM25 gives a term found in half of the chunks or more
    a weight of ~0 (idf clamped to 1e-6), yet scoring it costs a pass over all of those
    chunks. In a large index those terms are left out of the query (the order of the chunks
    that match the other terms is unchanged); a small one is cheap to search as it is."""
    total = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
    if total < _FILTER_FROM_CHUNKS:
        return tokens
    marks = ",".join("?" * len(tokens))
    counts = dict(
        db.execute(f"SELECT term, doc FROM chunk_vocab WHERE term IN ({marks})", tokens).fetchall()
    )
    return [t for t in tokens if counts.get(t, 0) > 0 and 2 * counts[t] < total]


def _create_schema(db: sqlite3.Connection) -> None:
    row = None
    exists = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
    if exists:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    if row and row[0] == _SCHEMA_VERSION:
        return
    db.executescript(
        f"""
        BEGIN IMMEDIATE;
        DROP TABLE IF EXISTS chunk_vocab;
        DROP TABLE IF EXISTS chunk_tokens;
        DROP TABLE IF EXISTS chunks;
        DROP TABLE IF EXISTS articles;
        DROP TABLE IF EXISTS meta;
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE articles (article_id TEXT PRIMARY KEY) WITHOUT ROWID;
        CREATE TABLE chunks (
            rowid INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL UNIQUE, article_id TEXT NOT NULL
        );
        CREATE INDEX chunks_by_article ON chunks (article_id);
        CREATE VIRTUAL TABLE chunk_tokens USING fts5(tokens, tokenize="{_TOKENIZER}");
        CREATE VIRTUAL TABLE chunk_vocab USING fts5vocab(chunk_tokens, 'row');
        INSERT INTO meta (key, value) VALUES ('schema', '{_SCHEMA_VERSION}');
        COMMIT;
        """
    )


def _writable(path: Path) -> Path:
    """`path`, or the same name in a temporary folder if its folder cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        probe = path.parent / f".probe-{threading.get_ident()}"
        probe.touch()
        probe.unlink()
        return path
    except OSError as exc:
        fallback = Path(tempfile.gettempdir()) / "citebot-keyword" / path.name
        log.warning("keyword index folder %s is not writable (%s); using %s", path.parent, exc, fallback)
        fallback.parent.mkdir(parents=True, exist_ok=True)
        return fallback
