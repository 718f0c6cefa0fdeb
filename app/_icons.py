"""Toolbar and plugin icons: SVG files in resources/icons, crisp at any device pixel ratio."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon

ICONS_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"


@cache
def icon(name: str) -> QIcon:
    """``resources/icons/NAME.svg`` as an icon (an empty icon if the file is missing)."""
    path = ICONS_DIR / f"{name}.svg"
    return QIcon(str(path)) if path.is_file() else QIcon()


def plugin_icon(icon_name: str) -> QIcon:
    """A plugin's declared icon: a bundled ``plugin-NAME.svg``, an image path, or a default."""
    if icon_name:
        bundled = ICONS_DIR / f"plugin-{icon_name}.svg"
        if bundled.is_file():
            return icon(f"plugin-{icon_name}")
        if Path(icon_name).is_file():
            return QIcon(icon_name)
    return icon("plugin")
