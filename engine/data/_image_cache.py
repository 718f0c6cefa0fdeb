"""Decoded image folders, kept in the workspace: decode once, memory-map every time after.

A run, a sweep trial and the preview of the same folder would each decode every file again
(20 000 PNGs: about 20 s and 250 MB of float32 per process). Instead the pixels are decoded
once, in parallel processes, into ``DATASETS/images/SOURCE/KEY/images.npy`` as uint8, and
later loads map that file (``np.load(mmap_mode="c")``): opening it costs milliseconds, and
processes mapping the same file share its pages through the OS page cache.

- ``SOURCE`` is a digest of the folder's resolved path and the options (size, colour), so
  each way of reading a folder has one entry; ``KEY`` a digest of the file list with each
  file's size and modification time. A changed, added or removed file makes a new ``KEY``;
  the outdated entry is removed when the new one is built.
- An entry is built under a hidden name and renamed into place when whole: a decode that is
  killed leaves only a ``.building-*`` folder, never read and removed by the next build. An
  entry that fails its checks on opening (a truncated or damaged file) is rebuilt.
- One process builds an entry at a time (a lock file per ``SOURCE``): sweep trials starting
  together on a new folder wait for the first one's decode instead of each decoding it.

Not synced to disk before the rename: a cache can always be rebuilt, and syncing 150 MB
would cost more than the build it protects; a kill leaves the file whole in the page cache.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
import secrets
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from engine.data import _image_decode
from engine.data._progress import report
from engine.errors import UsageError, as_no_space

FORMAT = 1  # bump when the stored layout changes: older entries are then rebuilt
FOLDER = "images"
IMAGES_FILE = "images.npy"
META_FILE = "meta.json"
BUILDING_MARK = ".building-"
LOCK_FILE = ".lock"
# Fewer images decode in the loading process: starting decoding processes costs more.
PARALLEL_FROM = 512
MAX_CHUNK = 256  # files per task: small enough for steady progress, large enough to be cheap


def cached_images(
    root: Path,
    files: Sequence[str],
    size: int | None,
    color: str | None,
    cache_dir: Path,
    workers: int | None = None,
) -> tuple[np.ndarray, str]:
    """The images ``files`` under ``root`` as uint8 (n, channels, height, width), memory-mapped
    read-only from the cache (built first if missing or out of date), and the colour used.

    ``size``: resize to ``size`` x ``size`` (else all images must share one size); ``color``:
    "gray" or "rgb" (``None``: grey unless some image has colour). ``workers``: decoding
    processes (default: one per CPU for large folders, none for small ones).
    """
    options = {"format": FORMAT, "size": size, "color": color or "auto"}
    source = cache_dir / FOLDER / _digest([str(root.resolve()), options])[:20]
    entry = source / _digest(_fingerprint(files))[:20]
    try:
        source.mkdir(parents=True, exist_ok=True)
        with _locked(source / LOCK_FILE):
            found = _open(entry)
            if found is not None:
                return found
            _remove_all_but(source, keep=LOCK_FILE)  # outdated, damaged or half-built
            _build(entry, root, files, size, color, workers)
    except OSError as error:
        full = as_no_space(error, str(cache_dir))
        if full is not None:
            raise full from None
        raise
    found = _open(entry)
    if found is None:  # just built whole: only a bug, or a disk that lost it, gets here
        raise RuntimeError(f"the image cache {entry} cannot be read right after it was built")
    return found


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _fingerprint(files: Sequence[str]) -> list[tuple[str, int, int]]:
    """What makes the decoded images out of date: each file's path, size and mtime."""
    fingerprint = []
    for path in files:
        stat = os.stat(path)
        fingerprint.append((path, stat.st_size, stat.st_mtime_ns))
    return fingerprint


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


def _open(entry: Path) -> tuple[np.ndarray, str] | None:
    """The entry's images and colour, or ``None`` if it is missing or fails its checks."""
    try:
        meta = json.loads((entry / META_FILE).read_text())
        # Copy-on-write: torch tensors need a writable array, and nothing written through
        # one ever reaches the file (nothing writes: the map is only read).
        images = np.load(entry / IMAGES_FILE, mmap_mode="c")
    except (OSError, ValueError):  # missing; a truncated file or header; bad JSON
        return None
    if (
        not isinstance(meta, dict)
        or meta.get("format") != FORMAT
        or images.dtype != np.uint8
        or list(images.shape) != meta.get("shape")
        or meta.get("color") not in ("gray", "rgb")
    ):
        return None
    return images, meta["color"]


