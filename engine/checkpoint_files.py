"""A run's checkpoint folder (``checkpoints/RUN_ID/``): its file names, the retention rule
that keeps it small, and the disk it uses. Torch-free and MLflow-free, so the app can size
the workspace's checkpoints and ``netyard gc`` can plan without loading either.

The folder holds ``last.ckpt`` (what ``--resume`` and the ``netyard.checkpoint`` tag use),
``best.ckpt`` (the checkpoint of the best evaluation so far) and, where ``keep_checkpoints``
is above 1, the earlier last checkpoints as ``step_NNNNNNNNN.ckpt``. They are hard links to
one another where they hold the same step, so a checkpoint that is both the last and the best
takes its room once; disk use counts each file's data once (by inode).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from engine.atomic_files import PARTIAL_MARK, STALE_MARK, process_exists

LAST = "last.ckpt"
BEST = "best.ckpt"
SUFFIX = ".ckpt"
_STEP = re.compile(r"^step_(\d+)\.ckpt$")
DEFAULT_KEEP = 1  # the last checkpoint (besides the best): the training option's default


def step_file(folder: Path, step: int) -> Path:
    return folder / f"step_{step:09d}{SUFFIX}"


def step_files(folder: Path) -> list[tuple[int, Path]]:
    """The earlier checkpoints kept by ``keep_checkpoints``, oldest first."""
    found = []
    with contextlib.suppress(FileNotFoundError):
        for path in folder.iterdir():
            match = _STEP.match(path.name)
            if match:
                found.append((int(match.group(1)), path))
    return sorted(found)


def link_atomically(source: Path, destination: Path) -> None:
    """``destination`` becomes another name of ``source`` (a copy where the filesystem has no
    hard links), atomically: a reader finds the old file or the new one, never neither."""
    temporary = destination.with_name(
        f".{destination.name}{PARTIAL_MARK}{os.getpid()}-{secrets.token_hex(4)}"
    )
    try:
        try:
            os.link(source, temporary)
        except OSError:
            shutil.copyfile(source, temporary)
        os.replace(temporary, destination)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def prune_steps(folder: Path, keep: int) -> list[Path]:
    """Remove the earlier checkpoints beyond the ``keep - 1`` newest (``last.ckpt`` is the
    newest of the ``keep``); the files removed."""
    removed = beyond_retention(folder, keep)
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def beyond_retention(folder: Path, keep: int, only: str | None = None) -> list[Path]:
    """The checkpoint files of a run that has ended which no rule keeps: with ``only`` (a
    finished trial: ``BEST``; a pruned one: ``LAST``, what a promotion resumes from) every
    file but that one and its other names; else the earlier checkpoints beyond ``keep``."""
    if only is not None:
        kept = folder / only
        if not kept.is_file():
            kept = folder / LAST
        if not kept.is_file():
            return []
        kept_inode = file_identity(kept)
        return [
            path
            for path in sorted(folder.glob(f"*{SUFFIX}"))
            if path.is_file() and file_identity(path) != kept_inode
        ]
    entries = step_files(folder)
    return [path for _, path in entries[: max(0, len(entries) - keep + 1)]]


def stray_files(folder: Path) -> list[Path]:
    """Half-written copies left by processes that no longer exist (``engine.atomic_files``)."""
    found = []
    with contextlib.suppress(FileNotFoundError):
        for path in folder.iterdir():
            for mark in (PARTIAL_MARK, STALE_MARK):
                if path.name.startswith(".") and mark in path.name:
                    pid = path.name.split(mark, 1)[1].split("-")[0]
                    if pid.isdigit() and not process_exists(int(pid)):
                        found.append(path)
    return found


@dataclass(frozen=True)
class DiskUse:
    """Bytes on disk, each file's data counted once however many names it has."""

    bytes: int
    files: int


def disk_use(paths: Iterable[Path]) -> DiskUse:
    seen: set[tuple[int, int]] = set()
    total = files = 0
    for path in paths:
        try:
            info = path.lstat()
        except OSError:
            continue
        if (info.st_dev, info.st_ino) in seen or not path.is_file():
            continue
        seen.add((info.st_dev, info.st_ino))
        total, files = total + info.st_size, files + 1
    return DiskUse(total, files)


def all_files(root: Path) -> Iterator[Path]:
    """Every file under ``root`` (a workspace's ``checkpoints/`` folder)."""
    for folder, _, names in os.walk(root):
        for name in names:
            yield Path(folder) / name


def workspace_checkpoint_use(checkpoints_dir: Path) -> DiskUse:
    """What a workspace's checkpoints take on disk (the app's status bar shows it)."""
    return disk_use(all_files(checkpoints_dir))


def human_size(size: int) -> str:
    """``1.5 MB``: decimal units, as disks are sold and file managers show them."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def file_identity(path: Path) -> tuple[int, int] | None:
    """Its device and inode: the same for every hard link of one file."""
    try:
        info = path.lstat()
    except OSError:
        return None
    return info.st_dev, info.st_ino
