"""`citebot` as a user runs it: exit codes, errors without tracebacks, and CLI conveniences.

Every test runs the real command in a subprocess, in a folder of its own. Stores use the
instant hash embeddings (what is tested is the command line, not relevance).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.console import SAMPLE_QUESTION
from tests.support.cli import clean_env, cli_command, run_cli
from tests.support.embeddings import MODEL_NAME
from tests.support.net import http_server, refused_port
from tests.support.settings import SAMPLE_ARTICLES

ARTICLE = "# 灯塔的故事\n\n海边有一座灯塔。灯塔守护着来往的船只。守塔人每天晚上点亮灯。\n"


def _cli(
    *args: str, cwd: Path, input: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, cwd=cwd, env=clean_env(**env), input=input)


def _store_env(tmp_path: Path, **env: str) -> dict[str, str]:
    return {
        "CITEBOT_CHROMA_PATH": str(tmp_path / "chroma"),
        "CITEBOT_EMBEDDING_MODEL": MODEL_NAME,
        **env,
    }


def _no_traceback(output: str) -> None:
    assert "Traceback" not in output and "Exception ignored" not in output, output


@pytest.fixture
def one_article(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A store holding one short article (one chunk); the env that reaches it."""
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "lighthouse.md").write_text(ARTICLE, encoding="utf-8")
    env = _store_env(tmp_path)
    done = _cli("ingest", str(folder), cwd=tmp_path, **env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "1 article: 1 chunk added, 0 unchanged, 0 removed"
    return folder, env


# --- 1. a reader that closes the pipe early -----------------------------------------------------


def test_a_closed_pipe_ends_quietly(one_article: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    _, env = one_article
    process = subprocess.Popen(
        cli_command("sources"), cwd=tmp_path, env=clean_env(**env),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `| head -0`: nobody reads what citebot writes
    err = process.stderr.read()
    assert process.wait(timeout=300) == 141  # 128 + SIGPIPE, as a shell reports for Unix tools
    assert err == "", err


# --- 2. a bad CITEBOT_EMBEDDING_MODEL stops every command at start-up ------------------------------


@pytest.mark.parametrize(
    ("command", "model"),
    [
        (["ask", "灯塔在哪里？"], "foo"),
        (["ingest", "."], "nosuchprovider:model"),
        (["sources"], "tests.support.embeddings.Nope"),
    ],
)
def test_a_bad_embedding_model_stops_at_start_up(
    command: list[str], model: str, tmp_path: Path
) -> None:
    done = _cli(*command, cwd=tmp_path, **_store_env(tmp_path, CITEBOT_EMBEDDING_MODEL=model))
    assert done.returncode == 2
    assert done.stderr.startswith("citebot: invalid configuration: CITEBOT_EMBEDDING_MODEL: ")
    assert repr(model) in done.stderr or repr(model.rpartition(".")[0]) in done.stderr
    _no_traceback(done.stderr)
    assert not (tmp_path / "chroma").exists()  # stopped before any store was opened


_OPENAI_MISSING = importlib.util.find_spec("langchain_openai") is None


@pytest.mark.parametrize(
    ("command", "llm", "problem"),
    [
        (["ask", "灯塔在哪里？"], "nosuch:model", "cannot build the model: ValueError: "),
        (["chat"], "nosuch:model", "cannot build the model: ValueError: "),
        pytest.param(
            ["ask", "灯塔在哪里？"], "openai:gpt-4o-mini", "ImportError: ",
            marks=pytest.mark.skipif(not _OPENAI_MISSING, reason="langchain-openai is installed"),
        ),
        (["serve", "slack"], "nosuch:model", "cannot build the model: ValueError: "),
    ],
)
def test_an_llm_that_cannot_be_built_is_a_configuration_error(
    command: list[str], llm: str, problem: str, tmp_path: Path
) -> None:
    """One line naming CITEBOT_LLM and the problem, as `doctor` words it; exit 2 (README)."""
    env = _store_env(tmp_path, CITEBOT_LLM=llm, SLACK_BOT_TOKEN="xoxb-1-2-abc",
                     SLACK_APP_TOKEN="xapp-1-2-abc")
    done = _cli(*command, cwd=tmp_path, input="", **env)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("citebot:")]
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"citebot: invalid configuration: CITEBOT_LLM: {llm}: {problem}")
    _no_traceback(done.stderr)


# --- 3. `ask` tells a script when a question failed ---------------------------------------------


def test_ask_exits_2_when_the_store_cannot_be_searched(tmp_path: Path) -> None:
    with refused_port() as port:
        url = f"http://127.0.0.1:{port}"
        done = _cli("ask", "--json", "灯塔在哪里？", cwd=tmp_path,
                    **_store_env(tmp_path, CITEBOT_CHROMA_URL=url))
    assert done.returncode == 2
    answer = json.loads(done.stdout.splitlines()[-1])
    assert answer["confident"] is False and answer["quotes"] == []
    assert url in done.stderr
    _no_traceback(done.stderr)


def test_ask_exits_0_when_every_question_was_answered(
    one_article: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    _, env = one_article
    done = _cli("ask", "灯塔守护着什么？", "what is the weather on Mars?", cwd=tmp_path, **env)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


# --- 4. Discord without network -----------------------------------------------------------------


def test_serve_discord_without_network_names_the_url_and_exits_2(tmp_path: Path) -> None:
    with refused_port() as port:
        url = f"http://127.0.0.1:{port}/api/v10"
        done = _cli(
            "serve", "discord", cwd=tmp_path,
            **_store_env(tmp_path, DISCORD_TOKEN="MTIz.not-a-real.token", DISCORD_API_URL=url,
                         CITEBOT_HEALTH_PORT="0",
                         CITEBOT_FEEDBACK_DB=str(tmp_path / "fb.sqlite3")),
        )
    assert done.returncode == 2, done.stderr
    assert f"citebot: cannot reach Discord at DISCORD_API_URL={url}" in done.stderr
    assert "PyNaCl" not in done.stderr and "voice" not in done.stderr
    _no_traceback(done.stderr)


# --- 5. URLs of other schemes --------------------------------------------------------------------


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "file:///etc/hosts", "S3://bucket/key"])
def test_other_url_schemes_are_reported_as_unsupported(url: str, tmp_path: Path) -> None:
    done = _cli("ingest", "--json", url, cwd=tmp_path, **_store_env(tmp_path))
    assert done.returncode == 1
    scheme = url.split(":", 1)[0]
    skipped = json.loads(done.stdout.splitlines()[-1])["skipped"]
    assert skipped == [{"path": url, "reason": f"unsupported URL scheme {scheme}:// "
                                               "(only http:// and https://)"}]
    assert "no such file" not in done.stderr


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://[::1", "not a valid URL (Invalid IPv6 URL)"),
        ("http://127.0.0.1:99999/x", "not a valid URL (Port out of range 0-65535)"),
    ],
)
def test_a_malformed_url_is_skipped_with_its_reason(url: str, reason: str, tmp_path: Path) -> None:
    done = _cli("ingest", url, cwd=tmp_path, **_store_env(tmp_path))
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [f"skipped {url}: {reason}"]


