"""The one scheduler of the sweeps' trial slots, the headless queue runner and the app's queue:
how many jobs run at once, where each runs (``place``: its GPU, its share of the cores) and,
for the first two, the ``WorkerPool`` of their processes (the app runs its jobs through its
own job manager). The placement functions import nothing heavy: the app calls them.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.worker._launcher import EngineProcess, Worker

WORKER_MODULE = "engine.worker"


@dataclass(frozen=True)
class Placement:
    """``environment`` for the job's process; ``gpu``: the GPU it is pinned to, busy until
    it ends; ``threads``: its share of the cores (None: its own choice, which for a count left
    open follows the machine's load: ``ThreadGovernor``)."""

    environment: dict[str, str] = field(default_factory=dict)
    gpu: str | None = None
    threads: int | None = None

    def threads_for(self, chosen: int | None) -> int | None:
        """A run's threads: its own count if it chose one, else its share of the cores."""
        return chosen or self.threads

    def run_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """A run's config (``RunConfig.to_dict()``) with ``threads_for`` its threads."""
        threads = self.threads_for(config.get("threads"))
        return {**config, "threads": threads} if threads else dict(config)


def place(device: str | None, gpus: Sequence[str], busy: Mapping[str, int], jobs: int) -> Placement:
    """Where one of ``jobs`` jobs at once on ``device`` runs. ``auto`` or ``cuda`` with GPUs:
    pinned (``CUDA_VISIBLE_DEVICES``) to the first of the least ``busy`` of ``gpus``;
    ``cuda:N`` stays where it says; on the CPU with others, its share of the cores."""
    device = str(device or "auto").strip().lower()
    if gpus and device in ("auto", "cuda"):
        gpu = min(gpus, key=lambda candidate: busy.get(candidate, 0))
        return Placement({"CUDA_VISIBLE_DEVICES": gpu}, gpu)
    if (device == "cpu" or not gpus) and jobs > 1:
        return Placement(threads=cpu_share(jobs))
    return Placement()


def jobs_at_once(max_jobs: int | None, gpus: Sequence[str]) -> int:
    return max_jobs or max(1, len(gpus))  # by default one job per GPU, else one


def cpu_share(jobs: int) -> int:
    """The threads each of ``jobs`` jobs takes when they share this process's cores."""
    try:  # engine.training.available_cores, without importing torch
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores // jobs)


def visible_gpus() -> list[str]:
    """The CUDA GPUs this process may use, as ``CUDA_VISIBLE_DEVICES`` names them."""
    import torch

    if not torch.cuda.is_available():
        return []
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    count = torch.cuda.device_count()
    if visible:
        return [item.strip() for item in visible.split(",") if item.strip()][:count]
    return [str(i) for i in range(count)]


@dataclass(eq=False)
class _Member:
    key: Hashable | None  # the job it runs now; None: idle
    environment: dict[str, str]
    process: Any = None

    def alive(self) -> bool:
        return self.process.poll() is None


class WorkerPool:
    """The processes of one scheduler, each bound to the key of the job it runs (a sweep's
    slot, a queue entry). Their events arrive in ``events`` as ``(key, event)``, ``key`` the
    job's that the process ran when it wrote it (None: idle), a ``ProcessExited`` last.

    A worker released alive waits for the next job with its environment: the worker program
    takes job after job, so its imports are paid once. Processes start in their own session:
    a terminal's Ctrl-C reaches the scheduler only, which decides whether running jobs finish
    or stop. Call it from the scheduler's thread only; ``events`` may be read anywhere.
    """

    def __init__(self) -> None:
        self.events: queue.Queue[tuple[Hashable | None, Any]] = queue.Queue()
        self._bound: dict[Hashable, _Member] = {}
        self._idle: list[_Member] = []

    def worker(self, key: Hashable, environment: Mapping[str, str]) -> Worker:
        """``key``'s worker if it still runs, else an idle one with ``environment``, else a
        new one."""
        member = self._bound.get(key)
        if member is None or not member.alive():
            self._idle = [m for m in self._idle if m.alive()]
            same = [m for m in self._idle if m.environment == environment]
            member = same[0] if same else self._start(key, WORKER_MODULE, environment)
            self._idle = [m for m in self._idle if m is not member]
            member.key, self._bound[key] = key, member
        return member.process

    def start(self, key: Hashable, module: str, environment: Mapping[str, str]) -> EngineProcess:
        """A process of ``key``'s own: ``python -m module``, never reused."""
        member = self._bound[key] = self._start(key, module, environment)
        return member.process

    def get(self, key: Hashable) -> Any:  # EngineProcess | None
        return self._bound[key].process if key in self._bound else None

    def release(self, key: Hashable) -> None:
        """``key``'s job ended (or its process exited): a worker still running goes idle."""
        member = self._bound.pop(key, None)
        if member is not None and isinstance(member.process, Worker) and member.alive():
            member.key = None
            self._idle.append(member)

    def kill(self, key: Hashable) -> None:
        """Kill ``key``'s process and wait until every event it wrote is in the queue."""
        if key in self._bound:
            self._bound[key].process.kill()
            self._bound[key].process.wait(10)

    def close(self) -> None:
        """End every process: end of file to all at once (they end in parallel), a kill for
        one that does not end in time."""
        members = [*self._bound.values(), *self._idle]
        for member in members:
            member.process.close_input()
        for member in members:
            member.process.close()
        self._bound.clear()
        self._idle.clear()

    def _start(self, key: Hashable, module: str, environment: Mapping[str, str]) -> _Member:
        member = _Member(key, dict(environment))

        def put(event: Any) -> None:  # on the process's reader thread
            self.events.put((member.key, event))

        if module == WORKER_MODULE:
            member.process = Worker(environment, put, put, new_session=True)
        else:
            member.process = EngineProcess(module, environment, put, put, new_session=True)
        return member
