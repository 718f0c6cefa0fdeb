"""Worker processes: runs and sweep trials in child processes, events as JSON lines.

Processes, not threads: crash isolation (CUDA OOM, a segfault), a real kill, no GIL fight with
the GUI or the sweep coordinator, one process per GPU. There is one worker program
(``python -m engine.worker``, jobs in, events out) and one launcher (``EngineProcess`` and
its ``Worker``), which forks from a zygote (``start_zygote``: a process with the imports
done) where there is one, so that a job trains at once instead of after seconds.
Parents send JSON commands (``command``, ``engine.worker._protocol``); stopping is
cooperative first (the ``stop`` command, end of file, SIGTERM), a kill second.
``WorkerPool`` and ``place`` are the one scheduler's parts: workers reused by environment,
one event queue, and which GPU and how many CPU threads each job gets.
"""

from engine.worker._emit import JsonLines
from engine.worker._launcher import EngineProcess, ProcessExited, Worker, can_fork_for
from engine.worker._pool import WorkerPool, cpu_share, jobs_at_once, place, visible_gpus
from engine.worker._processes import ForkedProcess, start_process, start_zygote, stop_zygote
from engine.worker._program import die_with_parent, on_stop_signals
from engine.worker._protocol import JobModelSize, UsageProblem, command, read_command

__all__ = [
    "EngineProcess",
    "ForkedProcess",
    "JobModelSize",
    "JsonLines",
    "ProcessExited",
    "UsageProblem",
    "Worker",
    "WorkerPool",
    "can_fork_for",
    "command",
    "cpu_share",
    "die_with_parent",
    "jobs_at_once",
    "on_stop_signals",
    "place",
    "read_command",
    "start_process",
    "start_zygote",
    "stop_zygote",
    "visible_gpus",
]
