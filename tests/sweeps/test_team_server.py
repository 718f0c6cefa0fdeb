"""A team's setup with real servers: ``netyard server --postgres-dir`` (a private PostgreSQL
cluster, ``mlflow server`` with proxied artifacts) and ``netyard worker`` processes that share
no disk with it or with each other (own workspace, HOME and temp folder each).

Needs PostgreSQL's server programs (scripts/test.sh installs them when missing).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import optuna
import pytest
from mlflow.tracking import MlflowClient
from optuna.trial import TrialState

from engine.cli import main
from engine.errors import UsageError
from engine.services import PostgresCluster
from engine.services._postgres import server_programs
from engine.sweeps import list_studies
from engine.sweeps._reconcile import GRACE_ENV, HEARTBEAT_ATTR, HOST_ATTR, PID_ATTR
from engine.sweeps._storage import open_storage
from engine.tracking.server import MlflowServer, free_port
from engine.worker._zygote import ENV_VAR as ZYGOTE_ENV
from tests.sweeps.conftest import netyard, tiny_cli_sweep


def _have_postgres() -> bool:
    try:
        server_programs()
    except UsageError:
        return False
    return True


pytestmark = pytest.mark.skipif(
    not _have_postgres(), reason="PostgreSQL's server programs are not installed"
)
START_SECONDS = 240
SWEEP_SECONDS = 300


def _read_until(process: subprocess.Popen, marker: str, deadline: float) -> list[str]:
    """Its stdout lines up to the one containing ``marker`` (select on the raw pipe)."""
    data = b""
    fd = process.stdout.fileno()
    while marker.encode() not in data:
        assert time.monotonic() < deadline, f"no {marker!r} in time: {data.decode()}"
        assert process.poll() is None, f"exited early: {data.decode()} {process.stderr.read()}"
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            data += os.read(fd, 4096)
    return data.decode().splitlines()


def _value(lines: list[str], label: str) -> str:
    return next(line.split(label, 1)[1].strip() for line in lines if label in line)


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """``netyard server`` on loopback, its URLs, and afterwards: SIGTERM stops it all."""
    root = tmp_path_factory.mktemp("team")
    # Not under pytest's temp folder: as root, the cluster's owner (postgres) cannot enter it.
    postgres_dir = Path(tempfile.mkdtemp(prefix="netyard-team-pg-")) / "cluster"
    postgres_dir.parent.chmod(0o755)
    port = free_port()
    server = subprocess.Popen(
        netyard(
            "server",
            "--postgres-dir",
            str(postgres_dir),
            "--workspace",
            str(root / "ws"),
            "--port",
            str(port),
        ),  # fmt: skip
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        lines = _read_until(server, "Press Ctrl-C", time.monotonic() + START_SECONDS)
        info = {
            "tracking": _value(lines, "Tracking URI (MLflow):"),
            "storage": _value(lines, "Optuna storage:"),
            "artifacts": Path(_value(lines, "Artifacts kept in:")),
            "root": root,
            "postgres_dir": postgres_dir,
        }
        assert info["tracking"] == f"http://127.0.0.1:{port}"
        assert "WARNING" not in "\n".join(lines)  # loopback: no exposure warning
        yield info
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 128 + signal.SIGTERM, server.stderr.read().decode()
        # Nothing left serving: the port is closed and the cluster is stopped.
        with pytest.raises(OSError):
            import urllib.request

            urllib.request.urlopen(info["tracking"] + "/health", timeout=2)
        assert not (postgres_dir / "data" / "postmaster.pid").exists()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        with contextlib.suppress(Exception):  # leave no cluster running should a test fail
            PostgresCluster(postgres_dir).stop()
        shutil.rmtree(postgres_dir.parent, ignore_errors=True)


def _machine(root: Path, name: str) -> dict[str, str]:
    """The environment of a machine of its own: nothing shared with the others on disk."""
    home = root / name
    for folder in ("home", "tmp", "workspace"):
        (home / folder).mkdir(parents=True, exist_ok=True)
    # Nor a zygote: a worker forked from this process's would not be that machine's.
    inherited = {k: v for k, v in os.environ.items() if k != ZYGOTE_ENV}
    return {
        **inherited,
        "HOME": str(home / "home"),
        "TMPDIR": str(home / "tmp"),
        "NETYARD_WORKSPACE": str(home / "workspace"),
        "XDG_CACHE_HOME": str(home / "home" / ".cache"),
    }


def _events(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def _sweep_runs(tracking: str, name: str):
    client = MlflowClient(tracking)
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiments, f"tags.`netyard.sweep` = '{name}'")
    return client, runs


def _kill_machine(env: dict[str, str]) -> None:
    """kill -9 every process of a 'machine' (found by its HOME), as a power cut would."""
    marker = f"HOME={env['HOME']}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    # All at once, as a power cut: frozen first, so no process handles its parent's death
    # (a trial worker would end its run KILLED) before its own kill -9 lands.
    for signum in (signal.SIGSTOP, signal.SIGKILL):
        for pid in found:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signum)


def test_workers_that_share_no_disk_log_everything_through_the_server(team, tmp_path, capsys):
    name = f"team-{uuid.uuid4().hex[:8]}"
    machines = [_machine(tmp_path, f"machine{index}") for index in range(3)]
    budget = 5
    coordinator = subprocess.Popen(
        tiny_cli_sweep(
            name,
            1500,
            budget,
            "--storage",
            team["storage"],
            "--tracking-uri",
            team["tracking"],
            "--log-models",
        ),  # fmt: skip
        stdout=subprocess.PIPE,
        text=True,
        env=machines[0],
    )
    workers = []
    try:
        for line in coordinator.stdout:
            if json.loads(line)["kind"] == "sweep_started":
                break
        for env in machines[1:]:
            workers.append(
                subprocess.Popen(
                    netyard("worker", "--study", name, "--storage", team["storage"], "--json"),
                    stdout=subprocess.PIPE,
                    text=True,
                    env=env,
                )
            )
        outputs = [worker.communicate(timeout=SWEEP_SECONDS)[0] for worker in workers]
        coordinator.communicate(timeout=SWEEP_SECONDS)
    finally:
        for process in [coordinator, *workers]:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert coordinator.returncode == 0
    assert [worker.returncode for worker in workers] == [0, 0]
    assert any(e["kind"] == "trial_finished" for out in outputs for e in _events(out)), (
        "the workers ran no trial"
    )
    # The machines' own disks go away: everything must be on the server.
    for env in machines:
        assert not list(Path(env["NETYARD_WORKSPACE"], "artifacts").rglob("*")), (
            "an artifact was written to a worker's own workspace"
        )
        subprocess.run(["rm", "-rf", str(Path(env["HOME"]).parent)], check=True)

    study = optuna.load_study(study_name=name, storage=open_storage(team["storage"]))
    trials = study.get_trials()
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert budget <= len(complete) <= budget + 2
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    client, runs = _sweep_runs(team["tracking"], name)
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    numbers = sorted(int(r.data.tags["optuna.trial_number"]) for r in children)
    assert numbers == sorted(t.number for t in trials)  # each trial once in MLflow
    for run in children:
        assert run.info.status == "FINISHED"
        assert run.info.artifact_uri.startswith("mlflow-artifacts:"), run.info.artifact_uri
        folder = client.download_artifacts(run.info.run_id, "", str(tmp_path / run.info.run_id))
        assert (Path(folder) / "model" / "MLmodel").is_file()
        assert (Path(folder) / "config.json").is_file()
    assert list(team["artifacts"].rglob("MLmodel"))  # kept by the server, on its disk

    assert main(["sweeps", "--storage", team["storage"]]) == 0
    assert name in capsys.readouterr().out
    listed = {s.name: s for s in list_studies(team["storage"])}
    assert listed[name].states["COMPLETE"] == len(complete)


def test_a_killed_worker_machine_and_a_restarted_tracking_server_lose_no_trial(team, tmp_path):
    """One sweep, two accidents: a worker machine killed mid-trial (its trial is reconciled
    and its budget run again), then the tracking server (a second ``mlflow server`` on the
    team's MLflow database) stopped and started again on its port while trials run: the
    clients retry, and every completed trial lands once, each metric step once."""
    name = f"team-accidents-{uuid.uuid4().hex[:8]}"
    backend = team["storage"].rsplit("/", 1)[0] + "/mlflow"
    port, artifacts = free_port(), tmp_path / "artifacts"
    tracking_uri = f"http://127.0.0.1:{port}"

    def server() -> MlflowServer:
        started = MlflowServer(backend, proxied_artifacts=artifacts)
        started.start(port)
        return started

    coordinator_env, worker_env = _machine(tmp_path, "coord"), _machine(tmp_path, "worker")
    # A short grace: the coordinator looks for dead trials every 2 s, not every 10; MLflow's
    # back-off between retries halved: the outage is the same, the test waits less.
    coordinator_env.update({GRACE_ENV: "6", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1"})
    budget = 4
    tracking = server()
    coordinator = worker = None
    try:
        coordinator = subprocess.Popen(
            tiny_cli_sweep(
                name, 3000, budget, "--storage", team["storage"], "--tracking-uri", tracking_uri
            ),  # fmt: skip
            stdout=subprocess.PIPE,
            text=True,
            env=coordinator_env,
        )
        for line in coordinator.stdout:
            if json.loads(line)["kind"] == "sweep_started":
                break
        worker = subprocess.Popen(
            netyard("worker", "--study", name, "--storage", team["storage"], "--json"),
            stdout=subprocess.PIPE,
            text=True,
            env=worker_env,
        )
        killed = None
        for line in worker.stdout:
            event = json.loads(line)
            if event["kind"] == "trial_progress":  # its run exists and is training
                killed = event["number"]
                break
        assert killed is not None, "the worker ran no trial"
        _kill_machine(worker_env)
        worker.wait(timeout=30)
        # The coordinator's trial is running and logging: its calls fail until the new
        # server answers, seconds later (a start imports MLflow and migrates the store).
        tracking.stop()
        tracking = server()
        rest = coordinator.communicate(timeout=SWEEP_SECONDS)[0]
        assert coordinator.returncode == 0, rest

        study = optuna.load_study(study_name=name, storage=open_storage(team["storage"]))
        trials = {t.number: t for t in study.get_trials()}
        assert trials[killed].state == TrialState.FAIL
        assert "died" in trials[killed].user_attrs["netyard.fail_reason"]
        # Its budget was run again by the coordinator: the budget's worth of complete trials.
        complete = [t for t in trials.values() if t.state == TrialState.COMPLETE]
        assert len(complete) == budget
        client, runs = _sweep_runs(tracking_uri, name)
        children = {r.data.tags["optuna.trial_number"]: r for r in runs if r.info.run_name != name}
        assert children[str(killed)].info.status == "FAILED"
        for trial in complete:
            run = children[str(trial.number)]
            assert run.info.status == "FINISHED"
            steps = [m.step for m in client.get_metric_history(run.info.run_id, "train_loss")]
            assert steps and len(steps) == len(set(steps)), "a retried write logged a step twice"
    finally:
        for process in filter(None, [coordinator, worker]):
            if process.poll() is None:
                process.kill()
                process.wait()
        tracking.stop()


def test_another_machines_trial_fails_only_once_its_heartbeat_is_old(tmp_path, monkeypatch):
    """The cross-machine rule on a real storage: no process of that host can be asked, so
    a trial is dead when its heartbeat is older than the grace, and alive before."""
    from engine.sweeps._reconcile import reconcile_stale_trials

    monkeypatch.setenv(GRACE_ENV, "30")
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'study.db'}")
    fresh, old = study.ask(), study.ask()
    for trial, beat in ((fresh, time.time() - 5), (old, time.time() - 60)):
        trial.set_user_attr(HOST_ATTR, "another-machine")
        trial.set_user_attr(PID_ATTR, 12345)
        trial.set_user_attr(HEARTBEAT_ATTR, beat)
    assert reconcile_stale_trials(study, None) == [old.number]
    states = {t.number: t.state for t in study.get_trials()}
    assert states == {fresh.number: TrialState.RUNNING, old.number: TrialState.FAIL}
    reason = study.get_trials()[old.number].user_attrs["netyard.fail_reason"]
    assert "another-machine" in reason and "heartbeat" in reason
