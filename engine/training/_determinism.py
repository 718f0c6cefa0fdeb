"""Deterministic mode (the ``deterministic`` training option): the same seed, the same run.

On the CPU a run is already repeatable with one seed and one thread count; on a GPU some
kernels (cuDNN's autotuned convolutions, atomic adds in scatter and index ops, cuBLAS's
split reductions) are not. This turns on PyTorch's deterministic algorithms for the length of
a run, and puts back what was there before (a worker runs many trials, a test many runs).

An op that has no deterministic implementation then fails the run at its first step, with
PyTorch's message naming it: that is better than a run that claims to be repeatable and is
not. cuBLAS reads ``CUBLAS_WORKSPACE_CONFIG`` when a process first uses it on the GPU, so it
is set here, before the run's first matrix product; a process that already ran a
non-deterministic GPU run keeps its workspace (a new worker process does not have one).
Batches need no extra seeding: they are drawn in-process from a generator seeded with the
run's seed (``engine.data.BatchSampler``), never by DataLoader worker processes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch

CUBLAS_WORKSPACE = "CUBLAS_WORKSPACE_CONFIG"
# The setting PyTorch's reproducibility notes give for CUDA 10.2 and later.
DETERMINISTIC_WORKSPACE = ":4096:8"


@contextlib.contextmanager
def deterministic_mode(enabled: bool, device: torch.device) -> Iterator[None]:
    """Within the block, deterministic algorithms when ``enabled``; nothing changes when not."""
    if not enabled:
        yield
        return
    before = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.deterministic,
        torch.backends.cudnn.benchmark,
    )
    if device.type == "cuda":
        os.environ.setdefault(CUBLAS_WORKSPACE, DETERMINISTIC_WORKSPACE)
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        algorithms, warn_only, cudnn_deterministic, benchmark = before
        torch.use_deterministic_algorithms(algorithms, warn_only=warn_only)
        torch.backends.cudnn.deterministic = cudnn_deterministic
        torch.backends.cudnn.benchmark = benchmark
