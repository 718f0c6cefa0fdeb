"""Shared pieces of the sweep tests: workers forked from the session's zygote, one workspace
per module (the MLflow store is created once), a plugin that can fail on purpose, and
waiting for processes without sleeping."""

from __future__ import annotations

import os
import select
import sys
import textwrap
from pathlib import Path

import pytest
from netyard_test_support import installed_plugins

from engine.sweeps import SweepSpec, parse_search

TRAP_PLUGIN = '''
"""A test plugin: the CNN, plus a ``trap`` that makes a trial fail on purpose."""
from engine.schema import Choice, Schema
from plugins.cnn import CNNPlugin


class TrapPlugin(CNNPlugin):
    id = "trap"
    name = "CNN with traps"
    schema = CNNPlugin.schema.merged(
        Schema(Choice("trap", "none", choices=("none", "nan", "raise"), help="how to fail"))
    )

    def training_step(self, model, batch, step, context=None):
        outputs = dict(super().training_step(model, batch, step, context))
        if self.hparams["trap"] == "nan" and step >= 3:
            outputs["loss"] = outputs["loss"] * float("nan")
        if self.hparams["trap"] == "raise" and step >= 3:
            raise RuntimeError("the trap went off")
        return outputs
'''


@pytest.fixture(autouse=True)
def _forks_from_the_zygote(zygote) -> None:
    """Sweeps fork their trial workers from the session's zygote (tests/conftest.py), as in
    the app: a trial starts at once instead of after its imports. The team-server tests'
    machines take it out of their environments (a machine of its own forks from nothing)."""


@pytest.fixture(scope="session")
def workspace(tmp_path_factory) -> Path:
    """One workspace for the session: its MLflow store is created once (that takes seconds);
    every test uses its own sweep names."""
    return tmp_path_factory.mktemp("sweep-workspace")


@pytest.fixture
def trap_plugin(tmp_path):
    """Install the ``trap`` plugin through a real entry point, visible to worker processes."""
    modules = {"trapplug": textwrap.dedent(TRAP_PLUGIN)}
    with installed_plugins(tmp_path / "site", {"trap": "trapplug:TrapPlugin"}, modules,
                           name="trapplug", processes=True):  # fmt: skip
        yield "trap"


def tiny_spec(workspace: Path, name: str, *search: str, **fields) -> SweepSpec:
    """A sweep of the CNN on MNIST-1D with ~20 steps per trial and a small model."""
    fixed = {"steps": 20, "depth": 2, "channels": 8, "batch_size": 32, **fields.pop("fixed", {})}
    for item in search:
        fixed.pop(item.partition("=")[0], None)
    return SweepSpec(
        plugin=fields.pop("plugin", "cnn"),
        dataset="mnist1d",
        search=[parse_search(item) for item in search],
        fixed=fixed,
        workspace=str(workspace),
        name=name,
        threads=1,
        **fields,
    )


def wait_for_exit(pid: int, timeout: float = 60.0) -> bool:
    """True once process ``pid`` has exited (a pidfd becomes readable); False on timeout."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        return bool(ready)
    finally:
        os.close(fd)


class Recorder(list):
    """An ``emit`` that keeps every event."""

    def __call__(self, event) -> None:
        self.append(event)

    def of(self, cls) -> list:
        return [event for event in self if isinstance(event, cls)]


CLI = "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))"


def netyard(*args: str) -> list[str]:
    """The command line that runs ``netyard ARGS`` with this interpreter."""
    return [sys.executable, "-c", CLI, *args]


def tiny_cli_sweep(name: str, steps: int, trials: int, *extra: str) -> list[str]:
    """``netyard sweep`` of a small CNN over lr, JSON events on stdout."""
    return netyard(
        "sweep",
        "cnn",
        "--dataset",
        "mnist1d",
        "--search",
        "lr=1e-3:1e-1:log",
        "--set",
        "depth=2",
        "--set",
        "channels=8",
        "--steps",
        str(steps),
        "--trials",
        str(trials),
        "--threads",
        "1",
        "--pruner",
        "none",
        "--name",
        name,
        "--json",
        *extra,
    )
