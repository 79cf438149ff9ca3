"""The Docker deployment in a real Docker Engine: the README's steps, through containers.

Runs when an engine can run: one answers already (`docker info`), or this is root with `dockerd`
installed (.ci/run installs docker.io, docker-compose and debootstrap), and then the test starts
one without a bridge network (`--bridge=none --iptables=false`: nothing leaves loopback) and
stops it by its pid at the end. Elsewhere it is skipped with the reason (in CI it fails).

Docker Hub is not reachable, so the base images are made here: a stand-in for
`python:3.11-slim-bookworm` is Debian bookworm with Debian's Python 3.11, made by debootstrap,
and a stand-in for `chromadb/chroma:<version>` (fixtures/docker/chroma.Dockerfile) is `chroma
run` of the built image's chromadb with, like the official image, bash but no curl, wget or
python. Then, in a copy of the repository with a `.env` made from
`.env.example` (test tokens, `COMPOSE_PROFILES=slack`, `SLACK_API_URL` at a local fake Slack),
the README's deployment steps run as written, with every service on the host's network through
fixtures/docker/compose.host-network.yaml (COMPOSE_FILE; the same compose.yaml otherwise).
Checked: Chroma turns healthy; `run --rm ingest` ingests the fixture folder; `ask` through the
image answers from the server; the Discord bot (no profile, no token) is not started; the Slack
bot turns healthy and answers a mention through Socket Mode; with Chroma stopped it apologises,
and once Chroma is back it answers again without having been restarted; the image runs as a
non-root user and holds no `.env`, no token and none of the packages it leaves out.
Everything the test made (containers, volumes, images) is removed by name at the end.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_slack import BOT_USER, FakeSlack, event_body, mention
from tests.support.net import free_port, stop_process
from tests.support.settings import FIXTURES, REPO

pytestmark = pytest.mark.slow

DOCKER_FIXTURES = FIXTURES / "docker"
ARTICLES = FIXTURES / "server_mode"
PROJECT = "citebote2e"
LABEL = "org.citebot.test=stand-in"
PYTHON_IMAGE = "citebot-e2e/python:3.11-bookworm"
CITEBOT_IMAGE = "citebot-e2e/citebot:test"
LOCK = Path("/tmp/citebot-docker-engine-test.lock")
# The README's deployment steps, in order: test_readme_lists_the_steps_this_test_runs keeps
# them equal to the README's block; `docker compose` is the v2 plugin or Debian's docker-compose.
README_STEPS = [
    "docker compose build",
    "docker compose run --rm ingest",
    "docker compose run --rm slack doctor",
    "docker compose up -d",
]
ASK = "docker compose run --rm slack ask --json"
QUESTION = "When does the first ferry leave?"
ANSWER = "the first boat leaves at six in the morning"
STORE_APOLOGY = "can't search the articles right now"
# Waits for a state (not timing asserts): generous, for a loaded 2-core machine.
HEALTHY_WITHIN_S = 300.0
ANSWER_WITHIN_S = 120.0


# --- the README and the steps, checked without an engine -------------------------------------


def _readme_deployment_block() -> str:
    text = (REPO / "README.md").read_text()
    section = text.split("\n## Deployment", 1)[1].split("\n## ", 1)[0]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


def test_readme_lists_the_steps_this_test_runs() -> None:
    block = _readme_deployment_block()
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    docker_steps = [c for c in commands if c.startswith("docker ")]
    assert docker_steps == README_STEPS
    assert "cp .env.example .env" in commands
    assert "COMPOSE_PROFILES=slack" in block


# --- the engine --------------------------------------------------------------------------------


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (.ci/run installs docker.io, docker-compose and debootstrap)")
    pytest.skip(reason)


def _run(
    command: list[str],
    *,
    timeout: float = 600,
    check: bool = True,
    **kwargs: Any,
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, **kwargs
    )
    if check:
        assert done.returncode == 0, (
            f"$ {' '.join(command)}\nexit {done.returncode}\n"
            f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
    return done


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))
        except OSError:
            return False
        return True


@dataclass
class Engine:
    docker: str
    compose: list[str]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None  # the dockerd this test started, if any

    def docker_run(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return _run([self.docker, *args], env=self.env, **kwargs)

    def image_exists(self, name: str) -> bool:
        return self.docker_run("image", "inspect", name, check=False).returncode == 0

    def labels(self, name: str) -> dict[str, str]:
        done = self.docker_run("image", "inspect", "--format", "{{json .Config.Labels}}", name)
        return json.loads(done.stdout) or {}

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_process(process, grace_s=60)


def _engine_answers(docker: str, env: dict[str, str]) -> bool:
    done = _run(
        [docker, "info", "--format", "{{.ServerVersion}}"], env=env, check=False, timeout=30
    )
    return done.returncode == 0


def _start_engine(log: Path) -> Engine:
    docker = shutil.which("docker")
    if docker is None:
        _unavailable("no docker command: apt-get install docker.io docker-compose debootstrap")
    assert docker is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKER_", "COMPOSE_"))}
    env["DOCKER_BUILDKIT"] = "0"  # BuildKit would fetch its frontend from Docker Hub
    if _run([docker, "compose", "version"], env=env, check=False).returncode == 0:
        compose = [docker, "compose"]
    elif shutil.which("docker-compose"):
        compose = [str(shutil.which("docker-compose"))]
    else:
        _unavailable("neither `docker compose` nor docker-compose is installed")
    engine = Engine(docker, compose, env)
    if _engine_answers(docker, env):
        return engine
    dockerd = shutil.which("dockerd")
    if dockerd is None or os.geteuid() != 0:
        _unavailable("no Docker Engine answers, and this is not root with dockerd installed")
    assert dockerd is not None
    with log.open("ab") as out:
        engine.process = subprocess.Popen(
            [dockerd, "--bridge=none", "--iptables=false", "--ip-masq=false"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + 120
    while not _engine_answers(docker, env):
        if engine.process.poll() is not None or time.monotonic() > deadline:
            engine.stop()
            _unavailable(f"dockerd did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.5)
    return engine


# --- the images ----------------------------------------------------------------------------------


def _debian_mirror() -> str:
    """The Debian mirror apt already uses (deb822 `URIs:` or a one-line `deb` entry)."""
    sources = sorted(Path("/etc/apt/sources.list.d").glob("*.sources"))
    for path in sources:
        for line in path.read_text().splitlines():
            if line.startswith("URIs:") and "security" not in line:
                return line.split()[1]
    for path in [Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*.list")]:
        if path.exists():
            for line in path.read_text().splitlines():
                parts = line.split()
                if parts[:1] == ["deb"] and "security" not in line:
                    return next(p for p in parts[1:] if "://" in p)
    return "http://deb.debian.org/debian"


def _build_python_base(engine: Engine, work: Path) -> None:
    """Debian bookworm with Debian's Python 3.11 (debootstrap), imported as PYTHON_IMAGE.

    pip on these machines needs the host's CA bundle to reach PyPI, so it goes in as PIP_CERT."""
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        _unavailable("debootstrap is not installed (the base images are made with it)")
    assert debootstrap is not None
    rootfs = work / "rootfs"
    # python3-distutils: python3.11-venv needs it, and debootstrap does not resolve that itself.
    packages = "python3.11,python3.11-venv,python3-distutils,python-is-python3,ca-certificates"
    _run(
        [debootstrap, "--variant=minbase", f"--include={packages}", "bookworm", str(rootfs)]
        + [_debian_mirror()],
        timeout=900,
    )
    for deb in (rootfs / "var/cache/apt/archives").glob("*.deb"):
        deb.unlink()
    host_ca = "/etc/ssl/certs/host-ca-certificates.crt"
    shutil.copy(Path("/etc/ssl/certs/ca-certificates.crt"), rootfs / host_ca.lstrip("/"))
    tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
    imported = subprocess.run(
        [engine.docker, "import", "--change", f"LABEL {LABEL}"]
        + ["--change", f"ENV PIP_CERT={host_ca}", "--change", 'CMD ["bash"]', "-", PYTHON_IMAGE],
        stdin=tar.stdout,
        env=engine.env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert tar.stdout is not None
    tar.stdout.close()
    assert tar.wait(timeout=600) == 0 and imported.returncode == 0, imported.stderr
    shutil.rmtree(rootfs)


def _build_chroma_stand_in(engine: Engine, work: Path, image: str) -> None:
    context = work / "chroma-context"
    context.mkdir()
    engine.docker_run(
        "build", "--network", "none", "--build-arg", f"CITEBOT_IMAGE={CITEBOT_IMAGE}",
        "-f", str(DOCKER_FIXTURES / "chroma.Dockerfile"), "-t", image, str(context),
        timeout=600,
    )  # fmt: skip


# --- the deployment ------------------------------------------------------------------------------


def _set_env_line(text: str, name: str, value: str) -> str:
    line = f"{name}={value}"
    text, count = re.subn(rf"(?m)^{re.escape(name)}=.*$", line, text)
    return text if count else f"{text.rstrip()}\n{line}\n"


def _project_copy(root: Path) -> Path:
    """What a user's clone has that the deployment uses: compose file, Dockerfile, sources."""
    project = root / "citebot"
    project.mkdir()
    for name in ["compose.yaml", "Dockerfile", ".dockerignore", "pyproject.toml", "README.md"]:
        shutil.copy2(REPO / name, project / name)
    project_table = tomllib.loads((REPO / "pyproject.toml").read_text())
    for pattern in project_table["tool"]["setuptools"]["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        shutil.copytree(
            REPO / package, project / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy2(DOCKER_FIXTURES / "compose.host-network.yaml", project)
    shutil.copytree(ARTICLES, project / "articles")
    return project


@dataclass
class Deployment:
    engine: Engine
    project: Path
    env: dict[str, str]
    fake: FakeSlack
    tokens: list[str]
    chroma_image: str
    outputs: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)

    def compose(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return _run([*self.engine.compose, *args], cwd=self.project, env=self.env, **kwargs)

    def step(
        self, readme_step: str, *extra: str, **kwargs: Any
    ) -> subprocess.CompletedProcess[str]:
        """A README step exactly as written (`docker compose` → this machine's compose)."""
        words = readme_step.split()
        assert words[:2] == ["docker", "compose"]
        done = self.compose(*words[2:], *extra, **kwargs)
        self.outputs[readme_step] = done
        return done

    def container(self, service: str) -> str:
        done = self.engine.docker_run(
            "ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}",
            "--filter", f"label=com.docker.compose.service={service}",
            "--filter", "label=com.docker.compose.oneoff=False",
        )  # fmt: skip
        ids = done.stdout.split()
        assert len(ids) == 1, f"{service}: containers {ids}"
        return ids[0]

    def services_running(self) -> set[str]:
        done = self.engine.docker_run(
            "ps", "-a", "--filter", f"label=com.docker.compose.project={PROJECT}",
            "--format", '{{.Label "com.docker.compose.service"}}',
        )  # fmt: skip
        return set(done.stdout.split())

    def state(self, service: str) -> dict[str, Any]:
        done = self.engine.docker_run(
            "inspect", "--format", "{{json .State}}", self.container(service)
        )
        return json.loads(done.stdout)

    def wait_healthy(self, service: str) -> dict[str, Any]:
        deadline = time.monotonic() + HEALTHY_WITHIN_S
        state = self.state(service)
        while state.get("Health", {}).get("Status") != "healthy":
            assert state["Status"] == "running", f"{service} is {state['Status']}: {state}"
            if time.monotonic() > deadline:
                logs = self.engine.docker_run("logs", "--tail", "40", self.container(service))
                pytest.fail(
                    f"{service} not healthy within {HEALTHY_WITHIN_S} s: {state.get('Health')}"
                    f"\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}"
                )
            time.sleep(1)
            state = self.state(service)
        return state

    def mention_answer(self, question: str, ts: str) -> dict[str, Any]:
        """Mention the bot in the fake Slack; the reply it posts in that thread."""
        assert self.fake.ws_connected.wait(ANSWER_WITHIN_S), "the bot never opened Socket Mode"
        self.fake.send_envelope(event_body(mention(f"<@{BOT_USER}> {question}", ts=ts)))
        deadline = time.monotonic() + ANSWER_WITHIN_S
        while time.monotonic() < deadline:
            replies = [p for p in self.fake.posted() if p.get("thread_ts") == ts]
            if replies:
                return replies[0]
            time.sleep(0.2)
        logs = self.engine.docker_run("logs", "--tail", "40", self.container("slack"))
        pytest.fail(f"no reply to {question!r}:\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}")


def _clean(engine: Engine, env: dict[str, str], project: Path | None, ours: list[str]) -> None:
    """Remove by name what this test makes: the compose project's containers and volumes, and
    the images (build-stage leftovers carry the stand-in label)."""
    if project is not None and (project / "compose.yaml").exists():
        _run([*engine.compose, "down", "--volumes", "--remove-orphans", "--timeout", "5"],
             cwd=project, env=env, check=False)  # fmt: skip
    left = engine.docker_run(
        "ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}", check=False
    ).stdout.split()
    if left:
        engine.docker_run("rm", "-f", "-v", *left, check=False)
    volumes = engine.docker_run(
        "volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={PROJECT}",
        check=False,
    ).stdout.split()  # fmt: skip
    if volumes:
        engine.docker_run("volume", "rm", "-f", *volumes, check=False)
    present = [name for name in ours if engine.image_exists(name)]
    if present:
        engine.docker_run("rmi", "-f", *present, check=False)
    engine.docker_run("image", "prune", "-f", "--filter", f"label={LABEL}", check=False)


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    import chromadb

    with LOCK.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pytest.skip(f"another test session is using the Docker engine ({LOCK} is locked)")
        # Not under pytest's basetemp: other sessions on this machine prune old ones.
        work = Path(tempfile.mkdtemp(prefix="citebot-docker-engine-"))
        engine = _start_engine(work / "dockerd.log")
        chroma_image = f"chromadb/chroma:{chromadb.__version__}"
        # A real chromadb/chroma image already on the engine is used as it is, and kept.
        real_chroma = engine.image_exists(chroma_image) and "org.citebot.test" not in (
            engine.labels(chroma_image)
        )
        ours = [CITEBOT_IMAGE, PYTHON_IMAGE]
        if not real_chroma:
            ours.insert(0, chroma_image)
        env = {k: v for k, v in engine.env.items() if not k.startswith(("CITEBOT_", "SLACK_"))}
        env = {k: v for k, v in env.items() if not k.startswith("DISCORD_")}
        env.update(
            COMPOSE_PROJECT_NAME=PROJECT,
            COMPOSE_FILE="compose.yaml:compose.host-network.yaml",
            CITEBOT_IMAGE=CITEBOT_IMAGE,
            E2E_PYTHON_IMAGE=PYTHON_IMAGE,
            E2E_SLACK_HEALTH_PORT=str(free_port()),
            E2E_DISCORD_HEALTH_PORT=str(free_port()),
        )
        fake: FakeSlack | None = None
        project: Path | None = None
        try:
            _clean(engine, env, None, ours)  # leftovers of an interrupted run
            if not _port_free(8000):
                _unavailable("port 8000 is taken: Chroma serves on it on the host's network")
            tokens = [f"xoxb-e2e-{secrets.token_hex(12)}", f"xapp-e2e-{secrets.token_hex(12)}"]
            fake = FakeSlack(token=tokens[0]).start()
            project = _project_copy(work)
            dotenv = (REPO / ".env.example").read_text()  # `cp .env.example .env`, then edit
            for name, value in {
                "COMPOSE_PROFILES": "slack",
                "SLACK_BOT_TOKEN": tokens[0],
                "SLACK_APP_TOKEN": tokens[1],
                "SLACK_API_URL": fake.base_url,
            }.items():
                dotenv = _set_env_line(dotenv, name, value)
            (project / ".env").write_text(dotenv)
            started = time.monotonic()
            _build_python_base(engine, work)
            print(f"\npython stand-in: {time.monotonic() - started:.0f} s")
            deployment = Deployment(engine, project, env, fake, tokens, chroma_image)
            started = time.monotonic()
            deployment.step(README_STEPS[0], timeout=1800)  # docker compose build
            print(f"docker compose build: {time.monotonic() - started:.0f} s")
            if not real_chroma:
                _build_chroma_stand_in(engine, work, chroma_image)
            build, ingest, doctor, up = README_STEPS
            for step in (ingest, doctor):
                deployment.step(step, timeout=900, check=False)
            # Before `up`: docker-compose v1 links a one-off container to its service's running
            # one, which host networking refuses (with the README's own networks it works).
            deployment.step(ASK, QUESTION, timeout=900, check=False)
            deployment.step(up, timeout=900, check=False)
            yield deployment
        finally:
            if fake is not None:
                fake.stop()
            _clean(engine, env, project, ours)
            engine.stop()
            shutil.rmtree(work, ignore_errors=True)


# --- checks -----------------------------------------------------------------------------------


def _succeeded(deployment: Deployment, step: str) -> subprocess.CompletedProcess[str]:
    done = deployment.outputs[step]
    assert done.returncode == 0, f"$ {step}\nexit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def test_chroma_turns_healthy_with_the_bash_probe(deployment: Deployment) -> None:
    state = deployment.wait_healthy("chroma")
    probes = state["Health"]["Log"]
    assert probes and probes[-1]["ExitCode"] == 0


def test_ingest_one_shot_ingests_the_articles_folder(deployment: Deployment) -> None:
    done = _succeeded(deployment, "docker compose run --rm ingest")
    assert re.search(r"^2 articles: [1-9]\d* chunks added", done.stdout, re.M), done.stdout


def test_ask_through_the_image_answers_from_the_server(deployment: Deployment) -> None:
    done = _succeeded(deployment, ASK)
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["confident"], answer
    assert any(
        ANSWER in quote["text"]
        and quote["url"].startswith("https://example.org/news/harbour-ferry#")
        for quote in answer["quotes"]
    ), answer


def test_doctor_passes_in_the_deployment(deployment: Deployment) -> None:
    done = _succeeded(deployment, "docker compose run --rm slack doctor")
    assert re.search(r"^  OK\s+store\b.*http://127\.0\.0\.1:8000", done.stdout, re.M), done.stdout


def test_only_the_bots_of_the_chosen_profiles_start(deployment: Deployment) -> None:
    _succeeded(deployment, "docker compose up -d")
    assert deployment.services_running() == {"chroma", "slack"}


def test_the_slack_bot_turns_healthy(deployment: Deployment) -> None:
    state = deployment.wait_healthy("slack")
    assert state["Health"]["Log"][-1]["ExitCode"] == 0


def test_the_slack_bot_answers_a_mention_through_the_containers(deployment: Deployment) -> None:
    reply = deployment.mention_answer(QUESTION, ts="1700000100.000100")
    assert ANSWER in json.dumps(reply, ensure_ascii=False), reply


def test_the_bot_recovers_when_chroma_is_restarted(deployment: Deployment) -> None:
    before = deployment.state("slack")
    deployment.compose("stop", "chroma", timeout=120)
    down = deployment.mention_answer(QUESTION, ts="1700000200.000100")
    assert STORE_APOLOGY in json.dumps(down, ensure_ascii=False), down
    deployment.compose("start", "chroma", timeout=120)
    deployment.wait_healthy("chroma")
    again = deployment.mention_answer(QUESTION, ts="1700000300.000100")
    assert ANSWER in json.dumps(again, ensure_ascii=False), again
    after = deployment.state("slack")
    assert after["StartedAt"] == before["StartedAt"] and after["Running"]
    assert (
        deployment.engine.docker_run(
            "inspect", "--format", "{{.RestartCount}}", deployment.container("slack")
        ).stdout.strip()
        == "0"
    )


def test_the_image_runs_as_non_root_and_holds_no_secret(deployment: Deployment) -> None:
    engine = deployment.engine
    assert (
        engine.docker_run("inspect", "--format", "{{.Config.User}}", CITEBOT_IMAGE).stdout.strip()
        == "10001:10001"
    )
    uid = engine.docker_run("exec", deployment.container("slack"), "id", "-u").stdout.strip()
    assert uid == "10001"
    # No .env anywhere in the image, no token in any file, its config or its history.
    found = engine.docker_run(
        "run", "--rm", "--network", "none", "--entrypoint", "bash", CITEBOT_IMAGE, "-c",
        "find / -xdev \\( -name .env -o -name '.env.*' \\) -print; "
        f"grep -rlsF -e {deployment.tokens[0]} -e {deployment.tokens[1]} "
        "/opt /home /etc /usr /tmp /data /root /srv /var; true",
        timeout=600,
    )  # fmt: skip
    assert found.stdout.strip() == "", found.stdout
    described = engine.docker_run("image", "inspect", CITEBOT_IMAGE).stdout
    history = engine.docker_run("history", "--no-trunc", CITEBOT_IMAGE).stdout
    for token in deployment.tokens:
        assert token not in described and token not in history


def test_the_image_leaves_out_what_citebot_never_imports(deployment: Deployment) -> None:
    done = deployment.engine.docker_run(
        "run", "--rm", "--network", "none", "--entrypoint", "python", CITEBOT_IMAGE, "-c",
        "import importlib.util as u; "
        "print([m for m in ('kubernetes', 'onnxruntime', 'tokenizers', 'huggingface_hub', 'pip')"
        " if u.find_spec(m)])",
    )  # fmt: skip
    assert done.stdout.strip() == "[]"
    size = int(deployment.engine.docker_run(
        "image", "inspect", "--format", "{{.Size}}", CITEBOT_IMAGE
    ).stdout)  # fmt: skip
    base = int(deployment.engine.docker_run(
        "image", "inspect", "--format", "{{.Size}}", PYTHON_IMAGE
    ).stdout)  # fmt: skip
    venv = deployment.engine.docker_run(
        "run", "--rm", "--network", "none", "--entrypoint", "du", CITEBOT_IMAGE, "-sm", "/opt/venv"
    ).stdout.split()[0]  # fmt: skip
    print(f"\ncitebot image {size / 1e6:.0f} MB: stand-in base {base / 1e6:.0f} MB, venv {venv} MB")
