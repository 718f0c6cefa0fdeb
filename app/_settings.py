"""What the app remembers between sessions (QSettings): workspaces, last configs, layout."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QSettings

MAX_RECENT_WORKSPACES = 8


def settings() -> QSettings:
    # Organisation and application names come from QCoreApplication (set in app.main, and to
    # throwaway values by the tests), so the tests never touch a user's settings.
    return QSettings()


def load_json(key: str, default: Any = None) -> Any:
    text = settings().value(key)
    if not text:
        return default
    try:
        return json.loads(str(text))
    except ValueError:
        return default


def save_json(key: str, value: Any) -> None:
    settings().setValue(key, json.dumps(value))


def recent_workspaces() -> list[str]:
    return [str(p) for p in load_json("workspaces/recent", [])]


def remember_workspace(path: str) -> list[str]:
    recent = [path, *(p for p in recent_workspaces() if p != path)][:MAX_RECENT_WORKSPACES]
    save_json("workspaces/recent", recent)
    return recent
