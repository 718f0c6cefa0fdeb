"""Can Qt open a window here? Asked before the QApplication exists, because when it cannot,
Qt prints its own lines and aborts the process (SIGABRT), which no Python code can catch.

Linux only (elsewhere Qt's platform is always there): the platform Qt would load
(``QT_QPA_PLATFORM``, default xcb) must exist as a plugin, a display must be there for it,
and the xcb plugin's shared libraries must all resolve (``ldd``: a fresh Debian or Ubuntu lacks
libxcb-cursor0 and friends). One ``UsageError`` says what is missing and how to fix it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from engine.errors import UsageError

# What ``ldd libqxcb.so`` reports missing, by the Debian/Ubuntu package that provides it.
XCB_PACKAGES = {
    "libxcb-cursor": "libxcb-cursor0", "libxcb-icccm": "libxcb-icccm4",
    "libxcb-keysyms": "libxcb-keysyms1", "libxcb-image": "libxcb-image0",
    "libxcb-render-util": "libxcb-render-util0", "libxcb-xkb": "libxcb-xkb1",
    "libxkbcommon-x11": "libxkbcommon-x11-0", "libxcb-shape": "libxcb-shape0",
    "libxcb-randr": "libxcb-randr0", "libxcb-xinerama": "libxcb-xinerama0",
    "libxcb-xfixes": "libxcb-xfixes0", "libEGL": "libegl1", "libGL": "libgl1",
    "libfontconfig": "libfontconfig1", "libdbus-1": "libdbus-1-3",
}  # fmt: skip
DISPLAY_PLATFORMS = {"xcb": ("DISPLAY",), "wayland": ("WAYLAND_DISPLAY",)}


def plugin_folders() -> list[Path]:
    folders = [Path(p) for p in os.environ.get("QT_QPA_PLATFORM_PLUGIN_PATH", "").split(":") if p]
    import PySide6

    return [*folders, Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms"]


def check_platform() -> None:
    """Raise ``UsageError`` naming the fix when Qt would abort instead of opening a window."""
    if not sys.platform.startswith("linux"):
        return
    name = (os.environ.get("QT_QPA_PLATFORM") or "xcb").split(":")[0].strip() or "xcb"
    plugins = {p.stem.removeprefix("libq"): p for f in plugin_folders() for p in f.glob("libq*.so")}
    if name not in plugins:
        available = ", ".join(sorted(plugins)) or "none"
        raise UsageError(
            f"Qt has no platform plugin {name!r} (QT_QPA_PLATFORM); available: {available}. "
            f"Unset QT_QPA_PLATFORM, or use offscreen to run without a screen"
        )
    needed = DISPLAY_PLATFORMS.get(name, ())
    if needed and not any(os.environ.get(variable) for variable in needed):
        raise UsageError(
            f"no display to open the window on ({' or '.join(needed)} is not set): run it in a "
            f"desktop session, or use the netyard commands (netyard --help) without the app"
        )
    if name == "xcb":
        missing = missing_libraries(plugins[name])
        if missing:
            raise UsageError(
                f"Qt's xcb platform cannot load: {', '.join(missing)} not found. Install them: "
                f"sudo apt-get install {' '.join(packages_for(missing))}"
            )
        if not x_server_answers(os.environ["DISPLAY"]):
            raise UsageError(
                f"no X server answers on DISPLAY={os.environ['DISPLAY']}: start one (or log in "
                f"to a desktop session), or use offscreen (QT_QPA_PLATFORM=offscreen)"
            )


def x_server_answers(display: str) -> bool:
    """Whether an X server listens for ``display`` (``:N``, ``unix:N`` or ``HOST:N``); Qt
    aborts when none does. Unknown forms count as answering (Qt decides)."""
    import socket

    match = re.fullmatch(r"(?P<host>[^:]*):(?P<number>\d+)(\.\d+)?", display.strip())
    if match is None:
        return True
    host, number = match["host"], int(match["number"])
    if host in ("", "unix"):
        path = f"/tmp/.X11-unix/X{number}"
        family, address = socket.AF_UNIX, path
        if not os.path.exists(path):  # an abstract socket may still be there (Linux)
            address = "\0" + path
    else:
        family, address = socket.AF_INET, (host, 6000 + number)
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.settimeout(3)
            probe.connect(address)
    except OSError:
        return False
    return True


def missing_xcb_packages() -> list[str]:
    """The Debian/Ubuntu packages the xcb platform plugin lacks here (for scripts/install.sh)."""
    plugins = [p for f in plugin_folders() for p in f.glob("libqxcb.so")]
    return packages_for(missing_libraries(plugins[0])) if plugins else []


def packages_for(libraries: list[str]) -> list[str]:
    return sorted({_package(lib) for lib in libraries})


def missing_libraries(plugin: Path) -> list[str]:
    """The shared libraries ``ldd`` cannot find for ``plugin`` (none if ldd is not there)."""
    try:
        report = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    found = re.findall(r"^\s*(\S+) => not found", report.stdout, re.MULTILINE)
    return list(dict.fromkeys(found))  # ldd names a library once for each that needs it


def _package(library: str) -> str:
    stem = library.split(".so")[0]
    for prefix, package in XCB_PACKAGES.items():
        if stem == prefix or stem.startswith(prefix + "."):
            return package
    return stem
