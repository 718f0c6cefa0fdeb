"""Shared test set-up: a quiet headless environment, workspaces, and a guard against orphans.

Every test runs with ``MPLBACKEND=Agg`` and ``NETYARD_WORKSPACE`` pointing into a temporary
folder, so nothing ever reaches the user's real workspace. A test that leaves a child process
running fails: a worker that outlives its test is a bug (in the test or in the code); workers
forked by a zygote of ours count as our children.

Tests that start workers ask for the session's ``zygote``, as the app starts one at launch:
their workers (and those of the ``netyard`` processes they start) fork from it instead of
each importing torch and MLflow afresh. The other tests start theirs fresh.
"""

from __future__ import annotations

import os
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

from netyard_test_support import command_line, live_children, wait_for_exit  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# ``pytester``: the example plugin's own tests run in this process (tests/plugins).
pytest_plugins = ["pytester"]

CHILD_GRACE_SECONDS = 10.0
ZYGOTE_ENV = "NETYARD_ZYGOTE"  # engine.worker._zygote.ENV_VAR, without importing the engine


# -- the worker zygote ------------------------------------------------------------------------
@pytest.fixture(scope="session")
def zygote():
    """The worker zygote, started by the first test that asks for it and ended with the
    session (session scope: it is there before that test's check for leftover processes)."""
    from engine.worker import start_zygote, stop_zygote

    started = start_zygote()
    assert started.wait_ready(300), started.error()
    yield started
    stop_zygote()


@pytest.fixture(autouse=True)
def _zygote_only_where_asked(request: pytest.FixtureRequest, monkeypatch) -> None:
    """Once started, the zygote is named in this process's environment; a test that did not
    ask for it starts its workers fresh, whichever tests ran before it."""
    if "zygote" not in request.fixturenames:
        monkeypatch.delenv(ZYGOTE_ENV, raising=False)


# -- child processes ------------------------------------------------------------------------
def _our_processes() -> set[int]:
    """Our running children, and the children of a zygote of ours (its forked workers)."""
    children = set(live_children(os.getpid()))
    zygotes = [pid for pid in children if "engine.worker._zygote" in command_line(pid)]
    return children.union(*(live_children(pid) for pid in zygotes))


@pytest.fixture(autouse=True)
def no_leftover_child_processes() -> Iterator[None]:
    """Fail the test if a child process it started is still running after a grace period."""
    before = _our_processes()
    yield
    leftovers = [pid for pid in _our_processes() if pid not in before]
    if not leftovers:
        return
    still_running = wait_for_exit(leftovers, time.monotonic() + CHILD_GRACE_SECONDS)
    if still_running:
        commands = {pid: command_line(pid) for pid in still_running}
        for pid in still_running:  # don't let one leak poison the tests after it
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        pytest.fail(f"test left child processes running: {commands}", pytrace=False)


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


# -- full disks: real tmpfs mounts (root mounts them, as in CI; elsewhere the test is skipped) --
def _mounted_tmpfs(folder: Path, size: str):
    import subprocess

    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB disk, for single files that do not fit."""
    yield from _mounted_tmpfs(tmp_path / "small", "2m")


@pytest.fixture
def disk_for_a_run(tmp_path):
    """A 40 MB disk: room for a workspace (the 20 MB start-up check) and little more."""
    yield from _mounted_tmpfs(tmp_path / "disk", "40m")
