"""Loading user data at scale: image folders (first load decodes into the cache, the second
maps it), a million-row CSV and a 10 MB text file (goal: a second image load under 2 s for
20 000 images; about 150 MB held for 50 000 32x32 RGB images, not 600 MB of float32).

Generates the data once under --data (random-ish 32x32 RGB PNGs in 10 classes, an hourly
CSV with a date, a target and one more input, words as text), then loads each in a fresh
child process, as a run or a sweep trial does: its wall time and its peak resident memory
(``ru_maxrss``; the image rows also after one pass over the training batches, which maps
every cached page). The decoding processes' own peak is given apart.

    python benchmarks/bench_data_load.py [--quick] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CLASSES = 10
SIDE = 32


def _write_pngs(job: tuple[str, int, int]) -> None:
    from PIL import Image

    root, start, count = job
    rng = np.random.default_rng(start)
    ramp = np.linspace(0, 1, SIDE)
    for index in range(start, start + count):
        label = index % CLASSES
        # A smooth field plus noise: PNGs of about CIFAR's size, not incompressible noise.
        field = np.outer(ramp, ramp[::-1]) * (label + 1) / CLASSES
        pixels = field[..., None] * rng.uniform(100, 255, 3) + rng.normal(0, 12, (SIDE, SIDE, 3))
        folder = Path(root) / f"class{label}"
        Image.fromarray(pixels.clip(0, 255).astype(np.uint8), "RGB").save(folder / f"{index}.png")


def image_folder(data: Path, count: int) -> Path:
    import multiprocessing

    root = data / f"images{count}"
    if (root / "done").exists():
        return root
    for label in range(CLASSES):
        (root / f"class{label}").mkdir(parents=True, exist_ok=True)
    step = 1000
    jobs = [(str(root), start, min(step, count - start)) for start in range(0, count, step)]
    with multiprocessing.get_context("fork").Pool() as pool:
        pool.map(_write_pngs, jobs)
    (root / "done").write_text("")
    return root


def csv_file(data: Path, rows: int) -> Path:
    path = data / f"hourly{rows}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(0)
    hours = np.arange(rows)
    load = 20 + 10 * np.sin(hours / 24 * 2 * np.pi) + rng.normal(0, 1, rows)
    temperature = rng.normal(0, 1, rows)
    times = np.datetime_as_string(np.datetime64("2000-01-01T00:00") + hours.astype("m8[h]"))
    lines = [f"{t.replace('T', ' ')},{a:.4f},{b:.4f}" for t, a, b in zip(times, load, temperature,
                                                                       strict=True)]  # fmt: skip
    path.write_text("time,load,temperature\n" + "\n".join(lines) + "\n")
    return path


def text_file(data: Path, size: int) -> Path:
    path = data / f"words{size}.txt"
    if path.exists():
        return path
    rng = np.random.default_rng(0)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words = ["".join(rng.choice(letters, rng.integers(1, 9))) for _ in range(5000)]
    picked = rng.choice(words, size // 4)
    text = " ".join(picked)
    path.write_text(text[:size])
    return path


def child(kind: str, source: str, workspace: str) -> None:
    """One load in this (fresh) process; prints its figures as JSON."""
    import torch

    from engine.data import load_dataset

    datasets = Path(workspace) / "datasets"
    started = time.perf_counter()
    dataset = load_dataset(source, datasets)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"seconds": seconds, "peak_mb": peak, "sizes": dataset.sizes()}
    result["decoders_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if kind == "images":
        train = dataset.train
        for start in range(0, len(train), 256):  # one epoch's batches: every page is read
            batch = train.take(torch.arange(start, min(start + 256, len(train))))
            assert batch.x.dtype == torch.float32
        result["peak_after_pass_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        result["stored_mb"] = train.stored_x.numel() / 2**20
    print(json.dumps(result))


def measure(kind: str, source: str, workspace: str) -> dict:
    command = [sys.executable, __file__, "--child", kind, source, workspace]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 000 images, 100k rows, 1 MB")
    parser.add_argument("--data", type=Path, default=None, help="where generated data is kept")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    data = args.data or Path(tempfile.gettempdir()) / "netyard-bench-data"
    data.mkdir(parents=True, exist_ok=True)
    counts = (2000,) if args.quick else (20_000, 50_000)
    rows, size = (100_000, 1_000_000) if args.quick else (1_000_000, 10_000_000)
    print(f"{'data':<34} {'load':<7} {'seconds':>8} {'peak MB':>8} {'after pass':>10}")
    workspace = tempfile.mkdtemp(prefix="netyard-bench-data-")
    try:
        run_all(data, counts, rows, size, workspace)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)  # the caches; the generated data stays
    print(f"(a fresh process each; {os.cpu_count()} CPUs; generated data kept in {data})")


def run_all(data: Path, counts: tuple[int, ...], rows: int, size: int, workspace: str) -> None:
    for count in counts:
        root = image_folder(data, count)
        for which in ("first", "second"):
            found = measure("images", f"folder:{root}", workspace)
            print(
                f"{f'{count:,} PNGs 32x32 RGB':<34} {which:<7} {found['seconds']:8.2f} "
                f"{found['peak_mb']:8.0f} {found['peak_after_pass_mb']:10.0f}"
                + (f"  (decoders' peak {found['decoders_peak_mb']:.0f} MB, "
                   f"stored {found['stored_mb']:.0f} MB uint8)" if which == "first" else "")
            )  # fmt: skip
    path = csv_file(data, rows)
    found = measure("csv", f"csv:{path}?target=load&inputs=temperature&season=24", workspace)
    print(f"{f'CSV {rows:,} rows':<34} {'once':<7} {found['seconds']:8.2f} {found['peak_mb']:8.0f}")
    path = text_file(data, size)
    found = measure("text", f"text:{path}", workspace)
    print(f"{f'text {size / 1e6:.0f} MB':<34} {'once':<7} {found['seconds']:8.2f} "
          f"{found['peak_mb']:8.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
