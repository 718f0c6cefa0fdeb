"""`netyard ui optuna`'s guard, with real HTTP requests to a real dashboard on a journal storage.

Each attack from the security report: a foreign Host (DNS rebinding), a cross-origin POST that
would create a study, a cross-origin DELETE that would remove one, a CORS preflight; and the
read-only default against the same requests from the dashboard's own origin.
"""

from __future__ import annotations

import http.client
import json
import threading

import optuna
import pytest

from engine.sweeps import default_storage_url
from engine.sweeps._dashboard import dashboard_server
from engine.sweeps._storage import open_storage

NEW_STUDY = json.dumps({"study_name": "planted", "directions": ["minimize"]})


@pytest.fixture(params=[False, True], ids=["read-only", "writes-allowed"])
def dashboard(request, tmp_path):
    storage = open_storage(default_storage_url(tmp_path))
    optuna.create_study(study_name="precious", storage=storage)
    server = dashboard_server(storage, 0, allow_writes=request.param)
    # Polled every 50 ms, not every 0.5 s: shutdown() waits for the next poll.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server.server_port, storage, request.param
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def send(port, method, path, host=None, origin=None, body=None, extra=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": host or f"127.0.0.1:{port}", **(extra or {})}
    if origin is not None:
        headers["Origin"] = origin
    if body is not None:
        headers["Content-Type"] = "application/json"
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    payload = response.read().decode()
    connection.close()
    return response.status, payload


def study_names(storage) -> list[str]:
    return sorted(summary.study_name for summary in optuna.get_all_study_summaries(storage))


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1:1"])
def test_a_foreign_host_is_refused(dashboard, host):
    port, _, _ = dashboard
    status, body = send(port, "GET", "/api/studies", host=host)
    assert status == 403 and "Invalid Host header" in body


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost"])
def test_loopback_hosts_read_studies(dashboard, name):
    port, _, _ = dashboard
    status, body = send(port, "GET", "/api/studies", host=f"{name}:{port}")
    assert status == 200
    assert [s["study_name"] for s in json.loads(body)["study_summaries"]] == ["precious"]


def test_a_cross_origin_post_creates_nothing(dashboard):
    port, storage, _ = dashboard
    status, body = send(port, "POST", "/api/studies", origin="http://evil.example", body=NEW_STUDY)
    assert status == 403 and "http://evil.example" in body
    assert study_names(storage) == ["precious"]


def test_a_cross_origin_delete_deletes_nothing(dashboard):
    port, storage, _ = dashboard
    status, _ = send(port, "DELETE", "/api/studies/0", origin="http://evil.example")
    assert status == 403
    status, _ = send(port, "DELETE", "/api/studies/0", extra={"Sec-Fetch-Site": "cross-site"})
    assert status == 403
    assert study_names(storage) == ["precious"]


def test_a_cross_origin_read_and_a_preflight_are_refused(dashboard):
    port, _, _ = dashboard
    status, _ = send(port, "GET", "/api/studies", origin="http://evil.example")
    assert status == 403
    status, body = send(
        port,
        "OPTIONS",
        "/api/studies",
        origin="http://evil.example",
        extra={"Access-Control-Request-Method": "DELETE"},
    )
    assert status == 403 and "Cross-origin" in body


def test_own_origin_writes_only_when_allowed(dashboard):
    port, storage, allow_writes = dashboard
    own = f"http://127.0.0.1:{port}"
    status, body = send(port, "POST", "/api/studies", origin=own, body=NEW_STUDY)
    if not allow_writes:
        assert status == 403 and "--allow-writes" in body
        assert send(port, "DELETE", "/api/studies/0", origin=own)[0] == 403
        assert study_names(storage) == ["precious"]
        return
    assert status == 201, body
    assert study_names(storage) == ["planted", "precious"]
    assert send(port, "DELETE", "/api/studies/0", origin=own)[0] == 204
    assert study_names(storage) == ["planted"]
