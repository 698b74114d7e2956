"""Where llmdesk keeps its files, through platformdirs (which honours XDG_CONFIG_HOME, XDG_DATA_HOME and
XDG_CACHE_HOME)."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP = "llmdesk"


def config_dir() -> Path:
    """The folder that holds ``settings.json``."""
    return platformdirs.user_config_path(APP, appauthor=False)


def data_dir() -> Path:
    """The folder that holds the conversation database."""
    return platformdirs.user_data_path(APP, appauthor=False)


def cache_dir() -> Path:
    """The folder for files llmdesk can rebuild (quantized weights, measured quality figures)."""
    return platformdirs.user_cache_path(APP, appauthor=False)


def settings_path() -> Path:
    return config_dir() / "settings.json"


def database_path() -> Path:
    return data_dir() / "conversations.sqlite3"
