"""The app's waits a user meets first: the first dataset preview in a fresh workspace, and
closing the app while its start-up work still runs (goals: preview within 5 s, exit within
2 s, on an idle machine).

Each figure is a fresh ``python -m app`` (as ``netyard`` starts it) on a new workspace with
new settings, offscreen unless a display is set:
- first preview: seconds from launch until the Train form's dataset preview (the first
  plugin's default dataset, MNIST-1D: generated in a fresh workspace) is on screen;
- exit: SIGTERM sent 2 s and 8 s after launch (imports, the zygote, the runs browser's
  warm-up and the preview still running), seconds until the process has exited, and
  whether any process it started is left.

    python -m benchmarks.bench_app_waits [--repeat 1] [--signal-at 2 8]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
PREVIEW_TIMEOUT_SECONDS = 300
EXIT_TIMEOUT_SECONDS = 120

# The app as `netyard` starts it, saying on stdout when the first preview is on screen.
CHILD = r"""
import sys
from app.form._dataset_preview import DatasetPreviewPanel

made = DatasetPreviewPanel.__init__

def made_and_watched(self, *args, **kwargs):
    made(self, *args, **kwargs)
    self.shown.connect(lambda preview: print("PREVIEW", preview.dataset_id, flush=True))

DatasetPreviewPanel.__init__ = made_and_watched
from engine.cli import main
sys.exit(main(["gui", "--workspace", sys.argv[1]]))
"""


def launch(folder: Path) -> subprocess.Popen:
    """The app on a new workspace, with settings of its own (nothing remembered)."""
    env = {**os.environ, "XDG_CONFIG_HOME": str(folder / "config")}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(folder / "workspace")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def first_preview() -> tuple[float, str]:
    with tempfile.TemporaryDirectory(prefix="netyard-bench-") as folder:
        started = time.perf_counter()
        app = launch(Path(folder))
        seen: list[tuple[float, str]] = []
        done = threading.Event()

        def read() -> None:
            assert app.stdout is not None
            for line in app.stdout:
                if line.startswith("PREVIEW") and not seen:
                    seen.append((time.perf_counter() - started, line.split()[1]))
                    done.set()
            done.set()  # the app ended without a preview

        threading.Thread(target=read, daemon=True).start()
        done.wait(PREVIEW_TIMEOUT_SECONDS)
        app.send_signal(signal.SIGTERM)
        _wait(app)
    return seen[0] if seen else (float("nan"), "none (no preview shown)")


def exit_after_signal(at: float) -> tuple[float, int | None, int]:
    """Seconds from SIGTERM (sent ``at`` s after launch) to exit, the exit status, and how
    many of the app's processes are left 2 s after it exited."""
    with tempfile.TemporaryDirectory(prefix="netyard-bench-") as folder:
        app = launch(Path(folder))
        time.sleep(at)
        family = _descendants(app.pid)
        app.send_signal(signal.SIGTERM)
        sent = time.perf_counter()
        code = _wait(app)
        seconds = time.perf_counter() - sent
        time.sleep(2)
        left = [p for p in family if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        for process in left:
            process.kill()
    return seconds, code, len(left)


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _wait(app: subprocess.Popen) -> int | None:
    try:
        return app.wait(EXIT_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        app.kill()
        app.wait()
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="medians of this many launches")
    parser.add_argument("--signal-at", type=float, nargs="+", default=[2.0, 8.0],
                        metavar="S", help="seconds after launch to send SIGTERM")  # fmt: skip
    args = parser.parse_args()
    previews = [first_preview() for _ in range(args.repeat)]
    seconds = [s for s, _ in previews]
    print(
        f"first preview of {previews[0][1]} in a fresh workspace: "
        f"{statistics.median(seconds):.2f} s after launch ({_each(seconds)})"
    )
    for at in args.signal_at:
        exits = [exit_after_signal(at) for _ in range(args.repeat)]
        times = [s for s, _, _ in exits]
        codes = sorted({str(code) for _, code, _ in exits})
        left = max(n for _, _, n in exits)
        print(
            f"exit after SIGTERM {at:g} s after launch: {statistics.median(times):.2f} s "
            f"({_each(times)}; exit status {', '.join(codes)}; processes left: {left})"
        )


def _each(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
