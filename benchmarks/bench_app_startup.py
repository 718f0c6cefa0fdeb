"""Cold start of the desktop app: process start to the main window shown (goal <= 2 s).

Each repetition is a fresh Python process (``python -m app`` in the same way ``netyard``
starts it) that prints when the window has been shown and painted once, and which of torch,
optuna and mlflow were imported by then (none should be). Prints the median.

    python benchmarks/bench_app_startup.py [--repeat 5]

Runs offscreen unless a display is set (QT_QPA_PLATFORM is honoured).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import sys
from PySide6.QtCore import QTimer
from app.main import create_application
app = create_application(sys.argv)
from app.window import MainWindow
window = MainWindow()
window.show()
def shown():
    heavy = [m for m in ("torch", "optuna", "mlflow") if m in sys.modules]
    print("SHOWN", ",".join(heavy) or "-", flush=True)
    window.finish_startup()  # what app.main does next: the plot pages
    print("PLOTS", flush=True)
    app.quit()
QTimer.singleShot(0, shown)  # runs once the event loop has shown and painted the window
app.exec()
from app._tasks import wait_for_background_tasks
wait_for_background_tasks()  # the dataset listing started by finish_startup
"""


def once(workspace: str) -> tuple[float, str, float]:
    env = {**os.environ, "NETYARD_WORKSPACE": workspace}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True, env=env
    )
    heavy = "?"
    elapsed = plots = float("nan")
    for line in process.stdout:
        if line.startswith("SHOWN"):
            elapsed = time.perf_counter() - started
            heavy = line.split()[1]
        elif line.startswith("PLOTS"):
            plots = time.perf_counter() - started
    process.wait()
    return elapsed, heavy, plots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workspace:
        once(workspace)  # warm the OS file cache, as a second launch of the app would
        results = [once(workspace) for _ in range(args.repeat)]
    times = [seconds for seconds, _, _ in results]
    heavy = {modules for _, modules, _ in results}
    plots = [seconds for _, _, seconds in results]
    print(
        f"cold start to shown window: median {statistics.median(times):.2f} s "
        f"(min {min(times):.2f}, max {max(times):.2f}, n={len(times)})"
    )
    print(f"heavy modules imported before the window was shown: {', '.join(heavy)}")
    print(f"plot pages (pyqtgraph) built after it: median {statistics.median(plots):.2f} s")


if __name__ == "__main__":
    main()
