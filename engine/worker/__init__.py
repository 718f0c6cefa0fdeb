"""Worker processes: runs and sweep trials in child processes, events as JSON lines.

Processes, not threads: crash isolation (CUDA OOM, a segfault), a real kill, no GIL fight with
the GUI or the sweep coordinator, one process per GPU. There is one worker program
(``python -m engine.worker``, jobs in, events out) and one launcher (``EngineProcess`` and
its ``Worker``), which forks from a zygote (``start_zygote``: a process with the imports
done) where there is one, so that a job trains at once instead of after seconds.
Stopping is cooperative first (``stop N`` on stdin, end of file, SIGTERM), a kill second.
"""

from engine.worker._emit import JsonLines
from engine.worker._launcher import EngineProcess, ProcessExited, Worker, can_fork_for
from engine.worker._processes import ForkedProcess, start_process, start_zygote, stop_zygote
from engine.worker._program import die_with_parent
from engine.worker._protocol import JobModelSize, UsageProblem

__all__ = [
    "EngineProcess",
    "ForkedProcess",
    "JobModelSize",
    "JsonLines",
    "ProcessExited",
    "UsageProblem",
    "Worker",
    "can_fork_for",
    "die_with_parent",
    "start_process",
    "start_zygote",
    "stop_zygote",
]
