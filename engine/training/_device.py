"""Choosing the device and the CPU thread count."""

from __future__ import annotations

from engine.errors import UsageError
from engine.options import check_device
from engine.training._threads import available_cores


def default_threads() -> int:
    """All cores this process may use (respects affinity masks and container limits); a run
    itself takes the ones others leave free (``ThreadGovernor``)."""
    return available_cores()


def resolve_device(requested: str = "auto"):
    """``auto`` picks CUDA when present, else CPU; an unavailable device is a usage error."""
    import torch

    requested = check_device(requested)
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UsageError(
                f"device {requested!r} requested but no CUDA GPU is available; use cpu"
            )
        index = int(requested.split(":")[1]) if ":" in requested else 0
        count = torch.cuda.device_count()
        if index >= count:
            raise UsageError(
                f"device {requested!r} does not exist: {count} GPU(s), cuda:0 to cuda:{count - 1}"
            )
        return torch.device(f"cuda:{index}")
    return torch.device("cpu")
