"""Configuration: one settings object from the environment and `.env`."""

from config.settings import (
    Settings,
    SettingsError,
    get_settings,
    load_settings,
    mask_secret,
    redact_secrets,
)

__all__ = [
    "Settings",
    "SettingsError",
    "get_settings",
    "load_settings",
    "mask_secret",
    "redact_secrets",
]
