"""The runs browser on 10 000 runs: first page, filter, sort and count times, and the GUI
event loop's lateness all the while (goals: first page <= 1.5 s, a filter and a sort <= 1 s
each, event-loop p99 <= 50 ms).

A store of 10 000 runs (20 params, 10 metrics of 3 points each, two experiments) is seeded
with MLflow's ``log_batch`` into ``--store-dir`` once; later runs reuse it. The real
``RunsBrowser`` (offscreen Qt) is then driven as a user would: shown (the cold first listing:
MLflow imported, dead runs reconciled), Refresh, a filter typed, a header clicked, scrolled to
the end twice. Each figure runs from the action to the browser's ``loaded`` (the rows are in
the table) or to the count being known. A 10 ms ``QTimer`` probe records how late each tick
fires from the first action to the last answer. ``--through-server`` reads the same store
through a loopback ``mlflow server`` (REST) instead of SQLite directly.

    python benchmarks/bench_browser_scale.py --store-dir /tmp/netyard-10k [--through-server]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PROBE_MS = 10
RUNS, PARAMS, METRICS, POINTS = 10_000, 20, 10, 3
FILTER = "metrics.m0 > 0.9"  # about a tenth of the runs: more than a page, so it is counted
SORT_METRIC = "m3"
DEADLINE_S = 600


def seed(store_dir: Path, runs: int) -> tuple[str, bool]:
    """The store's tracking URI, and whether it was seeded now (not by an earlier run)."""
    store_dir.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{store_dir.resolve() / 'mlflow.db'}"
    done = store_dir / f"seeded-{runs}x{PARAMS}x{METRICS}"
    if done.exists():
        return uri, False
    for stale in [store_dir / "mlflow.db", *store_dir.glob("seeded-*")]:
        stale.unlink(missing_ok=True)  # an interrupted seeding, or a store of another size
    from mlflow.entities import Metric, Param
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiments = [client.create_experiment(name) for name in ("scale-a", "scale-b")]
    rng = np.random.default_rng(0)
    began = time.perf_counter()
    start_ms = 1_760_000_000_000
    for index in range(runs):
        started = start_ms + index * 60_000
        run_id = client.create_run(
            experiments[index % 2], start_time=started, run_name=f"run-{index:05d}"
        ).info.run_id
        values = rng.random((METRICS, POINTS))
        metrics = [Metric(f"m{m}", float(values[m, step]), started + step, step)
                   for m in range(METRICS) for step in range(POINTS)]  # fmt: skip
        params = [Param(f"p{p}", str(int(rng.integers(0, 1000)))) for p in range(PARAMS)]
        client.log_batch(run_id, metrics=metrics, params=params)
        status = "FAILED" if index % 10 == 0 else "FINISHED"
        client.set_terminated(run_id, status, end_time=started + 30_000)
        if (index + 1) % 1000 == 0:
            print(f"seeded {index + 1} runs in {time.perf_counter() - began:.0f} s", flush=True)
    done.write_text(f"{time.perf_counter() - began:.1f} s\n")
    return uri, True


@dataclass
class Step:
    what: str
    answer: str  # "page": the browser's ``loaded``; "count": the count of matches known
    action: Callable[[], None] | None = None  # None: wait on, timed from step ``since``
    since: int | None = None  # the step whose action starts this one's clock


def steps(browser, uri: str, warmed: bool = False) -> list[Step]:
    from PySide6.QtCore import Qt

    def filtered() -> None:
        browser.search.setText(FILTER)
        browser.refresh()  # what Return in the filter line does

    def unfiltered() -> None:
        browser.search.clear()
        browser.refresh()

    def sort_by_metric() -> None:
        # What a click on the header sets (a metric's first click sorts largest first).
        column = browser.model.column_of(f"metrics.`{SORT_METRIC}`")
        browser.table.horizontalHeader().setSortIndicator(column, Qt.SortOrder.DescendingOrder)

    return [
        Step("shown: first page, after the start-up warm-up" if warmed else
             "shown: first page, cold (MLflow imported, store opened, runs reconciled)", "page",
             lambda: browser.set_tracking_uri(uri)),
        Step("its full count, from the cold start", "count", since=0),
        Step("Refresh: first page", "page", browser.refresh),
        Step("its full count, from Refresh", "count", since=2),
        Step(f"filter `{FILTER}`: first page", "page", filtered),
        Step("its full count", "count", since=4),
        Step("filter cleared: first page", "page", unfiltered),
        Step(f"header click, sort by {SORT_METRIC} DESC (the count before still running): "
             "first page", "page", sort_by_metric),
        Step("scrolled to the end: next page", "page", browser.table.scrollToBottom),
        Step("scrolled to the end again: next page", "page", browser.table.scrollToBottom),
        Step("full count of the sorted query, from the click", "count", since=7),
    ]  # fmt: skip


