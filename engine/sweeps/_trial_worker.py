"""``python -m engine.sweeps._trial_worker``: a process that trains sweep trials one at a time.

The coordinator sends one JSON line per trial (``{"trial": N, "config": RunConfig,
"param_count": bool}``) and ``stop N`` to stop trial N (pruned or cancelled); the worker
prints every event of the trial as JSON lines. The process is reused for the next trial so
the imports (torch, MLflow) are paid once per worker, not once per trial; a trial that
crashes or must be killed takes only this process with it.

It dies with its coordinator: the Linux parent-death signal and end of file on stdin both
stop the current trial and end the process, so no orphan keeps training.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import sys
import threading
import traceback
from typing import Any, TextIO


class _Current:
    """The trial being trained and its stop flag (set by the stdin reader or a signal)."""

    def __init__(self) -> None:
        self.number: int | None = None
        self.stop = threading.Event()
        self.closing = threading.Event()
        self.lock = threading.Lock()

    def stop_trial(self, number: int) -> None:
        with self.lock:
            if self.number == number:
                self.stop.set()

    def close(self) -> None:
        with self.lock:
            self.closing.set()
            self.stop.set()


def main(stdin: TextIO, stdout: TextIO) -> int:
    from engine.worker._child import ask_to_die_with_parent

    ask_to_die_with_parent()
    if os.getppid() == 1:  # the coordinator died before we could ask to follow it
        return 130
    current = _Current()
    jobs: queue.Queue[dict[str, Any] | None] = queue.Queue()
    write_lock = threading.Lock()

    def emit(event) -> None:
        with write_lock:
            stdout.write(event.to_json() + "\n")
            stdout.flush()

    def on_signal(*_: Any) -> None:
        current.close()
        jobs.put(None)

    signal.signal(signal.SIGTERM, on_signal)
    # Ctrl-C in a terminal goes to the coordinator, which decides what running trials do.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def read_commands() -> None:
        for line in stdin:
            line = line.strip()
            if line.startswith("stop "):
                current.stop_trial(int(line.split()[1]))
            elif line.startswith("{"):
                jobs.put(json.loads(line))
        current.close()  # end of file: the coordinator is gone or done with us
        jobs.put(None)

    threading.Thread(target=read_commands, name="netyard-commands", daemon=True).start()
    _preload()
    from engine.tracking import reap_helpers

    while True:
        job = jobs.get()
        if job is None or current.closing.is_set():
            return 0
        with current.lock:
            current.number = int(job["trial"])
            current.stop = threading.Event()
        reap_helpers()  # earlier trials' finishers that are done
        _train(job, emit, current.stop)
        with current.lock:
            current.number = None


def _preload() -> None:
    """Import the heavy modules now, while the coordinator still sets up the sweep.

    Besides torch and MLflow: ``torch._dynamo``, which torch imports at the first optimizer
    (1.7 s here), MLflow's database store with its SQLAlchemy mappers configured, which
    MLflow imports at the first client (3.5 s), and matplotlib's Agg canvas, so each trial's
    forked finisher has it.
    """
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.figure  # noqa: F401
    import mlflow.store.tracking.sqlalchemy_store  # noqa: F401
    import mlflow.tracking  # noqa: F401
    import safetensors.torch  # noqa: F401
    import sqlalchemy.orm
    import torch._dynamo  # noqa: F401

    sqlalchemy.orm.configure_mappers()  # classes only: no database is opened here

    import engine.runner  # noqa: F401
    import engine.tracking  # noqa: F401


def _train(job: dict[str, Any], emit, stop: threading.Event) -> None:
    from engine.errors import UsageError
    from engine.events import RunFailed
    from engine.runner import RunConfig, execute_run, prepare_run
    from engine.sweeps._events import TrialModelSize
    from engine.worker import UsageProblem

    try:
        prepared = prepare_run(RunConfig.from_dict(job["config"]))
        if job.get("param_count"):
            count = _count_parameters(prepared)
            prepared.config.tags["netyard.param_count"] = str(count)
            emit(TrialModelSize(param_count=count))
    except UsageError as error:
        emit(UsageProblem(message=str(error)))
        return
    except Exception as error:  # noqa: BLE001 - any failure before training fails the trial
        emit(RunFailed(None, 0, f"{type(error).__name__}: {error}", traceback.format_exc()))
        return
    execute_run(prepared, emit, stop.is_set)


def _count_parameters(prepared) -> int:
    plugin = prepared.plugin_cls(prepared.hparams, prepared.dataset.spec)
    return int(sum(p.numel() for p in plugin.build_model().parameters()))


if __name__ == "__main__":
    code = main(sys.stdin, sys.stdout)
    sys.stdout.flush()
    sys.stderr.flush()
    from engine.tracking import wait_for_helpers

    wait_for_helpers()  # the last trials' MLflow runs are ended before the worker is gone
    # Nothing else is left to finish, and tearing down an interpreter with torch loaded takes
    # about a second the coordinator would wait for at the end of every sweep.
    os._exit(code)
