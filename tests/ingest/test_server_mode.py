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
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.health import start_health_server
from config import Settings
from ingest import ArticleStore, ingest_paths
from retrieval import Answerer
from retrieval.answerer import ERROR_TEXT
from tests.conftest import FIXTURES, REPO, make_settings
from tests.ingest.hash_embeddings import GATED_MODEL_NAME

ARTICLES = FIXTURES / "server_mode"
BIN = Path(sys.executable).parent
QUESTIONS = [
    "How long does the harbour ferry crossing take now?",
    "云岭村的图书馆收到了多少本新书？",
    "What powers the harbour ferry?",
]
START_DEADLINE_S = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ChromaServer:
    """`chroma run --path PATH --host 127.0.0.1 --port PORT`, started and stopped by pid."""

    def __init__(self, path: Path, log: Path) -> None:
        self.path = path
        self.port = _free_port()
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        executable = BIN / "chroma"
        assert executable.exists(), f"no chroma CLI next to {sys.executable}"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(executable), "run", "--path", str(self.path)]
                + ["--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_DEADLINE_S
        while not self._heartbeat():
            if self.process.poll() is not None:
                pytest.fail(f"chroma run exited with {self.process.returncode}:\n{self._tail()}")
            if time.monotonic() > deadline:
                self.stop()
                pytest.fail(
                    f"chroma run did not answer within {START_DEADLINE_S} s:\n{self._tail()}"
                )
            time.sleep(0.1)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)

    def _heartbeat(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def _tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "server-data", tmp_path / "chroma.log")
    server.start()
    yield server
    server.stop()


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
    url = f"http://127.0.0.1:{_free_port()}"
    env = {**os.environ, "CITEBOT_CHROMA_URL": url}
    done = subprocess.run(
        [str(BIN / "citebot"), "sources"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert f"cannot reach the Chroma server at {url} (CITEBOT_CHROMA_URL)" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_server_dying_mid_ingest_ends_it_with_exit_2_and_one_line(
    tmp_path: Path, chroma_server: ChromaServer
) -> None:
    """The chunks are written, then the server dies before the rest: a short message, exit 2
    (README, Command line), no traceback."""
    gate = tmp_path / "gate"
    gate.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITEBOT_")}
    env.update(
        CITEBOT_CHROMA_URL=chroma_server.url,
        CITEBOT_CHROMA_PATH=str(tmp_path / "unused"),
        CITEBOT_EMBEDDING_MODEL=GATED_MODEL_NAME,
        TEST_INGEST_GATE_AFTER="1",  # the chunks' batch passes; the next call waits
        TEST_INGEST_GATE_DIR=str(gate),
        PYTHONPATH=str(REPO),
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