def test_a_skipped_url_never_repeats_its_password(tmp_path: Path) -> None:
    url = "http://alice:s3cretpw@127.0.0.1:8765/x"
    shown = "http://alice:***@127.0.0.1:8765/x"
    done = _cli("ingest", url, cwd=tmp_path, **_store_env(tmp_path))
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [f"skipped {shown}: URLs with credentials are not fetched"]
    as_json = _cli("ingest", "--json", url, "ftp://bob:hunter22@127.0.0.1/f",
                   cwd=tmp_path, **_store_env(tmp_path))
    assert [s["path"] for s in json.loads(as_json.stdout.splitlines()[-1])["skipped"]] == [
        "ftp://bob:***@127.0.0.1/f", shown,
    ]
    assert "s3cretpw" not in done.stdout + as_json.stdout + as_json.stderr
    assert "hunter22" not in as_json.stdout + as_json.stderr


# --- 6. eval --limit ------------------------------------------------------------------------------


@pytest.mark.parametrize("limit", ["0", "-3", "two"])
def test_eval_rejects_a_limit_below_one(limit: str, tmp_path: Path) -> None:
    dataset = tmp_path / "set.json"
    dataset.write_text('{"data": []}')
    done = _cli("eval", str(dataset), f"--limit={limit}", "--no-baseline", cwd=tmp_path,
                   **_store_env(tmp_path))
    assert done.returncode == 2
    assert "argument --limit:" in done.stderr and limit in done.stderr
    assert done.stdout == ""


