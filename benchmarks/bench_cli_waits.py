"""How long the command line keeps a user waiting, and whether it says why at once.

From one run, in a fresh workspace, for each command: the seconds to its first output line
(a status line counts: the goal is a line within a second) and to its end, as a user would
time it with a stopwatch (the exit included):

- ``netyard ui mlflow``, on the workspace and on a new one: seconds until it answers
  ``/health`` (goal <= 10 s), the server processes beside ``netyard``'s own (goal: one) and
  the memory (RSS) of all of them;
- ``netyard run cnn --dataset mnist1d --steps 1`` in a fresh workspace (goal <= 10 s idle);
- ``netyard predict`` and ``netyard export --format onnx`` on that run;
- ``netyard sweeps`` listing two small studies (made first, not timed).

    python -m benchmarks.bench_cli_waits [--workspace DIR]

Every command is the installed ``netyard`` in a process of its own, its output piped (the
status lines are then plain lines). A shared machine's load moves the figures: say it.
"""

from __future__ import annotations

import argparse
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


def netyard_command() -> list[str]:
    """The console script beside this interpreter, as a user runs it."""
    script = Path(sys.executable).with_name("netyard")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from engine.cli import main; sys.exit(main())"]


@dataclass
class Timed:
    first_line: float | None = None
    total: float = 0.0
    code: int | None = None
    lines: list[str] = field(default_factory=list)


def timed(argv: list[str], until: str | None = None) -> tuple[Timed, subprocess.Popen]:
    """Run ``netyard ARGV``; the clock stops when it exits, or when a line containing
    ``until`` appears (then the process is left running for the caller)."""
    began = time.monotonic()
    process = subprocess.Popen([*netyard_command(), *argv], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip
    result = Timed()
    selector = selectors.DefaultSelector()
    for stream in (process.stdout, process.stderr):
        selector.register(stream, selectors.EVENT_READ)
    open_streams = 2
    while open_streams:
        for key, _ in selector.select():
            data = os.read(key.fileobj.fileno(), 65536)
            if not data:
                selector.unregister(key.fileobj)
                open_streams -= 1
                continue
            if result.first_line is None:
                result.first_line = time.monotonic() - began
            text = data.decode(errors="replace").replace("\r", "\n")
            result.lines += [line for line in text.splitlines() if line.strip()]
            if until and any(until in line for line in result.lines):
                result.total = time.monotonic() - began
                return result, process
    result.code = process.wait()
    result.total = time.monotonic() - began
    return result, process


def _process_tree(root: int) -> list[int]:
    """``root`` and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat[stat.rindex(")") + 2 :].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def mlflow_ui(workspace: Path, name: str) -> str:
    result, process = timed(["ui", "mlflow", "--workspace", str(workspace)], until="http://")
    try:
        url = next(line.strip() for line in result.lines if line.strip().startswith("http"))
        with urllib.request.urlopen(url + "/health", timeout=10) as response:
            assert response.status == 200
        tree = _process_tree(process.pid)
        rss = sum(_rss_mib(pid) for pid in tree)
        servers = len(tree) - 1  # netyard's own process apart
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
    return (
        f"{name:25s} first line {result.first_line:6.2f} s   answers /health "
        f"{result.total:6.2f} s   server processes {servers}   RSS {rss:.0f} MiB "
        f"(netyard and server)"
    )


def line(name: str, result: Timed) -> str:
    status = "" if result.code == 0 else f"   exit {result.code}: {result.lines[-1:]}"
    first = result.first_line or 0.0
    return f"{name:25s} first line {first:6.2f} s   done {result.total:6.2f} s{status}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspace", type=Path, help="a folder to use (default: a new one)")
    args = parser.parse_args()
    root = args.workspace or Path(tempfile.mkdtemp(prefix="netyard-bench-cli-"))
    workspace = root / "ws"
    print(f"workspace {workspace}; load average {os.getloadavg()[0]:.2f}")

    run, _ = timed(["run", "cnn", "--dataset", "mnist1d", "--steps", "1",
                    "--workspace", str(workspace)])  # fmt: skip
    print(line("run", run))
    run_id = next(text.split()[2] for text in run.lines if text.startswith("MLflow run: "))

    inputs = root / "inputs.csv"
    np.savetxt(inputs, np.random.default_rng(0).random((5, 40)), delimiter=",")
    predict, _ = timed(["predict", run_id, "--input", str(inputs), "--out",
                        str(root / "out.csv"), "--workspace", str(workspace)])  # fmt: skip
    print(line("predict", predict))
    export, _ = timed(["export", run_id, "--format", "onnx", "--out", str(root / "m.onnx"),
                       "--workspace", str(workspace)])  # fmt: skip
    print(line("export", export))

    for name in ("bench-a", "bench-b"):
        sweep = ["sweep", "cnn", "--dataset", "mnist1d", "--steps", "1", "--trials", "2"]
        made, _ = timed([*sweep, "--search", "lr", "--name", name, "--workspace", str(workspace)])
        assert made.code == 0, made.lines[-5:]
    sweeps, _ = timed(["sweeps", "--workspace", str(workspace)])
    print(line("sweeps", sweeps))
    print(mlflow_ui(workspace, "ui mlflow"))
    print(mlflow_ui(root / "new-ws", "ui mlflow, new workspace"))


if __name__ == "__main__":
    main()
