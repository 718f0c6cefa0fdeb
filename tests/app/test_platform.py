"""Launching the app where Qt cannot open a window: one clear line and exit status 2, not
Qt's own abort (SIGABRT)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CLI = "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))"


def launch(**env: str | None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    return subprocess.run([sys.executable, "-c", CLI, "gui"], env=environment,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's Qt platforms")
def test_an_unknown_platform_is_named_with_the_ones_there_are():
    done = launch(QT_QPA_PLATFORM="bogus")
    assert done.returncode == 2, done.stderr
    assert "no platform plugin 'bogus'" in done.stderr and "offscreen" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's Qt platforms")
def test_no_display_says_so_instead_of_aborting():
    done = launch(QT_QPA_PLATFORM=None, DISPLAY=None, WAYLAND_DISPLAY=None)
    assert done.returncode == 2, done.stderr
    assert "no display to open the window on (DISPLAY is not set)" in done.stderr


def test_missing_xcb_libraries_are_named_with_their_packages():
    from app._platform import _package

    assert _package("libxcb-cursor.so.0") == "libxcb-cursor0"
    assert _package("libxcb-icccm.so.4") == "libxcb-icccm4"
    assert _package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
