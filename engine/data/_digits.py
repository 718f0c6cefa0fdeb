"""scikit-learn's bundled 8x8 handwritten digits, as 1x8x8 images scaled to [0, 1]."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.data._registry import DatasetInfo, register
from engine.data._spec import Dataset, DataSpec
from engine.data._splits import three_splits


def load(cache_dir: Path, seed: int, val_fraction: float) -> Dataset:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)[:, None, :, :]
    labels = bunch.target.astype(np.int64)
    train, val, test = three_splits(images, labels, val_fraction, seed)
    spec = DataSpec(
        kind="image",
        task="classification",
        input_shape=(1, 8, 8),
        num_classes=10,
        class_names=tuple(str(i) for i in range(10)),
    )
    return Dataset("digits", spec, train, val, test)


register(
    DatasetInfo(
        id="digits",
        kind="image",
        task="classification",
        description="8x8 handwritten digits bundled with scikit-learn (1797 images, 10 classes)",
        loader=load,
    )
)
