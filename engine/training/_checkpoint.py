"""Checkpoints: written atomically, read back with ``weights_only=True``.

Loading never unpickles arbitrary objects: a file carrying anything but tensors and plain
containers is refused with a clear message before any of it runs.
"""

from __future__ import annotations

import errno
import io
import os
import tempfile
from pathlib import Path
from typing import Any

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
    temp_name = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except OSError as error:
        if temp_name:
            Path(temp_name).unlink(missing_ok=True)
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            # The previous checkpoint at ``path`` is untouched: only the temporary file failed.
            raise NoSpaceLeft(str(path.parent), len(data)) from None
        raise
    except BaseException:
        if temp_name:
            Path(temp_name).unlink(missing_ok=True)
        raise
    return path


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    import pickle

    import torch

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"checkpoint {str(path)!r} does not exist or is not a file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise UsageError(
            f"checkpoint {str(path)!r} was refused: it holds objects other than tensors and "
            f"plain data, which are never unpickled ({_refusal_reason(error)})"
        ) from None
    except Exception as error:  # noqa: BLE001 - a foreign or corrupt file fails in many ways
        # (a text file, for one, raises KeyError inside the unpickler)
        first_line = (str(error).strip().splitlines() or [""])[0]
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
