"""A team's setup with real servers: ``netyard server --postgres-dir`` (a private PostgreSQL
cluster, ``mlflow server`` with proxied artifacts behind MLflow's basic-auth) and ``netyard
worker`` processes that share no disk with it or with each other (own workspace, HOME and
temp folder each), started with the commands the server printed, as printed.

One server and one sweep through it serve the module's tests: what reached the server, what
did not leak (passwords in MLflow, on consoles, on command lines), what each secret opens.
Needs PostgreSQL's server programs (scripts/test.sh installs them when missing).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from unittest import mock

import optuna
import pytest
from mlflow.tracking import MlflowClient
from netyard_test_support import without_status
from optuna.trial import TrialState
from sqlalchemy.engine import make_url

from engine.cli import main
from engine.errors import UsageError
from engine.services import PostgresCluster
from engine.services._postgres import server_programs
from engine.sweeps import list_studies
from engine.sweeps._reconcile import GRACE_ENV, HEARTBEAT_ATTR, HOST_ATTR, PID_ATTR
from engine.sweeps._storage import open_storage
from engine.team_file import TeamFile
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
BUDGET = 4
TINY_SWEEP = ("--search", "lr=1e-3:1e-1:log", "--set", "depth=1", "--set", "channels=4",
              "--steps", "300", "--threads", "1", "--pruner", "none", "--log-models",
              "--trials", str(BUDGET))  # fmt: skip


def _read_until(
    process: subprocess.Popen, marker: str, deadline: float, stream: str = "stdout"
) -> str:
    """Its output on ``stream`` up to the chunk containing ``marker`` (select on the pipe)."""
    data = b""
    fd = getattr(process, stream).fileno()
    while marker.encode() not in data:
        assert time.monotonic() < deadline, f"no {marker!r} in time: {data.decode()}"
        assert process.poll() is None, f"exited early: {data.decode()}"
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            data += os.read(fd, 4096)
    return data.decode()


def _value(lines: list[str], label: str) -> str:
    return next(line.split(label, 1)[1].strip() for line in lines if label in line)


def _printed(team: dict, start: str, **placeholders: str) -> list[str]:
    """The command the server printed that starts with ``start``, split as a shell does,
    its placeholders filled in; ``netyard`` is the installed console script."""
    line = next(line.strip() for line in team["lines"] if line.strip().startswith(start))
    words = [placeholders.get(word, word) for word in shlex.split(line)]
    assert words[0] == "netyard" and not set(placeholders) & set(words), line
    return [str(Path(sys.executable).with_name("netyard")), *words[1:]]


@pytest.fixture(scope="module")
def team(tmp_path_factory):
    """``netyard server`` on loopback, what it printed, and afterwards: SIGTERM stops it all."""
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
        lines = _read_until(server, "Press Ctrl-C", time.monotonic() + START_SECONDS).splitlines()
        team_file = Path(_value(lines, "Team file (secret):"))
        secrets = TeamFile.read(team_file)
        info = {
            "lines": lines,
            "tracking": _value(lines, "Tracking URI (MLflow):"),
            "storage": _value(lines, "Optuna storage:"),
            "team_file": team_file,
            "secrets": secrets,
            "pgpass": Path(_value(lines, "PGPASSFILE=")),
            "artifacts": Path(_value(lines, "Artifacts kept in:")),
            "root": root,
            "postgres_dir": postgres_dir,
        }
        assert info["tracking"] == f"http://127.0.0.1:{port}"
        assert info["storage"].startswith("postgresql+psycopg2://optuna@127.0.0.1:")
        assert "WARNING" not in "\n".join(lines)  # loopback: no exposure warning
        for secret in (team_file, info["pgpass"]):
            assert secret.stat().st_mode & 0o777 == 0o600
        yield info
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 128 + signal.SIGTERM, server.stderr.read().decode()
        # Nothing left serving: the port is closed and the cluster is stopped.
        with pytest.raises(OSError):
            urllib.request.urlopen(info["tracking"] + "/health", timeout=2)
        assert not (postgres_dir / "data" / "postmaster.pid").exists()
        for password in (secrets.storage_password, secrets.mlflow_password):
            assert password not in server.stderr.read().decode()
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


def _command_lines() -> set[str]:
    """Every process's command line, as ``ps`` shows them to every user."""
    found = set()
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if entry.name.isdigit():
                found.add((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
    return found


@pytest.fixture(scope="module")
def team_sweep(team, tmp_path_factory):
    """One sweep through the server, each process on a machine of its own and started with
    the command the server printed: a worker started before the coordinator (it waits for
    it), the coordinator, a second worker showing its human output. What each printed, and
    every process's command line while they ran."""
    name = f"team-{uuid.uuid4().hex[:8]}"
    root = tmp_path_factory.mktemp("machines")
    machines = {who: _machine(root, who) for who in ("early", "coordinator", "late")}
    worker = _printed(team, "netyard worker", STUDY=name)
    sweep = _printed(team, "netyard sweep", PLUGIN="cnn", ID="mnist1d", STUDY=name)
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    processes: dict[str, subprocess.Popen] = {}
    try:
        processes["early"] = subprocess.Popen([*worker, "--json"], env=machines["early"], **pipes)
        waited = _read_until(processes["early"], "waiting", time.monotonic() + 120, "stderr")
        processes["coordinator"] = subprocess.Popen(
            [*sweep, *TINY_SWEEP, "--json"], env=machines["coordinator"], **pipes
        )
        processes["late"] = subprocess.Popen(worker, env=machines["late"], **pipes)
        command_lines: set[str] = set()
        with ThreadPoolExecutor(len(processes)) as pool:
            ends = {who: pool.submit(p.communicate, timeout=SWEEP_SECONDS)
                    for who, p in processes.items()}  # fmt: skip
            while futures.wait(ends.values(), timeout=0.5).not_done:  # look every 0.5 s
                command_lines |= _command_lines()
            outputs = {who: [part.decode() for part in end.result()] for who, end in ends.items()}
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    outputs["early"][1] = waited + outputs["early"][1]
    return {
        "name": name,
        "machines": machines,
        "returncodes": {who: p.returncode for who, p in processes.items()},
        "stdout": {who: out for who, (out, _err) in outputs.items()},
        "stderr": {who: err for who, (_out, err) in outputs.items()},
        "command_lines": command_lines,
    }


def _events(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def _first(output: str, kind: str) -> dict:
    return next(e for e in _events(output) if e["kind"] == kind)


def _sweep_runs(tracking: str, name: str):
    client = MlflowClient(tracking)
    experiments = [e.experiment_id for e in client.search_experiments()]
    runs = client.search_runs(experiments, f"tags.`netyard.sweep` = '{name}'")
    return client, runs


@contextlib.contextmanager
def _team_credentials(team: dict):
    """This process with the team file's passwords in its environment, as the CLI puts them."""
    with mock.patch.dict(os.environ):
        team["secrets"].export_credentials()
        yield


def test_a_sweep_started_as_printed_loses_no_trial_and_leaves_nothing_on_workers(
    team, team_sweep, tmp_path
):
    name, stdout = team_sweep["name"], team_sweep["stdout"]
    assert team_sweep["returncodes"] == {"early": 0, "coordinator": 0, "late": 0}, team_sweep
    assert "waiting up to 300 s for sweep" in team_sweep["stderr"]["early"]
    # The worker that came first waited for the parent run: its trials went under it.
    started = _first(stdout["coordinator"], "sweep_started")
    assert started["parent_run_id"]
    early = _first(stdout["early"], "sweep_started")
    assert (early["parent_run_id"], early["tracking_uri"]) == (
        started["parent_run_id"],
        team["tracking"],
    )
    # The machines' own disks go away: everything must be on the server.
    for env in team_sweep["machines"].values():
        workspace = Path(env["NETYARD_WORKSPACE"])
        assert not list(workspace.rglob("mlflow.db")), "a run was logged on a worker's disk"
        assert not [p for p in workspace.glob("artifacts/**/*") if p.is_file()]
        subprocess.run(["rm", "-rf", str(Path(env["HOME"]).parent)], check=True)

    with _team_credentials(team):
        study = optuna.load_study(study_name=name, storage=open_storage(team["storage"]))
        trials = study.get_trials()
        complete = [t for t in trials if t.state == TrialState.COMPLETE]
        assert BUDGET <= len(complete) <= BUDGET + 2
        assert not [t for t in trials if t.state == TrialState.RUNNING]
        # The coordinator's last words are the study's state, other machines' trials included.
        finished = _first(stdout["coordinator"], "sweep_finished")
        assert finished["states"] == {"finished": len(complete)}
        assert finished["best_number"] == study.best_trial.number
        client, runs = _sweep_runs(team["tracking"], name)
        children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
        assert {r.data.tags["mlflow.parentRunId"] for r in children} == {started["parent_run_id"]}
        numbers = sorted(int(r.data.tags["optuna.trial_number"]) for r in children)
        assert numbers == sorted(t.number for t in trials)  # each trial once in MLflow
        for run in children:
            assert run.info.status == "FINISHED"
            assert run.info.artifact_uri.startswith("mlflow-artifacts:"), run.info.artifact_uri
            folder = client.download_artifacts(run.info.run_id, "", str(tmp_path / run.info.run_id))
            assert (Path(folder) / "model" / "MLmodel").is_file()
            assert (Path(folder) / "config.json").is_file()
    assert list(team["artifacts"].rglob("MLmodel"))  # kept by the server, on its disk
    # The human header of a worker: the storage, with no password to hide.
    assert (
        f"Storage: {team['storage']}   MLflow parent run: {started['parent_run_id']}"
        in (team_sweep["stderr"]["late"])
    )


def test_no_password_reaches_mlflow_a_console_or_a_command_line(team, team_sweep, tmp_path):
    secrets = team["secrets"]
    passwords = [secrets.storage_password, secrets.mlflow_password]
    printed = ["\n".join(team["lines"]), *team_sweep["stdout"].values(),
               *team_sweep["stderr"].values()]  # fmt: skip
    seen_by_ps = sorted(team_sweep["command_lines"])
    assert any("--team-file" in line for line in seen_by_ps)  # they were looked at
    assert any("mlflow" in line and "server" in line for line in seen_by_ps)
    with _team_credentials(team):
        client, runs = _sweep_runs(team["tracking"], team_sweep["name"])
        parent = next(r for r in runs if "mlflow.parentRunId" not in r.data.tags)
        assert parent.data.tags["netyard.storage"] == team["storage"]
        stored = [json.dumps([r.data.tags, r.data.params]) for r in runs]
        for run in runs:
            folder = Path(
                client.download_artifacts(run.info.run_id, "", str(tmp_path / run.info.run_id))
            )
            stored += [p.read_text(errors="replace") for p in folder.rglob("*.json")]
        study = optuna.load_study(study_name=team_sweep["name"], storage=team["storage"])
        stored.append(json.dumps(study.user_attrs))
        assert "sweep.json" in [a.path for a in client.list_artifacts(parent.info.run_id)]
    for password in passwords:
        assert not [text for text in printed if password in text], "a password was printed"
        assert not [line for line in seen_by_ps if password in line], "a password on a command line"
        assert not [text for text in stored if password in text], "a password in MLflow or Optuna"


def test_the_printed_storage_works_with_plain_optuna_and_netyard_sweeps(team, team_sweep, capsys):
    name = team_sweep["name"]
    with mock.patch.dict(os.environ, {"PGPASSFILE": str(team["pgpass"])}):
        os.environ.pop("PGPASSWORD", None)
        study = optuna.load_study(study_name=name, storage=team["storage"])  # as printed
        assert len(study.get_trials()) >= BUDGET
    with mock.patch.dict(os.environ):
        assert main(["sweeps", "--team-file", str(team["team_file"])]) == 0
        listed = {s.name: s for s in list_studies(team["storage"])}
    out = capsys.readouterr().out
    assert name in out and f"Storage: {team['storage']}" in out
    assert listed[name].states["finished"] >= BUDGET


def _psql(team: dict, user: str, database: str, sql: str, password: str):
    """``psql`` over TCP to the team's cluster, as a worker machine would connect."""
    url = make_url(team["storage"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update({"PGPASSWORD": password, "PGCONNECT_TIMEOUT": "10"})
    return subprocess.run(
        [
            str(server_programs() / "psql"),
            "-X",
            "-tA",
            "-h",
            url.host,
            "-p",
            str(url.port),
            "-U",
            user,
            "-d",
            database,
            "-c",
            sql,
        ],  # fmt: skip
        env=env,
        capture_output=True,
        text=True,
    )


def test_the_workers_password_opens_their_studies_and_nothing_else(team):
    password = team["secrets"].storage_password
    rights = _psql(team, "optuna", "optuna",
                   "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles "
                   "WHERE rolname = current_user", password)  # fmt: skip
    assert rights.stdout.strip() == "f|f|f", rights.stderr
    shell = _psql(team, "optuna", "optuna",
                  "CREATE TEMP TABLE o (x text); COPY o FROM PROGRAM 'id'", password)  # fmt: skip
    assert shell.returncode != 0 and "pg_execute_server_program" in shell.stderr, shell
    for user, database in (("optuna", "mlflow"), ("optuna", "postgres"), ("netyard", "optuna"),
                           ("mlflow", "mlflow")):  # fmt: skip
        refused = _psql(team, user, database, "SELECT 1", password)
        assert refused.returncode != 0 and "no pg_hba.conf entry" in refused.stderr, refused


def test_the_tracking_server_asks_for_the_team_password(team, tmp_path, capsys):
    secrets = team["secrets"]
    search = "/api/2.0/mlflow/experiments/search?max_results=1"

    def status(path: str, user: str | None = None, password: str = "", **request) -> int:
        headers = request.pop("headers", {})
        if user is not None:
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        call = urllib.request.Request(team["tracking"] + path, headers=headers, **request)
        try:
            with urllib.request.urlopen(call, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    assert status(search) == 401
    assert status(search, secrets.mlflow_username, "wrong") == 401
    assert status(search, secrets.mlflow_username, secrets.mlflow_password) == 200
    assert status("/health") == 200  # what a load balancer asks needs no password
    # A browser holding the team's credentials, made to post from another site: refused.
    create = {
        "data": b'{"name": "cross-site"}',
        "method": "POST",
        "headers": {"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"},
    }
    path = "/api/2.0/mlflow/experiments/create"
    assert status(path, secrets.mlflow_username, secrets.mlflow_password, **create) == 403
    with _team_credentials(team):
        assert MlflowClient(team["tracking"]).get_experiment_by_name("cross-site") is None
    # A run pointed at it without the password: one line, not MLflow's traceback.
    with mock.patch.dict(os.environ):
        for name in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
            os.environ.pop(name, None)
        code = main(["run", "cnn", "--dataset", "digits", "--steps", "2", "--workspace",
                     str(tmp_path / "ws"), "--tracking-uri", team["tracking"]])  # fmt: skip
    error = without_status(capsys.readouterr().err).splitlines()
    assert code == 2 and len(error) == 1, error
    assert error[0].startswith("netyard: error: the tracking server asks for a user name")


def test_a_killed_worker_machine_and_a_restarted_tracking_server_lose_no_trial(team, tmp_path):
    """One sweep, two accidents: a worker machine killed mid-trial (its trial is reconciled
    and its budget run again), then the tracking server (a second ``mlflow server`` on the
    team's MLflow database) stopped and started again on its port while trials run: the
    clients retry, and every completed trial lands once, each metric step once. The
    coordinator is given the storage with its password typed in: none reaches MLflow.

    The worker machine starts with the coordinator (it waits for the sweep, and its imports
    overlap the coordinator's); trials are long enough that the coordinator is training when
    the worker is killed and the server goes down: it runs them back to back until the
    budget is met, and the budget cannot be met before the killed trial is reconciled."""
    name = f"team-accidents-{uuid.uuid4().hex[:8]}"
    backend = PostgresCluster(team["postgres_dir"]).load().mlflow_url()
    port, artifacts = free_port(), tmp_path / "artifacts"
    tracking_uri = f"http://127.0.0.1:{port}"

    def server() -> MlflowServer:
        started = MlflowServer(backend, proxied_artifacts=artifacts)
        started.start(port)
        return started

    password = team["secrets"].storage_password
    typed = team["storage"].replace("optuna@", f"optuna:{password}@")
    coordinator_env, worker_env = _machine(tmp_path, "coord"), _machine(tmp_path, "worker")
    # A short grace: the coordinator looks for dead trials every 2 s, not every 10; MLflow's
    # back-off between retries halved: the outage is the same, the test waits less.
    coordinator_env.update({GRACE_ENV: "6", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1"})
    worker_env["PGPASSWORD"] = password
    budget = 4
    tracking = server()
    coordinator = worker = None
    try:
        coordinator = subprocess.Popen(
            tiny_cli_sweep(name, 2000, budget, "--storage", typed, "--tracking-uri", tracking_uri),
            stdout=subprocess.PIPE,
            text=True,
            env=coordinator_env,
        )
        worker = subprocess.Popen(
            netyard("worker", "--study", name, "--storage", team["storage"], "--json"),
            stdout=subprocess.PIPE,
            text=True,
            env=worker_env,
        )
        for line in coordinator.stdout:
            if json.loads(line)["kind"] == "sweep_started":
                assert password not in line
                break
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
        assert password not in rest

        with _team_credentials(team):
            study = optuna.load_study(study_name=name, storage=open_storage(team["storage"]))
        trials = {t.number: t for t in study.get_trials()}
        assert trials[killed].state == TrialState.FAIL
        assert "died" in trials[killed].user_attrs["netyard.fail_reason"]
        # Its budget was run again by the coordinator: the budget's worth of complete trials.
        complete = [t for t in trials.values() if t.state == TrialState.COMPLETE]
        assert len(complete) == budget
        client, runs = _sweep_runs(tracking_uri, name)
        children = {r.data.tags["optuna.trial_number"]: r for r in runs if r.info.run_name != name}
        parent = next(r for r in runs if r.info.run_name == name)
        assert parent.data.tags["netyard.storage"] == team["storage"].replace(
            "optuna@", "optuna:***@"
        )
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


def test_a_cluster_made_before_the_roles_were_split_is_brought_to_them(tmp_path):
    """A cluster an older ``netyard server`` made: one superuser whose password every worker
    had, reachable from anywhere over TCP, owning the studies. The next start voids that
    password, hands the studies to the workers' role and keeps them readable and writable."""
    folder = Path(tempfile.mkdtemp(prefix="netyard-old-pg-")) / "cluster"
    folder.parent.chmod(0o755)
    cluster = PostgresCluster(folder)
    try:
        folder.mkdir(mode=0o700)
        cluster._own_folder()
        old_password = "the-old-superuser-password"
        (folder / "password").write_text(old_password)
        (folder / "password").chmod(0o644)  # readable by postgres when the test runs as root
        assert cluster._program("initdb", "-D", str(cluster.data), "-U", "netyard",
                                "--auth-local=trust", "--auth-host=scram-sha-256",
                                f"--pwfile={folder / 'password'}").returncode == 0  # fmt: skip
        with open(cluster.data / "pg_hba.conf", "a") as hba:
            hba.write("host all all 0.0.0.0/0 scram-sha-256\n")
        port = free_port()
        (folder / "netyard-postgres.json").write_text(json.dumps({"port": port}))
        cluster._pg_ctl("start", "-w", "-l", str(folder / "server.log"),
                        "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {folder}")  # fmt: skip
        assert cluster._program("createdb", "-h", str(folder), "-p", str(port), "-U", "netyard",
                                "optuna").returncode == 0  # fmt: skip
        old_url = f"postgresql+psycopg2://netyard:{old_password}@127.0.0.1:{port}/optuna"
        optuna.create_study(study_name="kept", storage=old_url).optimize(lambda t: 1.0, 1)
        cluster.stop()

        cluster.start()  # this version
        assert not (folder / "password").exists()
        with mock.patch.dict(os.environ, {"PGPASSWORD": cluster.storage_password}):
            study = optuna.load_study(study_name="kept", storage=cluster.storage_url())
            study.optimize(lambda t: 2.0, 1)  # its tables are the workers' role's now
            assert [t.value for t in study.get_trials()] == [1.0, 2.0]
        with pytest.raises(Exception, match="no pg_hba.conf entry|password authentication"):
            optuna.load_study(study_name="kept", storage=old_url)
        owners = cluster.psql("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = "
                              "'public'", "optuna")  # fmt: skip
        assert owners.stdout.split() == ["tableowner", "------------", "optuna", "(1", "row)"]
    finally:
        with contextlib.suppress(Exception):
            cluster.stop()
        shutil.rmtree(folder.parent, ignore_errors=True)


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
