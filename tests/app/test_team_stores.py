"""The app pointed at a team's tracking server: a real ``mlflow server`` on loopback, chosen in
the "Tracking server and storage…" dialog, checked before it is kept, remembered for the
workspace, and the runs browser listing the server's runs."""

from __future__ import annotations

import time

import pytest
from conftest import LONG_MS
from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from app._team_dialog import Stores, StoresDialog, remembered_stores
from engine.tracking.server import MlflowServer, free_port


@pytest.fixture(scope="module")
def team_server(tmp_path_factory):
    """A tracking server on its own store with three runs in it."""
    root = tmp_path_factory.mktemp("team-store")
    store = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(store)
    experiment = client.create_experiment("team-experiment")
    now = int(time.time() * 1000)
    for index in range(3):
        run = client.create_run(experiment, run_name=f"remote-{index}")
        client.log_batch(
            run.info.run_id,
            metrics=[Metric("val_accuracy", 0.5 + index / 10, now, 1)],
            params=[Param("lr", str(10**-index))],
        )
        client.set_terminated(run.info.run_id)
    server = MlflowServer(store, root / "artifacts")
    server.start()
    yield server
    server.stop()


def _fill_stores_dialog(tracking: str, storage: str, team_file: str = "") -> None:
    """Type into the dialog once it is open (it runs modally) and press OK."""

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, StoresDialog):
            QTimer.singleShot(20, fill)
            return
        dialog.tracking.setText(tracking)
        dialog.storage.setText(storage)
        dialog.team_file.setText(team_file)
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    QTimer.singleShot(0, fill)


def test_the_runs_browser_lists_a_tracking_servers_runs(window, qtbot, team_server, tmp_path):
    storage = f"sqlite:///{tmp_path / 'team-optuna.db'}"
    _fill_stores_dialog(team_server.url, storage)
    window.choose_stores()

    assert window.tracking_uri == team_server.url
    assert window.sweep_form.storage == storage
    assert window.run_form.tracking_uri == team_server.url
    assert team_server.url in window.workspace_label.text()
    window.show_tab(3)
    window.browser.refresh()
    qtbot.waitUntil(lambda: window.browser.model.rowCount() == 3, timeout=LONG_MS)
    root = str(window.workspace.root)
    assert remembered_stores(root) == Stores(team_server.url, storage)

    # Remembered: the workspace opens on the server next time.
    from app.window import MainWindow

    again = MainWindow(workspace=root)
    qtbot.addWidget(again)
    assert again.tracking_uri == team_server.url
    assert again.sweep_form.storage == storage


def test_a_server_that_does_not_answer_is_named_and_not_kept(window, qtbot):
    root = str(window.workspace.root)
    dialog = StoresDialog(root, Stores(), window)
    qtbot.addWidget(dialog)
    dialog.show()
    closed = f"http://127.0.0.1:{free_port()}"
    dialog.tracking.setText(closed)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: "no MLflow tracking server" in dialog.message.text(), timeout=30_000)
    assert closed in dialog.message.text()
    assert dialog.isVisible() and dialog.chosen is None
    assert dialog.buttons.isEnabled()  # the user can correct it
    assert remembered_stores(root) == Stores()
    assert window.tracking_uri == window.workspace.tracking_uri


def test_a_server_that_asks_for_passwords_is_opened_with_its_team_file(
    window, qtbot, tmp_path, monkeypatch
):
    """A tracking server as ``netyard server`` runs it (MLflow's basic-auth): without the team
    file the dialog says a password is wanted; with it the runs browser lists its runs, and
    only the file's path is remembered."""
    from engine.services._secrets import ServerSecrets
    from engine.team_file import MLFLOW_PASSWORD_ENV, MLFLOW_USERNAME_ENV, STORAGE_PASSWORD_ENV

    for name in (STORAGE_PASSWORD_ENV, MLFLOW_USERNAME_ENV, MLFLOW_PASSWORD_ENV):
        monkeypatch.setenv(name, "")  # restored after the test, whatever the app put there
        monkeypatch.delenv(name)
    store = f"sqlite:///{tmp_path / 'guarded.db'}"
    client = MlflowClient(store)
    run = client.create_run(client.create_experiment("guarded"), run_name="behind-a-password")
    client.set_terminated(run.info.run_id)
    secrets = ServerSecrets(tmp_path / "team-server")
    server = MlflowServer(store, tmp_path / "artifacts", auth=secrets.basic_auth())
    server.start()
    try:
        storage = f"sqlite:///{tmp_path / 'team-optuna.db'}"
        secrets.hand_out(server.url, storage, "")
        root = str(window.workspace.root)
        dialog = StoresDialog(root, Stores(), window)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.tracking.setText(server.url)
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
        qtbot.waitUntil(lambda: "user name and password" in dialog.message.text(), timeout=30_000)
        assert dialog.chosen is None
        dialog.close()

        _fill_stores_dialog("", "", str(secrets.team_file))
        window.choose_stores()
        assert window.tracking_uri == server.url
        assert window.sweep_form.storage == storage
        assert remembered_stores(root) == Stores(server.url, storage, str(secrets.team_file))
        window.show_tab(3)
        window.browser.refresh()
        qtbot.waitUntil(lambda: window.browser.model.rowCount() == 1, timeout=LONG_MS)
    finally:
        server.stop()


def test_a_trial_another_machine_runs_shows_with_its_curve_from_the_server(
    window, qtbot, team_server, tmp_path
):
    """A sweep started in the app, a ``netyard worker`` in its own workspace joining it: the
    worker's trials appear in the sweep's table, their curves read from the tracking server."""
    import socket
    import subprocess
    import sys

    from engine.sweeps import SweepSpec, parse_search

    storage = f"journal:{tmp_path / 'shared.journal'}"
    spec = SweepSpec(
        plugin="cnn",
        dataset="mnist1d",
        search=[parse_search("lr=1e-3:1e-1:log")],
        fixed={"steps": 2500, "depth": 2, "channels": 8, "batch_size": 32, "eval_every": 250},
        trials=4,
        threads=1,
        sampler="random",
        pruner="none",
        workspace=str(window.workspace.root),
        tracking_uri=team_server.url,
        storage=storage,
        name="shared-sweep",
    )
    sweep = window.start_sweep(spec.to_dict())
    qtbot.waitUntil(lambda: bool(sweep.storage), timeout=LONG_MS)
    cli = "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))"
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            cli,
            "worker",
            "--study",
            "shared-sweep",
            "--storage",
            storage,
            "--workspace",
            str(tmp_path / "other-machine"),
        ],  # fmt: skip
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        qtbot.waitUntil(lambda: any(t.remote for t in sweep.trials.values()), timeout=LONG_MS)
        remote = next(t for t in sweep.trials.values() if t.remote)
        assert socket.gethostname() in remote.message
        assert not remote.active  # shown, but not this app's to stop or kill
        qtbot.waitUntil(lambda: remote.state == "finished", timeout=LONG_MS)
        assert len(remote.intermediate) >= 5  # its curve, from its run's history
        assert remote.run_id and remote.values
        assert worker.wait(timeout=120) == 0, worker.stderr.read().decode()[-2000:]
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    qtbot.waitUntil(lambda: sweep.state == "finished", timeout=LONG_MS)
    # The table is redrawn by the dashboard's 10 Hz frame timer, not at each event.
    table = window.sweeps.table
    qtbot.waitUntil(lambda: table.states().get(remote.trial_number) == "FINISHED", timeout=5000)
