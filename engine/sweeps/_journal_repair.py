"""Torn records in an Optuna journal file, found and cut off before anyone appends after them.

A write that fails half-way (a full disk, a power cut) leaves the journal ending in part of a
record. Optuna skips such a tail when it reads, but the next append glues a whole record to
it, and from then on every reader of the file fails with ``JSONDecodeError``: one torn write
made every study in the file unreadable. Journals written before this module existed may hold
such glued lines already.

``repair_journal`` runs under the journal's lock, before a process reads or appends: it cuts
off a partial last record and, in a glued line, drops the torn part and keeps the whole
record after it. What is dropped is exactly what Optuna's readers had skipped, so the study
every process saw is the study that remains. ``append_whole`` appends under the same lock,
all or nothing. Pure bytes and ``json``: no Optuna here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

# Optuna writes each record as ``json.dumps(log, separators=(",", ":"))``; op_code comes first.
RECORD_START = b'{"op_code":'


def repair_journal(path: Path) -> list[str]:
    """Cut torn records out of the journal at ``path``; one description per dropped piece.

    Call it holding the journal's lock. A journal with nothing torn is left untouched (read,
    never written); a torn tail is cut with a truncate, anything else torn by writing the
    repaired journal beside it and renaming it over.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    if not data:
        return []
    body_end = data.rfind(b"\n") + 1
    dropped: list[str] = []
    kept_lines: list[bytes] = []
    rewritten = False
    line_start = 0
    for line in data[:body_end].splitlines(keepends=True):
        kept, piece = _repaired_line(line)
        if piece:
            dropped.append(f"{piece} at byte {line_start}")
            rewritten = True
        kept_lines.append(kept)
        line_start += len(line)
    if body_end < len(data):
        dropped.append(f"a partial last record ({len(data) - body_end} bytes at byte {body_end})")
    if not dropped:
        return []
    if rewritten:
        _replace(path, b"".join(kept_lines))
    else:
        os.truncate(path, body_end)
    return dropped


def append_whole(path: Path, data: bytes, sync: bool) -> None:
    """Append ``data`` (whole records) to the journal at ``path``, holding its lock: after a
    torn tail is cut off, and cut back to where it began if the write fails."""
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND)
    try:
        size = os.fstat(descriptor).st_size
        if size and os.pread(descriptor, 1, size - 1) != b"\n":
            # A writer died mid-record since this process read: cut it off first (the
            # repair may replace the file, so open it again after).
            os.close(descriptor)
            descriptor = -1
            repair_journal(path)
            descriptor = os.open(path, os.O_RDWR | os.O_APPEND)
            size = os.fstat(descriptor).st_size
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view) :]
            if sync:
                os.fsync(descriptor)
        except BaseException:
            os.ftruncate(descriptor, size)  # freeing blocks works on a full disk
            raise
    finally:
        if descriptor >= 0:
            os.close(descriptor)


def _repaired_line(line: bytes) -> tuple[bytes, str]:
    """The line to keep (maybe empty) and a description of what was dropped ("" if none)."""
    # Most lines hold one record, start to end: trusted without parsing (a journal is replayed
    # by Optuna right after this; parsing it twice would double the cost of opening it).
    if line.startswith(RECORD_START) and line.endswith(b"}\n") and line.count(RECORD_START) == 1:
        return line, ""
    if _parses(line):  # a record whose text happens to contain RECORD_START
        return line, ""
    # A torn record with a whole one glued after it: keep the longest tail that parses.
    start = line.find(RECORD_START, 1)
    while start != -1:
        if _parses(line[start:]):
            return line[start:], f"a torn record ({start} bytes)"
        start = line.find(RECORD_START, start + 1)
    return line, ""  # damage no torn write makes: left for Optuna to report, never guessed at


def _parses(text: bytes) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return False


def _replace(path: Path, data: bytes) -> None:
    temporary = path.with_name(f"{path.name}.repair-{os.getpid()}")
    try:
        with open(temporary, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