def _remove_all_but(source: Path, keep: str) -> None:
    for path in source.iterdir():
        if path.name != keep:
            shutil.rmtree(path, ignore_errors=True)


def _build(
    entry: Path,
    root: Path,
    files: Sequence[str],
    size: int | None,
    color: str | None,
    workers: int | None,
) -> None:
    temporary = entry.with_name(f"{BUILDING_MARK}{os.getpid()}-{secrets.token_hex(4)}")
    temporary.mkdir()
    try:
        with _decoder(len(files), workers) as run_chunks:
            paths = list(files)
            chunks = _chunks(paths, workers)
            what = f"reading {len(paths):,} image headers in {root}"
            found = run_chunks(_image_decode.probe, chunks, what)
            probed = [one for chunk_found in found for one in chunk_found]
            if color is None:  # grey unless some image has colour
                color = "gray" if all(grey for grey, _ in probed) else "rgb"
            if size is None:
                _check_one_size(root, files, [dimensions for _, dimensions in probed])
                width, height = probed[0][1]
            else:
                width = height = size
            channels = 1 if color == "gray" else 3
            store = temporary / IMAGES_FILE
            shape = (len(paths), channels, height, width)
            np.lib.format.open_memmap(store, mode="w+", dtype=np.uint8, shape=shape).flush()
            jobs, start = [], 0
            for (chunk,) in chunks:
                jobs.append((str(store), start, chunk, color, size))
                start += len(chunk)
            what = f"decoding {len(paths):,} images in {root}"
            run_chunks(_image_decode.decode_into, jobs, what)
        meta = {"format": FORMAT, "shape": list(shape), "color": color, "root": str(root)}
        (temporary / META_FILE).write_text(json.dumps(meta))
        os.rename(temporary, entry)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _check_one_size(root: Path, files: Sequence[str], sizes: list[tuple[int, int]]) -> None:
    first = sizes[0]
    for path, found in zip(files, sizes, strict=True):
        if found != first:
            raise UsageError(
                f"images in {str(root)!r} differ in size ({os.path.basename(files[0])} is "
                f"{first[0]}x{first[1]}, {os.path.basename(path)} is {found[0]}x{found[1]}); "
                f"add ?size=N to resize all to N x N"
            )


def _worker_count(count: int, workers: int | None) -> int:
    if workers is not None:
        return max(1, workers)
    if count < PARALLEL_FROM:
        return 1
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def _chunks(paths: list[str], workers: int | None) -> list[tuple[list[str]]]:
    count = _worker_count(len(paths), workers)
    # A few chunks per process, so that progress moves and a slow chunk does not hold all.
    length = max(1, min(MAX_CHUNK, math.ceil(len(paths) / (4 * count))))
    return [(paths[start : start + length],) for start in range(0, len(paths), length)]


RunChunks = Callable[[Callable, list[tuple], str], list]


@contextlib.contextmanager
def _decoder(count: int, workers: int | None) -> Iterator[RunChunks]:
    """``run_chunks(function, argument_tuples, what)``: the results in order, progress reported
    per chunk; in this process, or in a pool of decoding processes for many images."""
    processes = _worker_count(count, workers)
    if processes == 1:
        yield _run_here
        return
    # fork: the decoding processes end with the pool and leave nothing behind (forkserver and
    # spawn leave a server or a resource tracker running for the rest of the process: in the
    # app, for hours). A forked child runs only Pillow and numpy, imported here before the
    # fork, so no lock that another thread of the app or of torch held can stop it.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    _image_decode.preload()
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:

        def run_in_pool(function: Callable, jobs: list[tuple], what: str) -> list:
            sizes = {pool.submit(function, *job): _job_size(function, job) for job in jobs}
            futures = list(sizes)
            total, done = sum(sizes.values()), 0
            report(what, 0, total)
            try:
                for future in as_completed(futures):
                    future.result()  # a file that cannot be read: its UsageError, now
                    done += sizes[future]
                    report(what, done, total)
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
            return [future.result() for future in futures]

        yield run_in_pool


def _job_size(function: Callable, job: tuple) -> int:
    return len(job[2]) if function is _image_decode.decode_into else len(job[0])


def _run_here(function: Callable, jobs: list[tuple], what: str) -> list:
    total = sum(_job_size(function, job) for job in jobs)
    results, done = [], 0
    report(what, 0, total)
    for job in jobs:
        results.append(function(*job))
        done += _job_size(function, job)
        report(what, done, total)
    return results
