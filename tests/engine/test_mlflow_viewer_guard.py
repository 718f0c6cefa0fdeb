"""``netyard ui mlflow`` refuses what other web pages send it to change the store.

A real ``netyard ui mlflow`` (a child interpreter and the ``mlflow server`` it starts) asked
with urllib as a browser would: a form posted from another site carries
``Sec-Fetch-Site: cross-site`` and, in some browsers, no ``Origin``; MLflow's own middleware
let it through, and the experiment was created.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from mlflow.tracking import MlflowClient
from netyard_test_support import tracking_uri

CLI = "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))"
START_SECONDS = 240  # mlflow server can take 30+ s to answer on a small machine
CREATE = "/api/2.0/mlflow/experiments/create"


def _server_url(process: subprocess.Popen) -> str:
    """The URL the command prints on its second line."""
    data, deadline = b"", time.monotonic() + START_SECONDS
    while data.count(b"\n") < 2:
        assert time.monotonic() < deadline, "netyard ui mlflow printed no URL in time"
        assert process.poll() is None, f"netyard exited early: {process.stderr.read()}"
        if select.select([process.stdout.fileno()], [], [], 0.5)[0]:
            data += os.read(process.stdout.fileno(), 4096)
    return data.decode().splitlines()[1].strip()


def _request(url: str, method: str, headers: dict[str, str], name: str = "") -> tuple[int, str]:
    body = json.dumps({"name": name}).encode() if method == "POST" else None
    request = urllib.request.Request(
        url, data=body, method=method, headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_a_cross_site_request_to_change_the_store_is_refused(workspace):
    process = subprocess.Popen(
        [sys.executable, "-c", CLI, "ui", "mlflow", "--workspace", str(workspace)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        url = _server_url(process)
        create = url + CREATE
        for headers in (
            {"Sec-Fetch-Site": "cross-site"},  # a form on another site, no Origin
            {"Sec-Fetch-Site": "same-site"},  # another port of this host
            {"Origin": "http://attacker.example"},  # a browser without Sec-Fetch-Site
        ):
            status, text = _request(create, "POST", headers, name="planted")
            assert status == 403, (headers, status, text)
        status, text = _request(create, "OPTIONS", {"Sec-Fetch-Site": "cross-site"})
        assert status == 403, text  # no preflight either
        # The viewer's own page, a typed URL and programs (no such headers) go on working.
        assert _request(create, "POST", {"Sec-Fetch-Site": "same-origin"}, name="own")[0] == 200
        assert _request(create, "POST", {}, name="program")[0] == 200
        assert _request(url + "/health", "GET", {"Sec-Fetch-Site": "cross-site"})[0] == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=120)
    names = {e.name for e in MlflowClient(tracking_uri(workspace)).search_experiments()}
    assert names == {"Default", "own", "program"}