class Script:
    """The steps, advanced from the probe's ticks; answers are timed by the signals."""

    def __init__(self, browser, steps: list[Step]) -> None:
        self.browser = browser
        self.steps = steps
        self.index = -1
        self.starts: dict[int, float] = {}
        self.answers: dict[str, list[float]] = {"page": [], "count": []}
        self.figures: list[tuple[str, float]] = []
        self.failed = ""
        browser.loaded.connect(self._loaded)
        browser.pager.failed.connect(lambda what, message: setattr(self, "failed", message))
        browser.pager.counted.connect(lambda: self.answers["count"].append(time.perf_counter()))
        self._next()

    def _loaded(self, _rows: int) -> None:
        now = time.perf_counter()
        self.answers["page"].append(now)
        if self.browser.pager.total is not None:
            self.answers["count"].append(now)  # a query of one page, or its last page, came

    def _next(self) -> None:
        self.index += 1
        step = self.steps[self.index]
        if step.action is not None:
            self.starts[self.index] = time.perf_counter()
            step.action()

    def tick(self) -> bool:
        """Check the step in progress; False once every step has its figure (or failed)."""
        step = self.steps[self.index]
        clock = self.starts[self.index if step.since is None else step.since]
        answered = [t for t in self.answers[step.answer] if t >= clock]
        if not answered:
            return not self.failed  # (no Qt call here: it would add to the lateness measured)
        self.figures.append((step.what, answered[0] - clock))
        if self.index + 1 == len(self.steps):
            return False
        self._next()
        return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store-dir", type=Path, default=Path("/tmp/netyard-bench-10k"))
    parser.add_argument("--runs", type=int, default=RUNS, help="a smaller store for a try")
    parser.add_argument("--through-server", action="store_true", help="REST, not SQLite")
    parser.add_argument(
        "--after-warm-up", action="store_true",
        help="first do the warm-up the app does after its window shows, then open the browser",
    )  # fmt: skip
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    uri, seeded = seed(args.store_dir, args.runs)
    if seeded:  # measure in a fresh process, where MLflow is not imported yet
        os.execv(sys.executable, [sys.executable, *sys.argv])
    server = None
    if args.through_server:
        from engine.tracking.server import MlflowServer

        server = MlflowServer(uri, args.store_dir / "artifacts")
        uri = server.start()
    try:
        run_browser(uri, args.runs, args.after_warm_up)
    finally:
        if server is not None:
            server.stop()


def run_browser(uri: str, runs: int, after_warm_up: bool = False) -> None:
    from PySide6.QtCore import Qt, QTimer

    from app._tasks import wait_for_background_tasks
    from app.browser import RunsBrowser
    from app.main import create_application

    app = create_application(["bench"])
    app.setOrganizationName("netyard-bench")  # keep the user's settings out of it
    browser = RunsBrowser()
    browser.resize(1400, 900)
    browser.show()
    app.processEvents()  # the window is up before the clock starts
    if after_warm_up:
        _warm_up(app, uri)
    state = {"late": [], "last": time.perf_counter(), "until": time.perf_counter() + DEADLINE_S}
    script = Script(browser, steps(browser, uri, after_warm_up))

    def tick() -> None:
        now = time.perf_counter()
        state["late"].append(max(0.0, (now - state["last"]) * 1000 - PROBE_MS))
        state["last"] = now
        if not script.tick() or now > state["until"]:
            app.quit()

    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(PROBE_MS)
    probe.timeout.connect(tick)
    probe.start()
    app.exec()
    wait_for_background_tasks()
    report(f"{uri} ({runs} runs x {PARAMS} params x {METRICS} metrics)", script,
           np.asarray(state["late"]))  # fmt: skip


def _warm_up(app, uri: str) -> None:
    """What MainWindow.finish_startup starts on the MLflow queue once the window shows."""
    from app._tasks import run_in_background
    from app.browser._query import warm_up

    done: list = []
    started = time.perf_counter()
    run_in_background(lambda: warm_up(uri), done.append, queue="mlflow")
    while not done:
        app.processEvents()
        time.sleep(0.01)
    print(f"warm-up after start-up (on the MLflow queue): {time.perf_counter() - started:.2f} s")


def report(store: str, script: Script, late: np.ndarray) -> None:
    print(f"store: {store}")
    for what, seconds in script.figures:
        print(f"  {what}: {seconds:.2f} s")
    if len(script.figures) < len(script.steps):
        print(f"  stopped early: {script.failed or 'past the deadline'}")
    print(
        f"event-loop lateness ({len(late)} probes of {PROBE_MS} ms): p50 "
        f"{np.percentile(late, 50):.1f} ms, p99 {np.percentile(late, 99):.1f} ms, "
        f"max {late.max():.1f} ms"
    )


if __name__ == "__main__":
    main()
