"""A sweep's worker slots: where each of its K parallel trials runs.

With GPUs each slot is pinned to one, the least busy first (``CUDA_VISIBLE_DEVICES``, up to
``trials_per_gpu`` slots per GPU); on CPU the cores are split among the slots. The runner
keeps one worker per slot in its ``WorkerPool``, keyed by the slot.
"""

from __future__ import annotations

from collections import Counter

from engine.errors import UsageError
from engine.sweeps._spec import SweepSpec
from engine.worker import cpu_share, place, visible_gpus


def slot_environments(spec: SweepSpec, gpus: list[str] | None = None) -> list[dict[str, str]]:
    """One environment per worker slot: a GPU each (several trials per GPU if asked), or CPU.
    ``gpus``: the visible ones unless given."""
    device = spec.device.strip().lower()
    if device == "cpu":
        gpus = []
    else:
        gpus = visible_gpus() if gpus is None else gpus
        if device.startswith("cuda:"):
            index = int(device.split(":")[1])
            gpus = gpus[index : index + 1]
        if device.startswith("cuda") and not gpus:
            raise UsageError(f"device {spec.device!r} requested but no CUDA GPU is available")
    if not gpus:
        threads = str(spec.threads or cpu_share(spec.parallel))
        return [{"OMP_NUM_THREADS": threads}] * spec.parallel
    busy: Counter[str] = Counter()
    for _ in range(min(spec.parallel, len(gpus) * spec.trials_per_gpu)):
        busy[place("cuda", gpus, busy, spec.parallel).environment["CUDA_VISIBLE_DEVICES"]] += 1
    return [{"CUDA_VISIBLE_DEVICES": gpu} for gpu in busy.elements()]
