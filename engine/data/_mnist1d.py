"""MNIST-1D (Greydanus & Kobak), generated locally with the ``mnist1d`` package.

``mnist1d.get_dataset`` tries the network first, so it is never used: the data is made with
``make_dataset(get_dataset_args())`` (4000 train / 1000 test, length 40) and cached as .npz.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from engine.data._registry import DatasetInfo, register
from engine.data._spec import Dataset, DataSpec
from engine.data._splits import carve_validation, to_split

CACHE_NAME = "mnist1d-v1.npz"


def _generate() -> dict[str, np.ndarray]:
    from mnist1d.data import get_dataset_args, make_dataset

    data = make_dataset(get_dataset_args())
    return {
        "x": data["x"].astype(np.float32),
        "y": data["y"].astype(np.int64),
        "x_test": data["x_test"].astype(np.float32),
        "y_test": data["y_test"].astype(np.int64),
    }


def cached_arrays(cache_dir: Path) -> dict[str, np.ndarray]:
    path = cache_dir / CACHE_NAME
    if path.exists():
        with np.load(path) as archive:
            return {key: archive[key] for key in archive.files}
    arrays = _generate()
    # Written under a temporary name and renamed, so a crash never leaves half a cache.
    handle, temp_name = tempfile.mkstemp(dir=cache_dir, suffix=".npz.tmp")
    with os.fdopen(handle, "wb") as stream:
        np.savez(stream, **arrays)
    os.replace(temp_name, path)
    return arrays


def load(cache_dir: Path, seed: int, val_fraction: float) -> Dataset:
    arrays = cached_arrays(cache_dir)
    train, val = carve_validation(arrays["x"], arrays["y"], val_fraction, seed)
    spec = DataSpec(
        kind="sequence",
        task="classification",
        input_shape=(arrays["x"].shape[1],),
        num_classes=10,
        class_names=tuple(str(i) for i in range(10)),
    )
    return Dataset("mnist1d", spec, train, val, to_split(arrays["x_test"], arrays["y_test"]))


register(
    DatasetInfo(
        id="mnist1d",
        kind="sequence",
        task="classification",
        description="MNIST-1D: 10 classes of length-40 signals, 4000 train / 1000 test (made here)",
        loader=load,
    )
)
