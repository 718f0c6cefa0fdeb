"""GUI event-loop latency while a 2-worker sweep runs with its dashboards open (goal p99 <= 50 ms).

The app's real window starts a real sweep (2 parallel trial workers, a tiny CNN on digits,
many trials) from its sweep form, shows the sweep dashboard, and a 10 ms ``QTimer`` probe
records how late each tick fires for the measured period. Prints p50 / p99 / max lateness,
and how long after Start both workers were training: as in the app, trial workers fork from
the zygote started at launch (Start is clicked once it is ready, as a user filling in the
form gives it time to be); ``--no-zygote`` starts them as fresh processes instead.

    python benchmarks/bench_app_responsiveness.py [--seconds 60] [--no-zygote]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

PROBE_MS = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--no-zygote", action="store_true", help="fresh worker processes")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    workspace = tempfile.mkdtemp(prefix="netyard-bench-")
    os.environ["NETYARD_WORKSPACE"] = workspace

    from PySide6.QtCore import Qt, QTimer

    from app._tasks import wait_for_background_tasks
    from app.main import create_application
    from app.window import MainWindow

    app = create_application(["bench"])
    app.setOrganizationName("netyard-bench")  # keep the user's settings out of it
    window = MainWindow(workspace=workspace)
    window.resize(1400, 900)
    window.show()
    zygote = None
    if not args.no_zygote:
        from engine.worker import start_zygote

        zygote = start_zygote()  # what app.main does once the window is shown
    window.finish_startup()
    state = {"phase": "loading", "late": [], "last": None, "until": 0.0, "started": 0.0}

    def start_sweep() -> None:
        form = window.sweep_form
        window.gallery.select("cnn")
        form.dataset.set_dataset_id("digits")
        rows = form.rows
        for name, value in (("channels", 8), ("depth", 2), ("batch_size", 32), ("steps", 400)):
            rows[name].fixed.set_value(value)
        rows["eval_every"].fixed.set_value(20)
        rows["lr"].toggle.setChecked(True)
        form.sampler.setCurrentText("random")
        form.trials.setValue(200)
        form.parallel.setValue(2)
        form.threads.setValue(1)
        form.schedule_check()
        state["phase"] = "checking"

    def tick() -> None:
        now = time.perf_counter()
        phase = state["phase"]
        if phase == "loading" and window.catalog.datasets_loaded:
            start_sweep()
        elif (
            phase == "checking"
            and window.sweep_form.is_ready()
            and (zygote is None or zygote.ready())
        ):
            state["started"] = now
            window.sweep_form.start()
            window.tabs.setCurrentWidget(window.sweeps_page)
            state["phase"] = "waiting"
        elif phase == "waiting":
            sweep = window.sweeps.sweep
            trials = sweep.trials.values() if sweep is not None else ()
            if sum(t.state == "RUNNING" and t.progress > 0 for t in trials) >= 2:
                state["phase"], state["until"] = "measuring", now + args.seconds
                state["last"] = now
                state["running_after"] = now - state["started"]
                print("sweep running with 2 workers; measuring", flush=True)
        elif phase == "measuring":
            state["late"].append(max(0.0, (now - state["last"]) * 1000 - PROBE_MS))
            if now >= state["until"]:
                state["phase"] = "done"
                window.confirm_close = lambda count: True  # end the sweep without asking
                app.quit()
        state["last"] = now

    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(PROBE_MS)
    probe.timeout.connect(tick)
    probe.start()
    app.exec()
    sweep = window.sweeps.sweep
    trials = len(sweep.trials) if sweep else 0
    window.jobs.shutdown()
    window.web.stop_all()
    wait_for_background_tasks()
    late = np.asarray(state["late"])
    print(
        f"event-loop lateness over {args.seconds:.0f} s ({len(late)} probes, {trials} trials "
        f"seen): p50 {np.percentile(late, 50):.1f} ms, p99 {np.percentile(late, 99):.1f} ms, "
        f"max {late.max():.1f} ms"
    )
    how = "fresh processes" if zygote is None else "forked from the zygote"
    print(f"both workers training {state['running_after']:.1f} s after Start (workers {how})")


if __name__ == "__main__":
    main()
