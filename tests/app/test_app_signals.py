"""The app ended by a signal quits as File > Quit does: exit status 128 + the signal, and no
zygote, worker or server process left behind. A real ``python -m app`` process, offscreen."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from netyard_test_support import command_line, live_children, wait_for_exit, wait_while_running

START_SECONDS = 120


def _descendants(pid: int) -> list[int]:
    found, frontier = [], [pid]
    while frontier:
        children = [child for parent in frontier for child in live_children(parent)]
        found += children
        frontier = children
    return found


@pytest.mark.parametrize("signum", [signal.SIGTERM], ids=["SIGTERM"])
def test_a_signal_closes_the_app_and_leaves_no_process(tmp_path, signum):
    # The app says it is up (window shown, zygote started, pages built) as systemd's
    # sd_notify does: READY=1 on the datagram socket $NOTIFY_SOCKET.
    ready = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ready.bind(str(tmp_path / "notify"))
    ready.settimeout(START_SECONDS)
    # Closed on the Runs browser last time: its first listing (MLflow's import) is under way
    # when the signal comes, and the zygote starts at once (no dataset preview to wait for).
    settings = tmp_path / "config" / "Netyard" / "Netyard.conf"
    settings.parent.mkdir(parents=True)
    settings.write_text("[window]\ntab=3\n")
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "NOTIFY_SOCKET": str(tmp_path / "notify"),
    }
    app = subprocess.Popen(
        [sys.executable, "-m", "app", "--workspace", str(tmp_path / "ws")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        with ready:
            assert ready.recv(64) == b"READY=1"
        # The zygote starts just after READY (once the first preview settled, or at once).
        wait_while_running(lambda: _descendants(app.pid), app, "zygote", START_SECONDS)
        family = _descendants(app.pid)
        app.send_signal(signum)
        assert app.wait(timeout=60) == 128 + signum, app.stderr.read().decode()[-2000:]
        left = wait_for_exit(family, time.monotonic() + 30)
        assert not left, [command_line(pid) for pid in left]
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
