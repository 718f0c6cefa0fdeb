"""CPU threads of a run beside other work: steps per second of a default run, alone and with
one busy process beside it (from the start, or starting a few seconds in), for the default
choice (``ThreadGovernor``: the cores others leave idle, followed as it trains), 1 thread and
all threads.

Each run is the engine's ``execute_run`` of the paper's ConvBase on MNIST-1D (the CNN's
defaults, no tracking, so only training is timed). The busy process is a Python loop, as a
second run or the app's plotting would be. Prints a table and, per condition, the default's
speed relative to the best fixed choice (1 is as good as the best of 1 and all threads).

    python -m benchmarks.bench_threads --steps 1500
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time

from benchmarks._bare_loop import new_workspace, prepare
from engine.runner import execute_run
from engine.training._threads import available_cores
from plugins.cnn import CONVBASE

BUSY = "while True: pass"
CONDITIONS = ("alone", "busy from the start", "busy from 2 s in")


def _busy(delay: float) -> tuple[threading.Timer | None, list[subprocess.Popen]]:
    started: list[subprocess.Popen] = []

    def start() -> None:
        started.append(subprocess.Popen([sys.executable, "-c", BUSY]))

    if delay <= 0:
        start()
        return None, started
    timer = threading.Timer(delay, start)
    timer.start()
    return timer, started


def steps_per_second(workspace, steps: int, threads: int | None, condition: str) -> float:
    prepared = prepare(workspace, {**CONVBASE, "steps": steps}, 0, threads, track=False)
    timer, busy = (None, [])
    if condition != "alone":
        timer, busy = _busy(0.0 if condition == "busy from the start" else 2.0)
    try:
        began = time.perf_counter()
        outcome = execute_run(prepared)
        seconds = time.perf_counter() - began
    finally:
        if timer is not None:
            timer.cancel()
        for process in busy:
            process.kill()
            process.wait()
    if outcome.status != "finished":
        raise RuntimeError(f"run ended {outcome.status}: {outcome.error}")
    return steps / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--conditions", nargs="+", choices=CONDITIONS, default=CONDITIONS)
    parser.add_argument("--no-all", action="store_true", help="leave out all threads (slow)")
    args = parser.parse_args()
    cores = available_cores()
    choices = {"default": None, "1 thread": 1, f"all ({cores})": cores}
    if args.no_all:
        del choices[f"all ({cores})"]
    workspace = new_workspace("netyard-bench-threads-")
    steps_per_second(workspace, 100, 1, "alone")  # warm-up: imports, first-run caches
    table: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.repeats):
        for condition in args.conditions:
            for label, threads in choices.items():
                rate = steps_per_second(workspace, args.steps, threads, condition)
                table.setdefault((condition, label), []).append(rate)
    print(f"{cores} cores, {args.steps} steps, median of {args.repeats}: steps per second")
    print(f"{'condition':<22}" + "".join(f"{label:>14}" for label in choices))
    for condition in args.conditions:
        rates = [statistics.median(table[condition, label]) for label in choices]
        print(f"{condition:<22}" + "".join(f"{rate:>14.0f}" for rate in rates))
    print("default / best fixed choice:")
    for condition in args.conditions:
        rates = [statistics.median(table[condition, label]) for label in choices]
        print(f"  {condition:<22} {rates[0] / max(rates[1:]):.3f}")


if __name__ == "__main__":
    main()
