"""`citebot chat`: the console conversation, `--json` lines and `/new`, on the shared rule."""

from __future__ import annotations

import io
import json

import pytest

from bot.console import answer_json, run_chat
from retrieval import Answer

KEYS = {"question", "answer", "confident", "quotes", "notes"}


def _chat(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], settings,
          lines: list[str]) -> list[dict]:
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    assert run_chat(settings, json_lines=True) == 0
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines()]


def test_a_json_line_is_the_ask_json_object_plus_its_notes() -> None:
    answer = Answer("q?", "I don't know", False, notes=["Your question was long…"])
    assert answer_json(answer) == {**answer.as_json(), "notes": ["Your question was long…"]}


@pytest.mark.slow
def test_chat_json_keeps_the_conversation_and_new_starts_over(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    conversation_settings, conversation_answerer,
) -> None:
    rows = _chat(monkeypatch, capsys, conversation_settings, [
        "Who did Tesla partner with in 1886?",
        "When did he die?",          # a follow-up: read with the question before it
        "",                          # blank lines are skipped, not answered
        "What sports are Kenyans active in?",  # a new topic: answered as alone
        "/New",                      # /new in any case: no output
        "When did he die?",          # nothing to refer back to now
    ])
    assert len(rows) == 4 and all(set(row) == KEYS for row in rows)
    first, follow_up, new_topic, fresh = rows
    assert any("Robert Lane and Benjamin Vail" in q["text"] for q in first["quotes"])
    assert follow_up["confident"] and any("7 January 1943" in q["text"] for q in follow_up["quotes"])
    assert follow_up["notes"] == [
        "I read this together with your earlier question: “Who did Tesla partner with in 1886?”."]
    alone = conversation_answerer.ask("What sports are Kenyans active in?")
    assert new_topic["quotes"] == answer_json(alone)["quotes"] and new_topic["notes"] == []
    assert fresh == answer_json(conversation_answerer.ask("When did he die?"))
