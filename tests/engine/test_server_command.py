"""``netyard server``'s refusals (one line, exit 2, nothing started), what it prints and the
team file it hands out."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from engine.cli import main
from engine.database_urls import split_password
from engine.errors import UsageError
from engine.services import TeamServices
from engine.services._secrets import ServerSecrets
from engine.team_file import TeamFile
from engine.tracking.server import MlflowServer


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give --postgres-dir DIR"),
        (["--postgres-dir", "pg", "--storage", "sqlite:///o.db"], "not both"),
        (["--backend-store-uri", "sqlite:///m.db"], "both --backend-store-uri URL"),
        (["--backend-store-uri", "sqlite:///a.db", "--storage", "sqlite:///a.db"],
         "the same database"),
        (["--port", "70000"], "invalid port '70000'"),
    ],
)  # fmt: skip
def test_bad_server_options_are_one_line_and_exit_2(tmp_path, capsys, args, message):
    code = main(["server", "--workspace", str(tmp_path / "ws"), *args])
    error = capsys.readouterr().err
    assert code == 2
    assert message in error and len(error.strip().splitlines()) == 1, error
    assert not (tmp_path / "ws" / "server-artifacts").exists()


def _started(host: str, folder: Path) -> TeamServices:
    services = TeamServices(host, Path("/srv/art"), folder, backend_store_uri="sqlite:///m.db",
                            storage_url="postgresql+psycopg2://u@db/optuna")  # fmt: skip
    services.secrets = ServerSecrets(folder)
    services.tracking = MlflowServer("sqlite:///m.db", host=host)
    services.tracking.url = "http://127.0.0.1:5000"
    return services


def test_the_announcement_points_to_the_team_file_and_warns_beyond_loopback(tmp_path):
    local = _started("127.0.0.1", tmp_path / "secrets").announcement()
    team_file = tmp_path / "secrets" / "team.json"
    assert "http://127.0.0.1:5000" in local
    assert f"netyard worker --study STUDY --team-file {team_file}" in local
    assert f"netyard sweep PLUGIN --dataset ID --name STUDY --team-file {team_file}" in local
    assert "WARNING" not in local
    exposed = _started("0.0.0.0", tmp_path / "secrets").announcement()
    assert f"http://{socket.gethostname()}:5000" in exposed
    assert "WARNING: listening on 0.0.0.0" in exposed
    assert "not encrypted" in exposed and "--allowed-hosts" in exposed


def test_the_server_keeps_its_secrets_and_hands_out_a_private_team_file(tmp_path):
    folder = tmp_path / "secrets"
    secrets = ServerSecrets(folder)
    auth = secrets.basic_auth()
    secrets.hand_out("http://host:5000", "postgresql+psycopg2://u:typed@db:5433/optuna", "")
    assert folder.stat().st_mode & 0o777 == 0o700
    for path in folder.iterdir():
        assert path.stat().st_mode & 0o777 == 0o600, path
    assert secrets.mlflow_password in auth.config.read_text()
    team = TeamFile.read(secrets.team_file)
    assert team.storage == "postgresql+psycopg2://u@db:5433/optuna"  # no password in the URL
    assert team.storage_password == "typed"
    assert (team.mlflow_username, team.mlflow_password) == ("netyard", secrets.mlflow_password)
    assert secrets.pgpass_file.read_text() == "*:5433:optuna:u:typed\n"
    # Kept across restarts: the workers' copies stay good.
    assert ServerSecrets(folder).mlflow_password == secrets.mlflow_password


def test_a_team_file_open_to_others_is_refused(tmp_path):
    path = tmp_path / "team.json"
    TeamFile("http://h:5000", "postgresql+psycopg2://u@h/optuna", "pw", "netyard", "m").write(path)
    environ: dict[str, str] = {}
    TeamFile.read(path).export_credentials(environ)
    assert environ == {"PGPASSWORD": "pw", "MLFLOW_TRACKING_USERNAME": "netyard",
                       "MLFLOW_TRACKING_PASSWORD": "m"}  # fmt: skip
    os.chmod(path, 0o644)
    with pytest.raises(UsageError, match=f"open to other users .*chmod 600 {path}"):
        TeamFile.read(path)


def test_a_password_is_taken_out_of_a_url():
    assert split_password("postgresql://u:p%40ss@h:5/db") == ("postgresql://u@h:5/db", "p@ss")
    assert split_password("postgresql://u@h/db") == ("postgresql://u@h/db", "")
    assert split_password("journal:/x/y") == ("journal:/x/y", "")


def test_a_team_sweep_is_not_queued_without_its_passwords(tmp_path, capsys):
    """The queue starts a sweep later, in another process: the team file's passwords would
    not be there, and the sweep would fall back to the workspace's own storage."""
    code = main(["queue", "add", "sweep", "cnn", "--dataset", "digits", "--team-file",
                 str(tmp_path / "team.json"), "--workspace", str(tmp_path / "ws")])  # fmt: skip
    assert code == 2
    assert "--team-file cannot be queued" in capsys.readouterr().err
    assert not (tmp_path / "ws" / "queue.json").exists()


def test_no_password_on_the_tracking_servers_command_line(tmp_path):
    """``ps`` shows every user each process's command line: a database password typed into
    --backend-store-uri goes to ``mlflow server`` through its environment instead."""
    secrets = ServerSecrets(tmp_path / "secrets")
    server = MlflowServer("postgresql://mlflow:s3cret@db:5432/mlflow", auth=secrets.basic_auth())
    command = " ".join(server.command(5000))
    assert "s3cret" not in command and "mlflow@db:5432/mlflow" in command
    assert "--app-name netyard-team" in command
    environment = server.environment()
    assert environment["PGPASSWORD"] == "s3cret"
    assert environment["MLFLOW_AUTH_CONFIG_PATH"] == str(tmp_path / "secrets" / "mlflow-auth.ini")
