"""How many jobs the queue runs at once, and where each run goes.

By default one job per GPU where there are GPUs, else one. A run that may use any GPU
(device ``auto`` or ``cuda``) is pinned to the GPU with the fewest of the queue's runs
(``CUDA_VISIBLE_DEVICES``); a run that names its GPU (``cuda:N``) and a sweep (which places
its own trials) are left as they are. CPU runs share the cores: each gets its part unless it
asks for a thread count itself.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any


def jobs_at_once(max_jobs: int | None, gpus: list[str]) -> int:
    return max_jobs or max(1, len(gpus))


def place_run(
    config: dict[str, Any], gpus: list[str], busy: Counter[str], jobs: int
) -> tuple[dict[str, Any], dict[str, str], str | None]:
    """``(config, environment, gpu)`` for starting a queued run; ``gpu`` is the GPU it was
    pinned to (None: none), for the caller to count in ``busy`` until it ends."""
    device = str(config.get("device") or "auto").strip().lower()
    if gpus and device in ("auto", "cuda"):
        gpu = min(gpus, key=lambda candidate: busy[candidate])  # the first of the least busy
        return dict(config), {"CUDA_VISIBLE_DEVICES": gpu}, gpu
    if (device == "cpu" or not gpus) and jobs > 1 and not config.get("threads"):
        return {**config, "threads": max(1, _cores() // jobs)}, {}, None
    return dict(config), {}, None


def _cores() -> int:
    # engine.training.default_threads says the same, but imports torch: the app calls this.
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
