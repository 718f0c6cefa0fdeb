"""Shared test set-up: a quiet headless environment, workspaces, and a guard against orphans.

Every test runs with ``MPLBACKEND=Agg`` and ``NETYARD_WORKSPACE`` pointing into a temporary
folder, so nothing ever reaches the user's real workspace. A test that leaves a child process
running fails: a worker that outlives its test is a bug (in the test or in the code).
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["MPLBACKEND"] = "Agg"
# Test helpers and fixture plugins (tests/fixtures) import as top-level modules.
sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CHILD_GRACE_SECONDS = 10.0


# -- child processes ------------------------------------------------------------------------
def _live_children(parent: int) -> list[int]:
    """Pids of ``parent``'s children that are still running (zombies have already exited)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:  # it exited while we looked
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if fields.get("PPid", "").strip() == str(parent) and not fields.get("State", "").startswith(
            ("Z", "X")
        ):
            children.append(int(entry.name))
    return children


def _wait_for_exit(pids: list[int], deadline: float) -> list[int]:
    """Wait (without sleeping blindly) until the processes exit or the deadline passes.

    A pidfd becomes readable when its process exits, so ``poll`` returns as soon as the last
    one is gone. Returns the pids still running at the deadline.
    """
    if not hasattr(os, "pidfd_open"):  # pragma: no cover - non-Linux fallback
        while _live_children(os.getpid()) and time.monotonic() < deadline:
            time.sleep(0.05)
        return [pid for pid in pids if pid in _live_children(os.getpid())]
    descriptors: dict[int, int] = {}
    try:
        for pid in pids:
            try:
                descriptors[os.pidfd_open(pid)] = pid
            except ProcessLookupError:
                continue
        poller = select.poll()
        for fd in descriptors:
            poller.register(fd, select.POLLIN)
        running = dict(descriptors)
        while running:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            for fd, _ in poller.poll(remaining * 1000):
                poller.unregister(fd)
                running.pop(fd, None)
        return sorted(running.values())
    finally:
        for fd in descriptors:
            os.close(fd)


@pytest.fixture(autouse=True)
def no_leftover_child_processes() -> Iterator[None]:
    """Fail the test if a child process it started is still running after a grace period."""
    before = set(_live_children(os.getpid()))
    yield
    leftovers = [pid for pid in _live_children(os.getpid()) if pid not in before]
    if not leftovers:
        return
    still_running = _wait_for_exit(leftovers, time.monotonic() + CHILD_GRACE_SECONDS)
    if still_running:
        commands = {pid: _command_line(pid) for pid in still_running}
        for pid in still_running:  # don't let one leak poison the tests after it
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        pytest.fail(f"test left child processes running: {commands}", pytrace=False)


def _command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


# -- workspaces -----------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _isolated_default_workspace(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Code that falls back to the default workspace writes into a temporary one."""
    monkeypatch.setenv("NETYARD_WORKSPACE", str(tmp_path_factory.getbasetemp() / "default-ws"))


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty workspace folder (also ``$NETYARD_WORKSPACE``); no MLflow store yet."""
    root = tmp_path / "workspace"
    root.mkdir()
    monkeypatch.setenv("NETYARD_WORKSPACE", str(root))
    return root


@pytest.fixture(scope="session")
def _empty_mlflow_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow SQLite store made once by MLflow's own migrations (about 1.5 s)."""
    from mlflow.tracking import MlflowClient

    folder = tmp_path_factory.mktemp("mlflow-template")
    path = folder / "mlflow.db"
    MlflowClient(tracking_uri=f"sqlite:///{path}").search_experiments()
    return path


@pytest.fixture
def tracked_workspace(workspace: Path, _empty_mlflow_store: Path) -> Path:
    """A workspace whose ``mlflow.db`` already exists, empty (a copy of a migrated store)."""
    shutil.copyfile(_empty_mlflow_store, workspace / "mlflow.db")
    return workspace
