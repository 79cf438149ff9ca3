"""bot/health.py: the /healthz endpoint and the `python -m bot.health` HEALTHCHECK."""

from __future__ import annotations

import json
import logging
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.health import HealthServer, start_health_server
from config import Settings
from retrieval import Answerer
from tests.support.cli import clean_env, run_cli
from tests.support.net import free_port, refused_port
from tests.support.settings import FIXTURES, make_settings

SERVER_MODE_ARTICLES = FIXTURES / "server_mode"


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """An embedded store holding the two short server-mode fixture articles."""
    from ingest import ArticleStore, ingest_paths

    root = tmp_path_factory.mktemp("health-store")
    settings = make_settings(root)
    report = ingest_paths([SERVER_MODE_ARTICLES], ArticleStore(settings), show_progress=False)
    assert report.articles == 2 and not report.skipped
    return settings


@pytest.fixture
def servers() -> Iterator[list[HealthServer]]:
    started: list[HealthServer] = []
    yield started
    for server in started:
        server.close()


def _get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())



def test_healthy_store_reports_its_size(small_store: Settings, servers: list[HealthServer]) -> None:
    answerer = Answerer(small_store)
    server = start_health_server(small_store, answerer, port=0, host="127.0.0.1")
    servers.append(server)
    assert server.port and server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}/healthz"

    status, body = _get(f"http://127.0.0.1:{server.port}/healthz")
    store = answerer.store()
    assert status == 200
    assert body == {
        "status": "ok",
        "store": str(small_store.chroma_path),
        "collection": "citebot",
        "chunks": store.chunk_count(),
        "articles": 2,
    }
    assert isinstance(body["chunks"], int) and body["chunks"] >= 2


def test_unreachable_store_is_503_with_the_reason(
    tmp_path: Path, servers: list[HealthServer]
) -> None:
    with refused_port() as port:
        url = f"http://127.0.0.1:{port}"
        settings = make_settings(tmp_path, chroma_url=url)
        server = start_health_server(settings, Answerer(settings), port=0, host="127.0.0.1")
        servers.append(server)
        status, body = _get(f"http://127.0.0.1:{server.port}/healthz")
    assert status == 503
    assert body["status"] == "error"
    assert body["store"] == url
    assert body["collection"] == "citebot"
    assert url in str(body["error"])
    assert "chunks" not in body


def test_other_paths_are_404(small_store: Settings, servers: list[HealthServer]) -> None:
    server = start_health_server(small_store, Answerer(small_store), port=0, host="127.0.0.1")
    servers.append(server)
    status, body = _get(f"http://127.0.0.1:{server.port}/")
    assert status == 404 and body["status"] == "error"
    status, _ = _get(f"http://127.0.0.1:{server.port}/healthz?verbose=1")
    assert status == 200


def test_port_zero_in_settings_means_no_endpoint(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, health_port=0)
    server = start_health_server(settings, Answerer(settings))
    assert server.port is None and server.url is None
    server.close()


def test_port_and_host_come_from_settings(
    small_store: Settings, servers: list[HealthServer]
) -> None:
    port = free_port()
    settings = small_store.model_copy(update={"health_port": port, "health_host": "127.0.0.1"})
    server = start_health_server(settings, Answerer(settings))
    servers.append(server)
    assert server.port == port
    assert _get(f"http://127.0.0.1:{port}/healthz")[0] == 200


def test_taken_port_is_logged_not_raised(
    small_store: Settings, servers: list[HealthServer], caplog: pytest.LogCaptureFixture
) -> None:
    first = start_health_server(small_store, Answerer(small_store), port=0, host="127.0.0.1")
    servers.append(first)
    with caplog.at_level(logging.ERROR, logger="bot.health"):
        second = start_health_server(
            small_store, Answerer(small_store), port=first.port, host="127.0.0.1"
        )
    assert second.port is None
    assert f"cannot listen on 127.0.0.1:{first.port}" in caplog.text
    second.close()


def test_close_frees_the_port(small_store: Settings) -> None:
    server = start_health_server(small_store, Answerer(small_store), port=0, host="127.0.0.1")
    port = server.port
    assert port is not None
    server.close()
    server.close()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)


def _healthcheck(port: int, cwd: Path) -> subprocess.CompletedProcess[str]:
    """What the image's HEALTHCHECK runs, with the image's way of passing the port."""
    env = clean_env(CITEBOT_HEALTH_PORT=str(port), CITEBOT_HEALTH_HOST="0.0.0.0")
    return run_cli(module="bot.health", cwd=cwd, env=env, timeout=60)


def test_healthcheck_command_exit_status(
    small_store: Settings, tmp_path: Path, servers: list[HealthServer]
) -> None:
    healthy = start_health_server(small_store, Answerer(small_store), port=0, host="127.0.0.1")
    servers.append(healthy)
    done = _healthcheck(healthy.port or 0, tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "ok"

    with refused_port() as port:
        down = make_settings(tmp_path, chroma_url=f"http://127.0.0.1:{port}")
        unhealthy = start_health_server(down, Answerer(down), port=0, host="127.0.0.1")
        servers.append(unhealthy)
        done = _healthcheck(unhealthy.port or 0, tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("503:")

    with refused_port() as port:
        done = _healthcheck(port, tmp_path)
    assert done.returncode == 1
    assert "cannot reach http://127.0.0.1:" in done.stderr
