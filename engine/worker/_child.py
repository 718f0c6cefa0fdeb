"""The worker's side of the pipe."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from typing import TextIO

from engine.errors import UsageError
from engine.worker._protocol import UsageProblem

EXIT_CODES = {"FINISHED": 0, "FAILED": 1, "KILLED": 130}


def ask_to_die_with_parent(signum: int = signal.SIGTERM) -> None:
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


def run_child(stdin: TextIO, stdout: TextIO) -> int:
    from engine.runner import RunConfig, execute_run, prepare_run

    stop = threading.Event()
    ask_to_die_with_parent()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    lock = threading.Lock()

    def emit(event) -> None:
        with lock:
            stdout.write(event.to_json() + "\n")
            stdout.flush()

    line = stdin.readline()
    try:
        config = RunConfig.from_dict(json.loads(line))
        prepared = prepare_run(config)
    except (UsageError, TypeError, json.JSONDecodeError) as error:
        emit(UsageProblem(message=str(error)))
        return 2

    def watch_stdin() -> None:
        # The parent holds our stdin open; end of file means it is gone or wants us to stop.
        for command in stdin:
            if command.strip() == "stop":
                stop.set()
        stop.set()

    threading.Thread(target=watch_stdin, name="netyard-stdin", daemon=True).start()
    if os.getppid() == 1:  # parent died before we could ask to follow it
        return 130
    outcome = execute_run(prepared, emit, stop.is_set)
    return EXIT_CODES[outcome.status]
