"""Checkpoints: written atomically, read back with ``weights_only=True``.

Loading never unpickles arbitrary objects: a file carrying anything but tensors and plain
containers is refused with a clear message before any of it runs.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from engine.atomic_files import is_no_space, write_atomically
from engine.checkpoint_files import BEST, DEFAULT_KEEP, link_atomically, prune_steps, step_file
from engine.errors import NoSpaceLeft, UsageError

FORMAT = "netyard-checkpoint"
VERSION = 1


def save_checkpoint(state: dict[str, Any], path: Path) -> Path:
    """Write ``state`` to ``path`` via a temporary file and an atomic rename."""
    import torch

    # Serialised in memory first: the size is known before the disk is touched, and a full
    # disk shows as a plain ENOSPC rather than torch's "enforce fail at inline_container.cc".
    buffer = io.BytesIO()
    torch.save({"format": FORMAT, "version": VERSION, **state}, buffer)
    data = buffer.getbuffer()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        if is_no_space(error):
            raise NoSpaceLeft(str(path.parent), len(data)) from None
        raise
    # The previous checkpoint at ``path`` stays untouched unless the new one is whole.
    write_atomically(path, data)
    return path


class CheckpointFolder:
    """A run's checkpoints with their retention rule (``engine.checkpoint_files``): each save
    replaces ``last.ckpt``, keeps the one before as ``step_N.ckpt`` while ``keep`` allows
    more than one, and names the checkpoint of the best evaluation ``best.ckpt`` (hard links:
    no step is written twice). ``last_step``: the step ``last.ckpt`` holds (a resumed run's)."""

    def __init__(self, last: Path, keep: int = DEFAULT_KEEP, last_step: int | None = None):
        self.last, self.folder, self.keep = last, last.parent, max(1, int(keep))
        self.last_step = last_step

    def save(self, state: dict[str, Any], step: int, best: bool) -> Path:
        if self.keep > 1 and self.last_step is not None and self.last.is_file():
            if self.last_step != step:
                link_atomically(self.last, step_file(self.folder, self.last_step))
        save_checkpoint(state, self.last)
        self.last_step = step
        if best:
            link_atomically(self.last, self.folder / BEST)
        prune_steps(self.folder, self.keep)
        return self.last


def training_done(state: dict[str, Any], steps: int) -> bool:
    """Whether checkpoint ``state`` holds a training that is over for a budget of ``steps``:
    at or past that step, or stopped early by its patience and given no more steps."""
    if int(state["step"]) >= steps:
        return True
    patience = int(state["hparams"].get("patience") or 0)
    bad_evaluations = int(state.get("early_stopping", {}).get("bad_evaluations", 0))
    stopped_early = patience > 0 and bad_evaluations >= patience
    return stopped_early and steps <= int(state["hparams"]["steps"])


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    import pickle
    import warnings

    import torch

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"checkpoint {str(path)!r} does not exist or is not a file")
    try:
        # torch warns about what it is about to refuse (a pickle of another protocol, a
        # TorchScript archive) before it raises: the one line below says it all.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise UsageError(
            f"checkpoint {str(path)!r} was refused: it holds objects other than tensors and "
            f"plain data, which are never unpickled ({_refusal_reason(error)})"
        ) from None
    except Exception as error:  # noqa: BLE001 - a foreign or corrupt file fails in many ways
        # (a text file, for one, raises KeyError inside the unpickler)
        # Its first sentence: torch goes on to explain how to load a file unsafely.
        first_line = (str(error).strip().splitlines() or [""])[0].split(". ")[0]
        raise UsageError(
            f"checkpoint {str(path)!r} is not a readable checkpoint "
            f"({type(error).__name__}: {first_line})"
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise UsageError(f"checkpoint {str(path)!r} is not a Netyard checkpoint")
    if state.get("version") != VERSION:
        raise UsageError(
            f"checkpoint {str(path)!r} has format version {state.get('version')!r}; "
            f"this Netyard reads version {VERSION}"
        )
    return state


def _refusal_reason(error: Exception) -> str:
    """torch's reason ("Unsupported global: GLOBAL posix.system ..."), not its preamble."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    for line in lines:
        if "GLOBAL" in line or line.startswith(("WeightsUnpickler", "Unsupported")):
            # Its first sentence; the rest explains how to allow-list the object.
            return line.removeprefix("WeightsUnpickler error: ").split(". ")[0]
    return lines[0] if lines else ""
