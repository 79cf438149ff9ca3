"""Chroma server mode, for real: `chroma run` on 127.0.0.1 and `CITEBOT_CHROMA_URL` pointing at it.

The same ingest → ask path as the embedded store must give the same answers through
`chromadb.HttpClient`; a server that is down at start is named by the CLI; a server that goes
down mid-run turns questions into error answers, and the same `Answerer` recovers once the
server is back on the same port and path.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from bot.health import start_health_server
from config import Settings
from ingest import ArticleStore, ingest_paths
from retrieval import Answerer
from retrieval.answerer import ERROR_TEXT
from tests.ingest.store_checks import assert_consistent
from tests.support.chroma import ChromaServer
from tests.support.cli import clean_env, run_cli
from tests.support.embeddings import GATED_MODEL_NAME, HashEmbeddings
from tests.support.net import http_server, refused_port
from tests.support.settings import FIXTURES, make_settings

ARTICLES = FIXTURES / "server_mode"
QUESTIONS = [
    "How long does the harbour ferry crossing take now?",
    "云岭村的图书馆收到了多少本新书？",
    "What powers the harbour ferry?",
]



def _server_settings(tmp_path: Path, server: ChromaServer) -> Settings:
    # chroma_path points nowhere useful on purpose: nothing may be written there.
    return make_settings(tmp_path, chroma_url=server.url, chroma_path=tmp_path / "unused")


def _ingest(settings: Settings) -> None:
    report = ingest_paths([ARTICLES], ArticleStore(settings), show_progress=False)
    assert report.articles == 2 and not report.skipped


def test_same_answers_as_the_embedded_store(tmp_path: Path, chroma_server: ChromaServer) -> None:
    embedded = make_settings(tmp_path / "embedded")
    served = _server_settings(tmp_path, chroma_server)
    _ingest(embedded)
    _ingest(served)

    by_server, by_file = Answerer(served), Answerer(embedded)
    assert [r.as_json() for r in by_server.sources()] == [r.as_json() for r in by_file.sources()]
    answers = [(by_server.ask(q), by_file.ask(q)) for q in QUESTIONS]
    for from_server, from_file in answers:
        assert from_server.error is None
        assert from_server.as_json() == from_file.as_json()
        assert from_server.sources_searched == from_file.sources_searched == 2
    ferry, library, _ = (a for a, _ in answers)
    assert ferry.confident and any("eleven minutes" in q.text for q in ferry.quotes)
    assert library.confident and any("三百本新书" in q.text for q in library.quotes)

    # The data went to the server, not to a local directory.
    assert not (tmp_path / "unused").exists()
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_server.port)
    names = {c.name for c in client.list_collections()}
    assert {"citebot", "citebot__articles"} <= names


def test_cli_names_the_server_it_cannot_reach(tmp_path: Path) -> None:
    with refused_port() as port:
        url = f"http://127.0.0.1:{port}"
        done = run_cli(
            "sources", cwd=tmp_path, env=clean_env(CITEBOT_CHROMA_URL=url), timeout=120
        )
    assert done.returncode == 2, done.stderr
    assert f"cannot reach the Chroma server at {url} (CITEBOT_CHROMA_URL)" in done.stderr
    # What failed, in chromadb's words, not a bare class name ("…: ValueError").
    assert "Could not connect to a Chroma server" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_cli_says_when_the_url_is_another_service_not_chroma(tmp_path: Path) -> None:
    # A wrong port that reaches a web server: chromadb's words were its body ("<!DOCTYPE HTML>").
    with http_server({}) as url:
        done = run_cli("sources", cwd=tmp_path, env=clean_env(CITEBOT_CHROMA_URL=url), timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        f"citebot: CITEBOT_CHROMA_URL={url} is not a Chroma server: it answers HTTP 404 to "
        "/api/v2/heartbeat (another service on that port?); check the host and port"
    )


def test_cli_says_when_the_url_is_a_chroma_server_older_than_1_0(tmp_path: Path) -> None:
    heartbeat = (200, "application/json", b'{"nanosecond heartbeat": 1717000000000000000}')
    with http_server({"/api/v1/heartbeat": heartbeat}) as url:
        done = run_cli("sources", cwd=tmp_path, env=clean_env(CITEBOT_CHROMA_URL=url), timeout=120)
    assert done.returncode == 2, done.stderr
    assert f"CITEBOT_CHROMA_URL={url} is not a Chroma server" in done.stderr
    assert "a Chroma server older than 1.0 (v1 API only)" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_server_dying_mid_ingest_ends_it_with_exit_2_and_one_line(
    tmp_path: Path, chroma_server: ChromaServer
) -> None:
    """The chunks are written, then the server dies before the rest: a short message, exit 2
    (README, Command line), no traceback."""
    gate = tmp_path / "gate"
    gate.mkdir()
    env = clean_env(
        CITEBOT_CHROMA_URL=chroma_server.url,
        CITEBOT_CHROMA_PATH=str(tmp_path / "unused"),
        CITEBOT_EMBEDDING_MODEL=GATED_MODEL_NAME,
        TEST_INGEST_GATE_AFTER="1",  # the chunks' batch passes; the next call waits
        TEST_INGEST_GATE_DIR=str(gate),
    )
    ingest = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "ingest", str(ARTICLES)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not (gate / "blocked").exists():
            assert ingest.poll() is None, ingest.communicate()
            assert time.monotonic() < deadline, "the ingest never reached the gate"
            time.sleep(0.05)  # polling interval, not a timing assumption
        assert chroma_server.process is not None
        os.kill(chroma_server.process.pid, signal.SIGKILL)
        chroma_server.process.wait(timeout=30)
        (gate / "release").touch()
        _, err = ingest.communicate(timeout=300)
    finally:
        if ingest.poll() is None:
            ingest.kill()

    assert ingest.returncode == 2, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("citebot:")]
    assert len(lines) == 1 and chroma_server.url in lines[0], err

    # What held: once the server is back, a re-run completes the store exactly as a clean
    # run builds it, with no duplicates or orphans.
    chroma_server.start()  # same port, same --path
    rerun = run_cli(
        "ingest", str(ARTICLES), "--json", cwd=tmp_path, env={**env, "TEST_INGEST_GATE_AFTER": "0"}
    )
    assert rerun.returncode == 0, rerun.stderr
    served = ArticleStore(
        make_settings(tmp_path, chroma_url=chroma_server.url, embedding_model=GATED_MODEL_NAME),
        embeddings=HashEmbeddings(),
    )
    clean = ArticleStore(
        make_settings(tmp_path / "clean", embedding_model=GATED_MODEL_NAME),
        embeddings=HashEmbeddings(),
    )
    ingest_paths([ARTICLES], clean, show_progress=False)
    assert_consistent(served)
    assert [r.as_json() for r in served.articles()] == [r.as_json() for r in clean.articles()]
    assert sorted(served.iter_chunk_metadatas()) == sorted(clean.iter_chunk_metadatas())


def _health(port: int) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_server_down_mid_run_then_back(tmp_path: Path, chroma_server: ChromaServer) -> None:
    settings = _server_settings(tmp_path, chroma_server)
    _ingest(settings)
    answerer = Answerer(settings)
    health = start_health_server(settings, answerer, port=0, host="127.0.0.1")
    try:
        before = answerer.ask(QUESTIONS[0])
        assert before.confident and before.error is None
        assert _health(health.port or 0)[0] == 200

        chroma_server.stop()
        during = answerer.ask(QUESTIONS[0])
        assert during.error is not None
        assert chroma_server.url in during.error
        assert not during.confident and during.quotes == []
        assert during.text == ERROR_TEXT["en"]
        status, body = _health(health.port or 0)
        assert status == 503 and chroma_server.url in str(body["error"])
        # A bot that starts while the server is down has not opened the store yet.
        late = Answerer(settings)
        assert late.ask(QUESTIONS[0]).error is not None

        chroma_server.start()  # same port, same --path
        after = answerer.ask(QUESTIONS[0])
        assert after.error is None
        assert after.as_json() == before.as_json()
        assert late.ask(QUESTIONS[0]).as_json() == before.as_json()
        status, body = _health(health.port or 0)
        assert status == 200 and body["articles"] == 2
    finally:
        health.close()
