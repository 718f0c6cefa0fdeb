"""``netyard server``'s refusals (one line, exit 2, nothing started) and what it prints."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from engine.cli import main
from engine.services import TeamServices
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


def _started(host: str) -> TeamServices:
    services = TeamServices(host, Path("/srv/art"), backend_store_uri="sqlite:///m.db",
                            storage_url="postgresql://u:pw@db/optuna")  # fmt: skip
    services.tracking = MlflowServer("sqlite:///m.db", host=host)
    services.tracking.url = "http://127.0.0.1:5000"
    return services


def test_the_announcement_gives_workers_what_they_need_and_warns_beyond_loopback():
    local = _started("127.0.0.1").announcement()
    assert "http://127.0.0.1:5000" in local
    assert "netyard worker --study STUDY --storage 'postgresql://u:pw@db/optuna'" in local
    assert "WARNING" not in local
    exposed = _started("0.0.0.0").announcement()
    assert f"http://{socket.gethostname()}:5000" in exposed
    assert "WARNING: listening on 0.0.0.0" in exposed
    assert "no authentication" in exposed and "--allowed-hosts" in exposed
