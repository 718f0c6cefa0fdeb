"""The CLI: a sweep from a YAML spec with its progress lines, the listing, the dashboard.
The sweep runs in this process (its trials fork from the zygote); the dashboard in its own."""

from __future__ import annotations

import json
import select
import subprocess
import urllib.error
import urllib.request

import optuna
from netyard_test_support import netyard_here

from engine.cli import main
from engine.sweeps import default_storage_url
from engine.sweeps._storage import open_storage
from tests.sweeps.conftest import netyard


def test_sweep_from_a_yaml_file_then_listed(workspace, tmp_path, capsys):
    config = tmp_path / "sweep.yaml"
    config.write_text(
        "plugin: cnn\ndataset: mnist1d\nsearch:\n  lr: 1e-3:1e-1:log\n"
        "fixed: {steps: 20, depth: 2, channels: 8, batch_size: 32}\n"
        "trials: 2\nthreads: 1\nname: from-yaml\n"
    )
    code = netyard_here(
        "sweep", "--config", str(config), "--workspace", str(workspace), "--pruner", "none"
    )
    err = capsys.readouterr().err
    assert code == 0, err[-2000:]
    assert "Sweep from-yaml: cnn on mnist1d, maximize val_accuracy, 2 trials, 1 at once" in err
    assert "trial 0 done: val_accuracy" in err and "trial 1 done: val_accuracy" in err
    assert "trials 2/2  done 2  pruned 0  failed 0" in err
    assert "Sweep from-yaml finished" in err and "Best: trial" in err

    assert main(["sweeps", "--workspace", str(workspace)]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("from-yaml"))
    assert row.split()[:8] == ["from-yaml", "cnn", "mnist1d", "val_accuracy", "max", "2", "0", "0"]
    assert main(["sweeps", "--workspace", str(workspace), "--json"]) == 0
    listed = {study["name"]: study for study in json.loads(capsys.readouterr().out)}
    assert listed["from-yaml"]["states"] == {"finished": 2}


def test_ui_optuna_serves_the_workspace_storage(tmp_path):
    storage = default_storage_url(tmp_path)
    optuna.create_study(study_name="shown", storage=open_storage(storage))
    server = subprocess.Popen(
        netyard("ui", "optuna", "--workspace", str(tmp_path)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [server.stdout.readline() for _ in range(2)]
        assert lines[0].startswith(f"Optuna dashboard for {storage}")
        url = lines[1].strip()
        assert url.startswith("http://127.0.0.1:")
        studies = _get_when_up(url + "api/studies", server)["study_summaries"]
        assert [s["study_name"] for s in studies] == ["shown"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def _get_when_up(url: str, server: subprocess.Popen, attempts: int = 600) -> dict:
    """GET ``url`` once the server accepts connections (Bottle prints "Listening" before it
    binds); between refused attempts, wait on the server's output rather than a clock."""
    for _ in range(attempts):
        assert server.poll() is None, server.stderr.read()
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.URLError as error:
            if not isinstance(error.reason, ConnectionRefusedError):
                raise
            ready, _, _ = select.select([server.stderr], [], [], 0.1)
            if ready:  # consume what it said, so the next wait blocks again
                server.stderr.readline()
    raise AssertionError(f"{url} never answered")
