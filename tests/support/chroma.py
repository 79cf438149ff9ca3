"""`chroma run` on 127.0.0.1, for tests of the store's server mode."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.net import free_port, stop_process

BIN = Path(sys.executable).parent
START_DEADLINE_S = 60.0


class ChromaServer:
    """`chroma run --path PATH --host 127.0.0.1 --port PORT`, started and stopped by pid."""

    def __init__(self, path: Path, log: Path) -> None:
        self.path = path
        self.port = free_port()
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
        stop_process(process)

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