# --- 7. logs on the console -------------------------------------------------------------------------


@pytest.fixture
def web_root() -> Iterator[str]:
    """A local web server with no pages: every page is a 404."""
    with http_server({}) as base:
        yield base


def test_commands_print_warnings_only_and_each_skip_once(
    one_article: tuple[Path, dict[str, str]], web_root: str, tmp_path: Path
) -> None:
    folder, env = one_article
    missing = f"{web_root}/missing.html"
    done = _cli("ingest", str(folder), missing, cwd=tmp_path, **env)
    assert done.returncode == 1
    assert done.stderr.count("missing.html") == 1, done.stderr
    assert not re.search(r"\bINFO\b|\binfo:", done.stderr), done.stderr

    verbose = _cli("ingest", "-v", missing, cwd=tmp_path, **env)
    assert re.search(r"^citebot: info: skipped .*missing\.html", verbose.stderr, re.M), verbose.stderr
    assert _cli("-v", "ingest", missing, cwd=tmp_path, **env).stderr == verbose.stderr


def test_services_keep_their_timestamped_info_logs(web_root: str, tmp_path: Path) -> None:
    done = _cli("watch", "--once", cwd=tmp_path,
                   **_store_env(tmp_path, CITEBOT_FEEDS=f"{web_root}/feed.xml"))
    assert re.search(r"^\d{4}-\d\d-\d\d [\d:,]+ INFO ingest\.web: skipped .*feed\.xml",
                     done.stderr, re.M), done.stderr


