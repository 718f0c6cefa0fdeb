"""Start-to-first-step in the app: how long after Start a run's (or a sweep trial's) first
training step is reported, with the zygote running as ``app.main`` starts it at launch.

Each job is a tiny CNN on digits started through the app's ``JobManager`` (what the Start
buttons call); the clock runs from ``start_run`` / ``start_sweep`` to the first event that
shows a trained step. Prints the median of ``--repeats`` starts of each kind.

    python -m benchmarks.bench_app_start [--repeats 3] [--no-zygote]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

# eval_every=1: a sweep reports a trial's progress at evaluations only, so both kinds report step 1.
TINY = {"channels": 4, "depth": 2, "batch_size": 16, "steps": 100000, "eval_every": 1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-zygote", action="store_true", help="fresh worker processes")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    workspace = tempfile.mkdtemp(prefix="netyard-bench-")

    from PySide6.QtCore import QEventLoop, QTimer

    from app.jobs import JobManager
    from app.main import create_application
    from engine.events import StepMetrics
    from engine.sweeps import TrialProgress
    from engine.worker import start_zygote, stop_zygote

    app = create_application(["bench"])
    if not args.no_zygote:
        zygote = start_zygote()
        if not zygote.wait_ready(120):
            raise SystemExit(f"the zygote did not start: {zygote.error()}")
    manager = JobManager()

    def time_to_first_step(start) -> float:
        loop = QEventLoop()
        began = time.perf_counter()
        seen: list[float] = []

        def on_event(event) -> None:
            trained = isinstance(event, StepMetrics) or (
                isinstance(event, TrialProgress) and event.step > 0
            )
            if trained and not seen:
                seen.append(time.perf_counter() - began)
                loop.quit()

        job = start()
        job.event.connect(on_event)
        QTimer.singleShot(180_000, loop.quit)
        loop.exec()
        getattr(job, "shutdown_stop", job.stop)()  # a sweep cancels its running trial
        deadline = time.monotonic() + 60
        while job.active and time.monotonic() < deadline:  # its end arrives as Qt events
            app.processEvents()
            time.sleep(0.01)
        if not job.wait(10_000):
            job.kill()
            job.wait(5000)
        app.processEvents()
        if not seen:
            raise SystemExit(f"{job.title}: no step within 180 s ({job.state}: {job.message})")
        return seen[0]

    run_config = {
        "plugin": "cnn", "dataset": "digits", "hparams": TINY, "device": "cpu",
        "threads": 1, "workspace": workspace,
    }  # fmt: skip
    runs = [time_to_first_step(lambda: manager.start_run(run_config)) for _ in range(args.repeats)]
    sweeps = []
    for number in range(args.repeats):
        spec = {
            "plugin": "cnn", "dataset": "digits", "name": f"bench-start-{number}",
            "fixed": TINY, "search": {"lr": {"low": 1e-3, "high": 1e-1, "log": True}},
            "trials": 1, "parallel": 1, "threads": 1, "device": "cpu", "workspace": workspace,
        }  # fmt: skip
        sweeps.append(time_to_first_step(lambda spec=spec: manager.start_sweep(spec)))
    manager.shutdown()
    stop_zygote()
    how = "fresh processes" if args.no_zygote else "zygote running"
    print(f"start to first step ({how}), median of {args.repeats}:")
    for label, seconds in (("run", runs), ("sweep trial", sweeps)):
        each = ", ".join(f"{s:.2f}" for s in seconds)
        print(f"  {label + ':':<13}{statistics.median(seconds):.2f} s  ({each})")


if __name__ == "__main__":
    main()
