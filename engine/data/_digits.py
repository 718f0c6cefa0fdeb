"""scikit-learn's bundled 8x8 handwritten digits, as 1x8x8 images scaled to [0, 1]."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.data._registry import DatasetInfo, register
from engine.data._spec import Dataset, DataSpec
from engine.data._splits import carve_validation, permutation, to_split

TEST_FRACTION = 0.2
TEST_SEED = 0  # fixed, so every run is tested on the same held-out images whatever its seed


def load(cache_dir: Path, seed: int, val_fraction: float) -> Dataset:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)[:, None, :, :]
    labels = bunch.target.astype(np.int64)
    order = permutation(len(images), TEST_SEED)
    n_test = int(round(len(images) * TEST_FRACTION))
    test_index, rest_index = order[:n_test], order[n_test:]
    train, val = carve_validation(images[rest_index], labels[rest_index], val_fraction, seed)
    spec = DataSpec(
        kind="image",
        task="classification",
        input_shape=(1, 8, 8),
        num_classes=10,
        class_names=tuple(str(i) for i in range(10)),
    )
    return Dataset("digits", spec, train, val, to_split(images[test_index], labels[test_index]))


register(
    DatasetInfo(
        id="digits",
        kind="image",
        task="classification",
        description="8x8 handwritten digits bundled with scikit-learn (1797 images, 10 classes)",
        loader=load,
    )
)