# --- 8, 9. --version and --help ---------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str, tmp_path: Path) -> None:
    done = _cli(flag, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (0, f"citebot {version('citebot')}\n")


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def test_every_flag_of_every_command_has_a_description() -> None:
    commands = _subcommands()
    assert {"ingest", "sources", "forget", "ask", "chat", "serve", "doctor", "eval", "watch"} <= set(commands)
    undocumented = [
        f"{name} {action.option_strings or action.dest}"
        for name, parser in commands.items()
        for action in parser._actions
        if not (action.help or "").strip() or action.help == argparse.SUPPRESS
    ]
    assert undocumented == []


def test_eval_help_says_limit_counts_articles(tmp_path: Path) -> None:
    done = _cli("eval", "--help", cwd=tmp_path)
    assert done.returncode == 0
    limit = re.search(r"--limit N\s+(.*?)\n  -", done.stdout, re.S)
    assert limit and "articles" in limit.group(1) and "questions" in limit.group(1), done.stdout


# --- 10. the interactive chat ----------------------------------------------------------------------

_ANSWERED = ("Here is what", "以下摘录", "I don't know", "抱歉", "Ask me a question")


def _chat_in_a_terminal(env: dict[str, str], cwd: Path, *keystrokes: bytes) -> tuple[int, str]:
    """`citebot chat` on a pseudo-terminal: at each prompt type the next keystrokes; when they
    are used up and it prompts again, Ctrl-D. Returns (exit status, everything shown)."""
    import os
    import pty
    import selectors
    import signal

    pid, fd = pty.fork()
    if pid == 0:  # the child: citebot, its stdin and stdout the terminal
        os.chdir(cwd)
        command = cli_command("chat")
        os.execve(command[0], command, clean_env(**env))
    screen = b""
    # `selectors` (epoll), not `select.select`: after a long session the terminal's descriptor
    # can be above select()'s limit of 1024.
    waiting = selectors.DefaultSelector()
    waiting.register(fd, selectors.EVENT_READ)

    def prompted() -> bool:
        """Read until a prompt (True) or the end of the output (False)."""
        nonlocal screen
        while not screen.endswith(b"> "):
            ready = waiting.select(120)
            assert ready, f"citebot chat went silent: {screen!r}"
            try:
                data = os.read(fd, 4096)
            except OSError:  # EIO: the child has closed the terminal
                data = b""
            if not data:
                return False
            screen += data
        return True

    ended = False
    try:
        for keys in (*keystrokes, b"\x04"):
            if not prompted():
                break
            os.write(fd, keys)
            screen += b"|"  # where each input was typed, so a prompt is not counted twice
        while prompted():  # should not happen: Ctrl-D ends the chat
            os.write(fd, b"\x04")
        ended = True  # the terminal is closed: citebot is exiting
    finally:
        if not ended:  # a failed assertion above: do not leave citebot waiting for input
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        waiting.close()
        os.close(fd)
    return os.waitstatus_to_exitcode(status), screen.decode("utf-8", "replace")


@pytest.mark.parametrize("word", ["exit", "quit", "QUIT"])
def test_chat_leaves_on_exit_or_quit(
    word: str, one_article: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    code, screen = _chat_in_a_terminal(one_article[1], tmp_path, word.encode() + b"\r")
    assert code == 0 and not any(marker in screen for marker in _ANSWERED), screen


def test_chat_line_editing_and_history(one_article: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    question = "灯塔守护着什么？".encode()
    # ask once; recall it with the up arrow and ask again; then type "qut", go left, add "i".
    code, screen = _chat_in_a_terminal(
        one_article[1], tmp_path, question + b"\r", b"\x1b[A\r", b"qut\x1b[Di\r"
    )
    assert code == 0
    answers = [m for m in _ANSWERED if m in screen]
    assert len(answers) == 1 and screen.count(answers[0]) == 2, screen  # the same answer twice
    assert screen.count("> |") == 3, screen  # "qut←i" was "quit": no fourth prompt


def test_ctrl_d_leaves_a_newline(one_article: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    code, screen = _chat_in_a_terminal(one_article[1], tmp_path)  # Ctrl-D at the first prompt
    assert code == 0
    assert screen.endswith("> |\r\n"), repr(screen[-40:])


def test_chat_with_nothing_piped_asks_the_sample_question_of_the_sample_article(
    tmp_path: Path,
) -> None:
    """`make demo` in CI: the sample articles are in the store, so their sample question."""
    env = _store_env(tmp_path)
    sample = SAMPLE_ARTICLES / "000_f5de9be2cb32d2d6.txt"
    assert _cli("ingest", str(sample), cwd=tmp_path, **env).returncode == 0
    chat = _cli("chat", cwd=tmp_path, input="", **env)
    assert chat.returncode == 0, chat.stderr
    assert chat.stdout.startswith(f"> {SAMPLE_QUESTION}\n"), chat.stdout


def test_chat_with_nothing_piped_names_an_article_of_another_store(
    one_article: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """A store without the sample article cannot answer the sample question: not asked."""
    chat = _cli("chat", cwd=tmp_path, input="", **one_article[1])
    assert chat.returncode == 0, chat.stderr
    assert "Brockman" not in chat.stdout + chat.stderr
    assert chat.stdout.splitlines() == [
        "citebot: 1 article, e.g. “灯塔的故事”. Nothing was piped in: ask with "
        '`echo "your question" | citebot chat`, `citebot ask QUESTION`, or run `citebot chat` '
        "in a terminal."
    ]


# --- 11. an empty store says so, once --------------------------------------------------------------


def test_reading_an_empty_store_says_where_and_what_to_run(tmp_path: Path) -> None:
    env = _store_env(tmp_path)
    where = str((tmp_path / "chroma").resolve())
    for command in (["ask", "灯塔在哪里？", "where is the lighthouse?"], ["sources"],
                    ["forget", "0123456789abcdef"]):
        done = _cli(*command, cwd=tmp_path, **env)
        notices = [line for line in done.stderr.splitlines() if "is empty" in line]
        assert len(notices) == 1, (command, done.stderr)
        assert where in notices[0] and "`citebot ingest PATH…`" in notices[0]
    chat = _cli("chat", cwd=tmp_path, input="灯塔在哪里？\n", **env)
    assert chat.stderr.splitlines()[0].startswith(f"citebot: the store at {where} ")


async def test_the_bots_start_up_log_says_the_store_is_empty(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.logs import log_store_size
    from retrieval import Answerer
    from tests.support.settings import make_settings

    settings = make_settings(tmp_path, embedding_model=MODEL_NAME)
    with caplog.at_level(logging.INFO):
        await log_store_size(settings, Answerer(settings))
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert str((tmp_path / "chroma").resolve()) in record.getMessage()
    assert "`citebot ingest PATH…`" in record.getMessage()


# --- 15. ask --json -------------------------------------------------------------------------------


def test_ask_json_has_the_question_as_used_and_the_notes(
    one_article: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    _, env = one_article
    long_question = "Who keeps the lighthouse? " * 100
    done = _cli("ask", "--json", "   灯塔守护着什么？\n", long_question, cwd=tmp_path, **env)
    assert done.returncode == 0, done.stderr
    short, long = (json.loads(line) for line in done.stdout.splitlines())
    assert short["question"] == "灯塔守护着什么？" and short["notes"] == []
    assert long["question"] == long_question.strip()[:2000]
    assert long["notes"] == ["Your question was long; I used its first 2000 characters."]


def test_a_question_pasted_from_slack_loses_the_bots_mention(
    one_article: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    _, env = one_article
    pasted = "<@U123ABC> 灯塔守护着什么？"
    asked = _cli("ask", "--json", pasted, cwd=tmp_path, **env)
    chat = _cli("chat", "--json", cwd=tmp_path, input=f"{pasted}\n", **env)
    for done in (asked, chat):
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["question"] == "灯塔守护着什么？"


# --- 16. plurals and sizes -----------------------------------------------------------------------


def test_counts_and_sizes_read_as_english(
    one_article: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    folder, env = one_article
    sources = _cli("sources", "--json", cwd=tmp_path, **env)
    (record,) = json.loads(sources.stdout)
    listing = _cli("sources", cwd=tmp_path, **env).stdout.splitlines()
    assert listing[-1] == "1 article" and "  1 chunk  灯塔的故事" in listing[0], listing
    done = _cli("forget", record["id"], cwd=tmp_path, **env)
    assert done.stdout == f"forgot {record['id']}: 1 chunk removed\n"

    (folder / "big.txt").write_text("灯塔。" * 400, encoding="utf-8")  # 3.6 KB
    done = _cli("ingest", str(folder / "big.txt"), cwd=tmp_path, CITEBOT_MAX_FILE_MB="0.001",
                   **{k: v for k, v in env.items() if k != "CITEBOT_MAX_FILE_MB"})
    assert "file too large (3.6 KB; the limit is 1.0 KB, CITEBOT_MAX_FILE_MB=0.001)" in done.stderr
    assert "0.0 MB" not in done.stderr


# --- the same text in two files ---------------------------------------------------------------


def test_sources_lists_a_text_of_two_files_once_and_edits_keep_it(
    one_article: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    folder, env = one_article
    (folder / "copy.md").write_text(ARTICLE, encoding="utf-8")
    assert _cli("ingest", str(folder), cwd=tmp_path, **env).returncode == 0
    (record,) = json.loads(_cli("sources", "--json", cwd=tmp_path, **env).stdout)
    original, copy = str(folder / "lighthouse.md"), str(folder / "copy.md")
    assert (record["source"], record["sources"]) == (original, [original, copy])
    listing = _cli("sources", cwd=tmp_path, **env).stdout.splitlines()
    assert listing[1:] == [f"{'':18}{original}", f"{'':18}also {copy}", "1 article"], listing

    (folder / "lighthouse.md").write_text("# 灯塔\n\n灯塔去年关闭了。\n", encoding="utf-8")
    done = _cli("ingest", str(folder), cwd=tmp_path, **env)
    assert done.stdout.splitlines()[-1] == "2 articles: 1 chunk added, 1 unchanged, 0 removed"
    rows = json.loads(_cli("sources", "--json", cwd=tmp_path, **env).stdout)
    assert {(r["id"] == record["id"], r["source"]) for r in rows} == {(True, copy), (False, original)}


def test_forget_file_drops_a_gone_file_another_file_still_holds(
    one_article: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    folder, env = one_article
    original, copy = folder / "lighthouse.md", folder / "copy.md"
    copy.write_text(ARTICLE, encoding="utf-8")
    assert _cli("ingest", str(folder), cwd=tmp_path, **env).returncode == 0
    (record,) = json.loads(_cli("sources", "--json", cwd=tmp_path, **env).stdout)
    assert record["sources"] == [str(original), str(copy)]
    original.unlink()
    gone = _cli("ingest", str(folder), cwd=tmp_path, **env)
    assert gone.returncode == 0, gone.stderr
    assert f"(`citebot forget --file {original.resolve()}` forgets this file alone)" in gone.stderr

    done = _cli("forget", "--file", str(original), cwd=tmp_path, **env)

    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"forgot {original.resolve()}: 0 chunks removed; its text stays, held by {copy.resolve()}\n"
    )
    (kept,) = json.loads(_cli("sources", "--json", cwd=tmp_path, **env).stdout)
    assert (kept["id"], kept["source"], kept["sources"]) == (record["id"], str(copy), [str(copy)])
    assert "gone from disk" not in _cli("ingest", str(folder), cwd=tmp_path, **env).stderr
    # The last file holding the text takes the article with it; a path is read from the cwd.
    done = _cli("forget", "--file", "copy.md", cwd=folder, **env)
    assert (done.returncode, done.stdout) == (0, f"forgot {copy.resolve()}: 1 chunk removed\n")
    assert json.loads(_cli("sources", "--json", cwd=tmp_path, **env).stdout) == []
    again = _cli("forget", "--file", str(copy), cwd=tmp_path, **env)
    assert again.returncode == 2 and f"no ingested file at {copy.resolve()}" in again.stderr
    _no_traceback(again.stderr)
    # `forget ID` is as it was.
    assert _cli("forget", record["id"], cwd=tmp_path, **env).stderr.endswith(
        f"no article with id {record['id']} (see `citebot sources`)\n"
    )


# --- ask --explain (issue 14) --------------------------------------------------------------------


def test_ask_explain_prints_what_decides_the_answer(
    one_article: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    _, env = one_article
    done = _cli("ask", "--explain", "灯塔守护着什么？", cwd=tmp_path, **env)
    assert done.returncode == 0, done.stderr
    explanation = json.loads(done.stdout)
    assert explanation["question"] == "灯塔守护着什么？"
    assert explanation["candidates"] and explanation["quotes"]
    assert {"margin", "sentence", "lexical", "cross_language"} <= set(explanation["features"])
    assert explanation["threshold"] == 0.5
    assert explanation["confident"] is (explanation["confidence"] >= 0.5)


def test_ask_explain_exits_2_when_the_store_cannot_be_searched(tmp_path: Path) -> None:
    with refused_port() as port:
        url = f"http://127.0.0.1:{port}"
        done = _cli("ask", "--explain", "灯塔在哪里？", cwd=tmp_path,
                    **_store_env(tmp_path, CITEBOT_CHROMA_URL=url))
    assert done.returncode == 2 and done.stdout == ""
    assert "cannot search the store" in done.stderr
    _no_traceback(done.stderr)


# --- ingest and watch yield the CPU to the bots (issue 18) --------------------------------------


def test_ingest_runs_at_a_lower_priority_than_the_bots(tmp_path: Path) -> None:
    import os

    if os.nice(0) >= 19:
        pytest.skip("already at the lowest priority: nothing could show the change")
    article = tmp_path / "note.md"
    article.write_text("# 灯塔\n\n灯塔守护着港口。\n", encoding="utf-8")
    probe = (
        "import os, sys; from bot import cli; before = os.nice(0); "
        "cli.main(['ingest', sys.argv[1]]); print(before, os.nice(0))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(article)],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[2],
        env=clean_env(**_store_env(tmp_path)),
    )
    assert done.returncode == 0, done.stderr
    before, after = map(int, done.stdout.strip().splitlines()[-1].split())
    assert after == min(before + 10, 19)  # 19 is the lowest priority there is
