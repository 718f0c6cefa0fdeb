"""``netyard ui mlflow`` stopped by a signal takes its whole MLflow server with it.

Real processes: the CLI in a child interpreter and the server it starts (one process). After
the signal, the port is closed and nothing of the server's process group, nor anything naming
the workspace or the port, is left.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

# As tests/sweeps/conftest.py runs the CLI (engine.cli has no __main__).
CLI = "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))"

START_SECONDS = 240  # mlflow server can take 30+ s to answer on a small machine
EXIT_SECONDS = 60


def _sigint_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _read_lines(process: subprocess.Popen, count: int, deadline: float) -> list[str]:
    """``count`` lines of its stdout; select on the raw pipe, since a buffered readline
    may already hold the next lines (the CLI prints them in one write)."""
    data = b""
    fd = process.stdout.fileno()
    while data.count(b"\n") < count:
        assert time.monotonic() < deadline, "netyard ui mlflow printed no URL in time"
        assert process.poll() is None, f"netyard exited early: {process.stderr.read()}"
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            data += os.read(fd, 4096)
    return data.decode().splitlines()[:count]


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def _processes() -> dict[int, tuple[str, int, bytes, bytes]]:
    """Every readable process but this one: pid -> (state, pgid, cmdline, environ)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
            try:
                environ = (entry / "environ").read_bytes()
            except PermissionError:
                environ = b""
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        found[int(entry.name)] = (fields[0], int(fields[2]), cmdline, environ)
    return found


def _belongs(
    info: tuple[str, int, bytes, bytes], workspace: str, port: int, groups: set[int]
) -> bool:
    """A live (non-zombie) process of the server's groups, or naming the workspace/port."""
    state, pgid, cmdline, environ = info
    if state == "Z":
        return False
    args = cmdline.split(b"\0")
    return (
        pgid in groups
        or workspace.encode() in cmdline
        or workspace.encode() in environ
        or str(port).encode() in args
        or f":{port}".encode() in cmdline
    )


@pytest.mark.parametrize(
    ("signum", "status"),
    [
        (signal.SIGTERM, 128 + signal.SIGTERM),
        (signal.SIGHUP, 128 + signal.SIGHUP),
        (signal.SIGINT, 0),
    ],
    ids=["SIGTERM", "SIGHUP", "SIGINT"],
)
def test_a_signal_stops_the_whole_server(tmp_path, signum, status):
    workspace = str(tmp_path / "ws")
    netyard = subprocess.Popen(
        [sys.executable, "-c", CLI, "ui", "mlflow", "--workspace", workspace],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # Ctrl-C as a terminal delivers it: a suite started in the background by a
        # non-interactive shell inherits SIGINT ignored, and so would netyard.
        preexec_fn=_sigint_default,
    )
    groups: set[int] = set()
    try:
        deadline = time.monotonic() + START_SECONDS
        first, second = _read_lines(netyard, 2, deadline)
        assert first.startswith("MLflow UI for "), first
        url = second.strip()
        assert url.startswith("http://127.0.0.1:"), url
        port = int(url.rsplit(":", 1)[1])
        with urllib.request.urlopen(url + "/health", timeout=30) as response:
            assert response.status == 200

        # The server's process group(s): those of processes naming the workspace (its own
        # pid never is one of them, the CLI only names it in its arguments).
        running = _processes()
        groups |= {
            pgid
            for pid, (_, pgid, cmdline, _) in running.items()
            if pid != netyard.pid and workspace.encode() in cmdline
        }
        assert groups, "no mlflow server process names the workspace"
        assert os.getpgid(netyard.pid) not in groups
        members = [pid for pid, info in running.items() if info[1] in groups]
        # One server process (uvicorn in the process that prepared MLflow's app), not
        # ``mlflow server`` and the uvicorn child it starts.
        assert len(members) == 1, [running[pid][2] for pid in members]

        netyard.send_signal(signum)
        assert netyard.wait(timeout=EXIT_SECONDS) == status, netyard.stderr.read()[-2000:].decode(
            errors="replace"
        )

        assert not _accepts(port), f"port {port} still accepts connections"
        left = {
            pid: info[2].replace(b"\0", b" ").decode(errors="replace")
            for pid, info in _processes().items()
            if _belongs(info, workspace, port, groups)
        }
        assert not left, f"left running (of {len(members)} in the group): {left}"
    finally:
        if netyard.poll() is None:
            netyard.kill()
            netyard.wait()
        groups |= {info[1] for info in _processes().values() if workspace.encode() in info[2]}
        for pgid in groups:  # leave nothing behind should the test fail
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        netyard.stdout.close()
        netyard.stderr.close()
