"""Files and folders written whole or not at all, and a full disk said in one sentence.

What is written goes under a hidden temporary name beside its destination (the same
filesystem, so the final ``os.replace``/``os.rename`` is atomic) and takes the real name
only once complete and synced: a reader, a crash or a kill -9 never meets half a file, and
what was at the destination before stays until it is replaced. A full disk (``ENOSPC``,
``EDQUOT``) removes the temporary copy and raises ``NoSpaceLeft`` naming the folder.

Producers that write through C++ (torch's serialisers abort the process on a full disk)
produce bytes in memory first and hand them to ``write_atomically``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path

from engine.errors import NoSpaceLeft, as_no_space

PARTIAL_MARK = ".partial-"
STALE_MARK = ".stale-"


def is_no_space(error: BaseException) -> bool:
    """Whether ``error`` is a full disk (or a full quota), however a library wrapped it."""
    return as_no_space(error, "") is not None


def write_atomically(path: str | os.PathLike[str], data: bytes | bytearray | memoryview | str):
    """Write ``data`` (text as UTF-8, newlines as given) to ``path``, whole or not at all;
    returns ``path`` as a ``Path``. ``NoSpaceLeft`` on a full disk, nothing left behind.
    Temporary copies of ``path`` left by killed processes are removed first."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    _remove_leftovers(path)
    temporary = _temporary_name(path, PARTIAL_MARK)
    try:
        # 0o666 and the umask, as for any new file (mkstemp would make it private, 0o600).
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException as error:
        temporary.unlink(missing_ok=True)
        if is_no_space(error):
            raise NoSpaceLeft(str(path.parent), len(payload)) from None
        raise
    return path


def publish_folder(source: str | os.PathLike[str], destination: str | os.PathLike[str]) -> Path:
    """Copy the folder ``source`` to ``destination``, whole or not at all.

    The copy is made and synced under a hidden name beside ``destination``, then renamed
    into place. A folder already at ``destination`` is moved aside just before and removed
    after, so a reader finds the old folder, then briefly none, then the new one; never a
    mix. Leftovers of an earlier publication that was killed are removed first.
    """
    source, destination = Path(source), Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(destination)
    temporary = _temporary_name(destination, PARTIAL_MARK)
    try:
        shutil.copytree(source, temporary)
        _sync_tree(temporary)
        if destination.exists():
            stale = _temporary_name(destination, STALE_MARK)
            destination.rename(stale)
            temporary.rename(destination)
            shutil.rmtree(stale, ignore_errors=True)
        else:
            temporary.rename(destination)
    except BaseException as error:
        shutil.rmtree(temporary, ignore_errors=True)
        if is_no_space(error):
            raise NoSpaceLeft(str(destination.parent), _tree_size(source)) from None
        raise
    return destination


def _temporary_name(path: Path, mark: str) -> Path:
    # The pid says whose it is (``_remove_leftovers``); the random part keeps two threads
    # of one process apart.
    return path.with_name(f".{path.name}{mark}{os.getpid()}-{secrets.token_hex(4)}")


def _remove_leftovers(destination: Path) -> None:
    """Remove the hidden copies of ``destination`` left by processes that no longer exist."""
    for mark in (PARTIAL_MARK, STALE_MARK):
        for leftover in destination.parent.glob(f".{destination.name}{mark}*"):
            pid = leftover.name.removeprefix(f".{destination.name}{mark}").split("-")[0]
            if pid.isdigit() and not process_exists(int(pid)):
                with contextlib.suppress(OSError):
                    if leftover.is_dir():
                        shutil.rmtree(leftover)
                    else:
                        leftover.unlink()


def process_exists(pid: int) -> bool:
    """Whether process ``pid`` is alive (another user's counts): a temporary file named after
    a dead process is left over, one named after a live one is being written."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sync_tree(folder: Path) -> None:
    """Flush every file to the disk: after a power cut the renamed folder is whole too."""
    for root, _folders, files in os.walk(folder):
        for name in files:
            descriptor = os.open(os.path.join(root, name), os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)


def _tree_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
