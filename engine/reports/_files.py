"""Where a report goes: its format from the file's suffix (or given), written atomically."""

from __future__ import annotations

import os
from pathlib import Path

from engine.atomic_files import write_atomically as write_whole
from engine.errors import UsageError

SUFFIXES = {".csv": "csv", ".html": "html", ".htm": "html"}
FORMATS = ("csv", "html")


def report_destination(out: str | os.PathLike[str], fmt: str | None = None) -> tuple[Path, str]:
    """``out`` as a writable file path and the report format: ``fmt`` when given, else the
    one its suffix names. ``UsageError`` naming the bad value and the valid choices."""
    from engine.models import check_destination

    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"unknown report format {fmt!r}; valid: {', '.join(FORMATS)}")
    path = check_destination(out)
    chosen = fmt or SUFFIXES.get(path.suffix.lower())
    if chosen is None:
        raise UsageError(
            f"{str(out)!r}: end the file name in {', '.join(SUFFIXES)}, or give the format "
            f"({' or '.join(FORMATS)})"
        )
    return path, chosen


def write_atomically(path: Path, text: str) -> Path:
    """Write ``text`` whole or not at all (``engine.atomic_files``): a reader (or a crash)
    never sees half a report, an old report stays until replaced, and a full disk is one
    ``NoSpaceLeft`` that leaves no file behind."""
    return write_whole(path, text)
