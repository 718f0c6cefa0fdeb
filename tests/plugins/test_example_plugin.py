"""The example third-party plugin (examples/netyard-mlp), installed the way a user installs it.

It is built and installed with pip (offline, into a temporary folder put on ``sys.path``),
then found through its entry point, trained by ``netyard run`` into a temporary workspace,
and its own tests (the engine's conformance suite) run against the installed copy: collected
from the example's folder by a pytest session of their own, run in this process by pytester
(a nested interpreter would import torch and MLflow again for seconds).
"""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from mlflow.tracking import MlflowClient

from engine.cli import main
from engine.plugin import discover_plugins
from engine.workspace import Workspace

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "netyard-mlp"
PACKAGE = "netyard_mlp"


@dataclass(frozen=True)
class Installed:
    source: Path  # a copy of the example, so building it leaves nothing in the repository
    site: Path  # the folder pip installed it into


def _forget_package() -> None:
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    root = tmp_path_factory.mktemp("netyard-mlp")
    source, site = root / "source", root / "site"
    shutil.copytree(
        EXAMPLE,
        source,
        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".pytest_cache"),
    )
    pip = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--quiet"),
            *("--no-deps", "--no-build-isolation", "--no-index"),
            *("--target", str(site), str(source)),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        timeout=120,
    )
    assert pip.returncode == 0, pip.stdout + pip.stderr
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    discover_plugins(refresh=True)
    try:
        yield Installed(source, site)
    finally:
        # Leave no trace for other tests: no path entry, no module, no cached discovery.
        sys.path.remove(str(site))
        _forget_package()
        importlib.invalidate_caches()
        remaining = {entry.id for entry in discover_plugins(refresh=True)}
        assert "mlp" not in remaining, "the example plugin is still discoverable"


def test_discovered_through_its_entry_point(installed: Installed) -> None:
    entries = {entry.id: entry for entry in discover_plugins()}
    entry = entries["mlp"]
    assert entry.ok, entry.error
    assert entry.distribution == "netyard-mlp"
    assert entry.target == "netyard_mlp:MLPPlugin"
    # Loaded from the installed copy, and next to the built-in plugins rather than instead.
    assert Path(sys.modules[PACKAGE].__file__).is_relative_to(installed.site)
    assert entries["cnn"].ok


def test_netyard_run_trains_it(
    installed: Installed, tracked_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plugins", "mlp"]) == 0
    assert "width" in capsys.readouterr().out
    # `netyard run` installs SIGINT/SIGTERM handlers for its stop flag and sets torch's thread
    # count for the process; give pytest its own back.
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    threads = torch.get_num_threads()
    try:
        code = main(
            [
                *("run", "mlp", "--dataset", "digits", "--steps", "5", "--threads", "1"),
                *("--set", "width=16", "--set", "eval_every=5"),
                *("--workspace", str(tracked_workspace)),
            ]
        )
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        torch.set_num_threads(threads)
    assert code == 0, capsys.readouterr().err

    client = MlflowClient(Workspace.resolve(str(tracked_workspace)).tracking_uri)
    experiment = client.get_experiment_by_name("mlp-digits")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED"
    assert run.data.params["plugin"] == "mlp" and run.data.params["width"] == "16"
    history = client.get_metric_history(run.info.run_id, "train_loss")
    assert sorted(metric.step for metric in history) == [1, 2, 3, 4, 5]
    assert 0.0 <= run.data.metrics["test_accuracy"] <= 1.0
    artifacts = {item.path for item in client.list_artifacts(run.info.run_id)}
    assert {"model.safetensors", "config.json", "confusion_matrix.png"} <= artifacts


def test_its_own_tests_pass_against_the_installed_copy(
    installed: Installed, pytester: pytest.Pytester
) -> None:
    # The example's own configuration (its pyproject.toml), its tests, the installed package.
    tests = pytester.inline_run(
        *("--rootdir", str(installed.source), "-c", str(installed.source / "pyproject.toml")),
        *("-p", "no:cacheprovider", "-p", "no:pytestqt", "-p", "no:faulthandler"),
        str(installed.source / "tests"),
    )
    passed, skipped, failed = tests.listoutcomes()
    assert tests.ret == 0 and not failed, [report.longreprtext for report in failed]
    assert {Path(str(report.fspath)).name for report in passed} == {"test_mlp.py"}
    # The conformance suite ran (13 tests for a plugin of two kinds) and nothing was skipped.
    assert len(passed) >= 13 and not skipped, (len(passed), skipped)
    assert Path(sys.modules[PACKAGE].__file__).is_relative_to(installed.site)
