"""How inputs and failures are told (ingest/messages.py)."""

from __future__ import annotations

import pytest

from ingest.messages import describe_error, display_text, format_size, hide_credentials, plural


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://alice:s3cretpw@127.0.0.1:8765/x", "http://alice:***@127.0.0.1:8765/x"),
        ("https://ghp_token@github.com/a", "https://***@github.com/a"),
        ("see https://a:p@ss@host/x?u=1@2 now", "see https://a:***@host/x?u=1@2 now"),
        ("https://example.com/a@b and mail@example.com", "https://example.com/a@b and mail@example.com"),
    ],
)
def test_hide_credentials_masks_the_password_of_every_url(text: str, shown: str) -> None:
    assert hide_credentials(text) == shown


def test_display_text_drops_what_acts_instead_of_being_shown() -> None:
    assert display_text("a\x1b[2Jb\u202egnp.exe\tc\n") == "a[2Jbgnp.exe\tc\n"


def test_counts_and_sizes_in_words() -> None:
    assert [plural(n, "article") for n in (0, 1, 2)] == ["0 articles", "1 article", "2 articles"]
    assert plural(2, "copy", "copies") == "2 copies"
    assert [format_size(b) for b in (1, 512, 2_300, 14_100_000, 999_999)] == [
        "1 byte",
        "512 bytes",
        "2.3 KB",
        "14.1 MB",
        "1.0 MB",
    ]


def test_an_error_is_its_class_and_the_first_line_of_its_message() -> None:
    assert describe_error(ValueError("Could not connect\nTraceback…")) == (
        "ValueError: Could not connect"
    )
    assert describe_error(KeyError()) == "KeyError"
    assert len(describe_error(RuntimeError("x" * 500))) == len("RuntimeError: ") + 200
