"""What reproducibility costs a run: provenance at its start, system metrics while it trains.

Start: ``git_tags`` (one ``git status`` in the current folder), ``requirements_text`` (first
call in a process, then cached) and logging ``requirements.txt``; then starting and stopping
MLflow's system metrics monitor. Training: the work the monitor's thread does once per
sampling interval while holding the interpreter lock the training loop needs (sampling
psutil and NVML, averaging, the ``log_batch`` and the ``get_run`` it checks the run's
status with), against the interval: the share of a training step it can take at most. That
work is timed as this thread's CPU time: waiting on the disk (SQLite's commit) releases the
lock, so its wall time, also printed, costs training nothing.

    python -m benchmarks.bench_provenance
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from engine.tracking import RunTracker, git_tags, requirements_text
from engine.tracking._provenance import log_requirements
from engine.tracking._system_metrics import SAMPLING_SECONDS, SystemMetrics


def median_ms(
    work: Callable[[], object], repeats: int, clock: Callable[[], float] = time.perf_counter
) -> float:
    times = []
    for _ in range(repeats):
        start = clock()
        work()
        times.append(clock() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="netyard-bench-provenance-") as folder:
        uri = f"sqlite:///{Path(folder) / 'mlflow.db'}"
        tracker = RunTracker(uri)
        run_id = tracker.start("bench", "provenance", params={}, tags={})

        requirements_text.cache_clear()
        start = time.perf_counter()
        count = len(requirements_text().splitlines())
        first = (time.perf_counter() - start) * 1000
        print(f"git_tags (git status):          {median_ms(git_tags, args.repeats):6.1f} ms")
        print(f"requirements_text, first call:  {first:6.1f} ms ({count} packages; then cached)")
        logging = median_ms(lambda: log_requirements(tracker.client, run_id), args.repeats)
        print(f"logging requirements.txt:       {logging:6.1f} ms")
        monitor_cycle = median_ms(lambda: SystemMetrics(uri, run_id).start().stop(), args.repeats)
        print(f"system metrics start + stop:    {monitor_cycle:6.1f} ms")

        monitor = SystemMetrics(uri, run_id)._monitor
        assert monitor is not None, "MLflow's system metrics monitor could not start"
        monitor.collect_metrics()  # psutil's first CPU reading is against nothing

        def one_interval() -> None:
            monitor.collect_metrics()
            tracker.client.get_run(run_id)
            monitor.publish_metrics(monitor.aggregate_metrics())
            monitor.mlflow_logger.flush()

        wall = median_ms(one_interval, args.repeats)
        cpu = median_ms(one_interval, args.repeats, time.thread_time)
        share = cpu / (SAMPLING_SECONDS * 1000) * 100
        print(
            f"monitor work per sample:        {cpu:6.1f} ms CPU ({wall:.1f} ms wall), every "
            f"{SAMPLING_SECONDS:g} s: at most {share:.3f} % of training time"
        )
        tracker.end("FINISHED")


if __name__ == "__main__":
    main()
