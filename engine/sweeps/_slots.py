"""A sweep's worker slots: where each of its K parallel trials runs.

With GPUs each slot is pinned to one (``CUDA_VISIBLE_DEVICES``, several slots per GPU if
asked); on CPU the cores are split among the slots. Each slot keeps one reusable worker
process; the events of all of them arrive in one queue, as ``(slot, event)``.
"""

from __future__ import annotations

import os
import queue
from typing import Any

from engine.errors import UsageError
from engine.sweeps._spec import SweepSpec
from engine.worker import Worker


class WorkerSlots:
    def __init__(self, spec: SweepSpec) -> None:
        self.environments = worker_environments(spec)
        # None: each trial takes the cores the other trials and programs leave free.
        self.threads = spec.threads
        self.events: queue.Queue[tuple[int, Any]] = queue.Queue()
        self._workers: dict[int, Worker] = {}

    def __len__(self) -> int:
        return len(self.environments)

    def device(self, slot: int) -> str:
        return "cuda" if self.environments[slot].get("CUDA_VISIBLE_DEVICES") else "cpu"

    def start_all(self) -> None:
        """Start every slot's worker now: their imports (seconds) overlap the caller's set-up."""
        for slot in range(len(self)):
            self._workers[slot] = self._start(slot)

    def worker(self, slot: int) -> Worker:
        """The slot's worker, started afresh if it is not running."""
        worker = self._workers.get(slot)
        if worker is None or worker.poll() is not None:
            worker = self._workers[slot] = self._start(slot)
        return worker

    def get(self, slot: int) -> Worker | None:
        return self._workers.get(slot)

    def forget(self, slot: int) -> None:
        """The slot's worker has exited."""
        self._workers.pop(slot, None)

    def kill(self, slot: int) -> None:
        """Kill the slot's worker and wait until every event it wrote is in the queue."""
        worker = self._workers.get(slot)
        if worker is not None:
            worker.kill()
            worker.wait(10)

    def close(self) -> None:
        for worker in self._workers.values():  # all at once: they end in parallel
            worker.close_input()
        for worker in self._workers.values():
            worker.close()
        self._workers.clear()

    def _start(self, slot: int) -> Worker:
        """Forked from the app's zygote where there is one; its own session, so a terminal's
        Ctrl-C reaches the coordinator only, which decides whether running trials finish or
        stop."""
        return Worker(
            self.environments[slot],
            lambda event: self.events.put((slot, event)),
            lambda exited: self.events.put((slot, exited)),
            new_session=True,
        )


def threads_per_worker(workers: int) -> int:
    from engine.training import default_threads

    return max(1, default_threads() // workers)


def worker_environments(spec: SweepSpec) -> list[dict[str, str]]:
    """One environment per worker slot: a GPU each (several trials per GPU if asked), or CPU."""
    device = spec.device.strip().lower()
    gpus: list[str] = []
    if device != "cpu":
        gpus = visible_gpus()
        if device.startswith("cuda:"):
            index = int(device.split(":")[1])
            gpus = gpus[index : index + 1]
        if device.startswith("cuda") and not gpus:
            raise UsageError(f"device {spec.device!r} requested but no CUDA GPU is available")
    if not gpus:
        threads = str(spec.threads or threads_per_worker(spec.parallel))
        return [{"OMP_NUM_THREADS": threads}] * spec.parallel
    slots = min(spec.parallel, len(gpus) * spec.trials_per_gpu)
    return [{"CUDA_VISIBLE_DEVICES": gpus[i // spec.trials_per_gpu]} for i in range(slots)]


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
