"""``python -m engine.worker``: the one worker program, for single runs and sweep trials alike.

Its parent sends commands (``engine.worker._protocol``): ``run`` one job (``job`` N, its
``RunConfig``, whether to report the model's size), ``stop`` job N after its current step (it
ends stopped with a checkpoint, or pruned/stopped for a trial); a stop may come before the
job has started.
Every event of every job comes back as a JSON line on stdout. Jobs run one at a time in the
order they came; the process is reused, so imports are paid once per worker, not per job.

It ends at end of file on stdin (the parent is done with it, or gone), on SIGTERM or SIGINT,
and with its parent (Linux parent-death signal): any job still running stops first, so no
orphan keeps training. Exit status 0; outcomes are in the events.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any, TextIO

from engine.worker._emit import JsonLines
from engine.worker._protocol import read_command


def die_with_parent(signum: int = signal.SIGTERM) -> None:
    """Have the kernel send ``signum`` when the parent process dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signum)
    except OSError:
        pass


# Once the parent is gone, the running job gets this long to stop after its step and end its
# MLflow run; then the worker exits anyway, so that no orphan is left training.
ORPHAN_GRACE_SECONDS = 20.0


class _Jobs:
    """Jobs waiting and running, and their stop flags (set by the stdin reader or a signal)."""

    def __init__(self) -> None:
        self.waiting: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.stops: dict[int, threading.Event] = {}
        self.closing = threading.Event()
        self.lock = threading.Lock()
        self.watchdog = threading.Timer(ORPHAN_GRACE_SECONDS, os._exit, (1,))
        self.watchdog.daemon = True

    def stop_flag(self, number: int) -> threading.Event:
        with self.lock:
            flag = self.stops.setdefault(number, threading.Event())
            if self.closing.is_set():
                flag.set()
        return flag

    def close(self) -> None:
        """Stop every job (from the stdin reader or the signal thread, never from a signal
        handler: a second signal landing inside the first one's locks would deadlock)."""
        with self.lock:
            if self.closing.is_set():
                return
            self.closing.set()
            for flag in self.stops.values():
                flag.set()
        self.waiting.put(None)
        self.watchdog.start()  # cancelled once the running job has stopped


def on_stop_signals(stop: Callable[[], None]) -> None:
    """SIGTERM and SIGINT call ``stop`` once, on a thread: the handler only writes a byte to a
    pipe (no lock, safe however often signals come), so ``stop`` may take locks. An engine
    process's one way to hear signals (the worker, the sweep coordinator)."""
    read_end, write_end = os.pipe()

    def on_signal(signum, frame) -> None:
        with contextlib.suppress(OSError):
            os.write(write_end, b"!")

    def stopper() -> None:
        os.read(read_end, 1)
        stop()

    threading.Thread(target=stopper, name="netyard-signals", daemon=True).start()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def main(stdin: TextIO, stdout: TextIO) -> int:
    die_with_parent()
    if os.getppid() == 1:  # the parent died before we could ask to follow it
        return 0
    jobs = _Jobs()
    emit = JsonLines(stdout)
    on_stop_signals(jobs.close)

    def read_commands() -> None:
        for line in stdin:
            fields = read_command(line) or {}
            if fields.get("command") == "stop" and isinstance(fields.get("job"), int):
                jobs.stop_flag(fields["job"]).set()
            elif fields.get("command") == "run":
                jobs.waiting.put(fields)
        jobs.close()  # end of file: the parent is gone or done with us

    threading.Thread(target=read_commands, name="netyard-commands", daemon=True).start()
    from engine.tracking import reap_helpers
    from engine.worker._preload import preload

    preload()
    while True:
        job = jobs.waiting.get()
        if job is None or jobs.closing.is_set():
            jobs.watchdog.cancel()  # what is left (helpers ending runs) may take its time
            return 0
        reap_helpers()  # earlier jobs' finishers that are done
        number = int(job.get("job", 0))
        stop = jobs.stop_flag(number)
        _run_job(job, emit, stop)
        with jobs.lock:
            jobs.stops.pop(number, None)


def _run_job(job: dict[str, Any], emit, stop: threading.Event) -> None:
    from engine.errors import UsageError
    from engine.events import RunFailed
    from engine.runner import RunConfig, execute_run, prepare_run
    from engine.worker._protocol import JobModelSize, UsageProblem

    try:
        prepared = prepare_run(RunConfig.from_dict(job["config"]))
        if job.get("param_count"):
            count = _count_parameters(prepared)
            prepared.config.tags["netyard.param_count"] = str(count)
            emit(JobModelSize(param_count=count))
    except (UsageError, TypeError) as error:
        emit(UsageProblem(message=str(error)))
        return
    except Exception as error:  # noqa: BLE001 - any failure before training fails the job
        emit(RunFailed(None, 0, f"{type(error).__name__}: {error}", traceback.format_exc()))
        return
    try:
        execute_run(prepared, emit, stop.is_set)
    except UsageError as error:  # its checkpoint is being resumed by another run already
        emit(UsageProblem(message=str(error)))


def _count_parameters(prepared) -> int:
    plugin = prepared.plugin_cls(prepared.hparams, prepared.dataset.spec)
    return int(sum(p.numel() for p in plugin.build_model().parameters()))


def run_as_main() -> None:
    code = main(sys.stdin, sys.stdout)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError):  # a parent that died took the pipes' other ends
            stream.flush()
    from engine.tracking import wait_for_helpers

    wait_for_helpers()  # the last jobs' MLflow runs are ended before the worker is gone
    # Nothing else is left to finish, and tearing down an interpreter with torch loaded takes
    # about a second its parent would wait for at the end of every sweep.
    os._exit(code)
