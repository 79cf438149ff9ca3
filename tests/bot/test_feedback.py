"""`FeedbackStore`: votes in SQLite, one per user and answer, only ids and the question."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from bot.feedback import FeedbackStore


def test_votes_are_kept_and_a_second_click_replaces_the_first(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "nested" / "feedback.sqlite3")
    store.record("slack", "a1", "Who said it?", "U1", "up")
    store.record("discord", "a1", "Who said it?", "U1", "down")  # another platform's user
    store.record("slack", "a1", "Who said it?", "U1", "down")
    records = FeedbackStore(tmp_path / "nested" / "feedback.sqlite3").all()  # reopened
    assert sorted((r.platform, r.answer_id, r.user_id, r.vote) for r in records) == [
        ("discord", "a1", "U1", "down"),
        ("slack", "a1", "U1", "down"),
    ]


def test_a_vote_must_be_up_or_down(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    with pytest.raises(ValueError, match="'up' or 'down'"):
        store.record("slack", "a1", "q", "U1", "sideways")  # type: ignore[arg-type]
    with sqlite3.connect(tmp_path / "feedback.sqlite3") as db, pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO feedback VALUES ('slack', 'a', 'q', 'U', 'meh', 0)")
    assert store.all() == []


def test_a_long_question_is_cut_to_2000_characters(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.record("slack", "a1", "问" * 5000, "U1", "up")
    assert store.all()[0].question == "问" * 2000


def test_votes_from_many_threads_are_all_recorded(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    threads = [
        threading.Thread(target=store.record, args=("slack", f"a{n}", "q", "U1", "up"))
        for n in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.answer_id for r in store.all()) == sorted(f"a{n}" for n in range(20))
