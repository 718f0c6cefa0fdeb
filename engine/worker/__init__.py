"""Worker processes: a run in a child process, its events as JSON lines on a pipe.

Processes, not threads: crash isolation (CUDA OOM, a segfault), a real kill, no GIL fight with
the GUI or the sweep coordinator, one process per GPU. Stopping is cooperative first
(``stop()`` sends SIGTERM, the loop checks a flag), a kill second (``kill()``).

``start_process`` starts one, forked from a zygote (``start_zygote``: a process with the
imports done) where there is one, so that it trains at once instead of after seconds.
"""

from engine.worker._client import WorkerProcess
from engine.worker._processes import start_process, start_zygote, stop_zygote
from engine.worker._protocol import UsageProblem

__all__ = ["UsageProblem", "WorkerProcess", "start_process", "start_zygote", "stop_zygote"]
