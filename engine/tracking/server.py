"""Running ``mlflow server`` on a store, bound to loopback on a free port.

Its security middleware stays on (the default allows localhost hosts and origins).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

START_TIMEOUT_SECONDS = 90


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MlflowServer:
    def __init__(self, backend_store_uri: str, artifact_root: Path) -> None:
        self.backend_store_uri = backend_store_uri
        self.artifact_root = artifact_root
        self.process: subprocess.Popen | None = None
        self.url: str | None = None

    def start(self, port: int = 0) -> str:
        port = port or free_port()
        command = [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            self.backend_store_uri,
            "--default-artifact-root",
            self.artifact_root.as_uri(),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                error = self.process.stderr.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"mlflow server exited with {self.process.returncode}: {error}")
            if self.answers():
                return self.url
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"mlflow server did not answer on {self.url} in time")

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def wait(self) -> int:
        assert self.process is not None
        return self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
