"""Deterministic splits: a seed decides which samples go where, nothing else does."""

from __future__ import annotations

import numpy as np

from engine.data._spec import Split


def permutation(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).permutation(n)


def carve_validation(
    x: np.ndarray, y: np.ndarray | None, val_fraction: float, seed: int
) -> tuple[Split, Split]:
    """Split the training arrays into train and validation by a seeded permutation."""
    order = permutation(len(x), seed)
    n_val = max(1, int(round(len(x) * val_fraction)))
    val_index, train_index = order[:n_val], order[n_val:]
    return to_split(x[train_index], None if y is None else y[train_index]), to_split(
        x[val_index], None if y is None else y[val_index]
    )


def three_splits(
    x: np.ndarray, y: np.ndarray, val_fraction: float, seed: int, test_fraction: float = 0.2
) -> tuple[Split, Split, Split]:
    """Train, validation and test parts of labelled samples. The test part is drawn with a
    fixed seed, so every run is tested on the same samples whatever its own seed."""
    order = permutation(len(x), 0)
    n_test = max(1, int(round(len(x) * test_fraction)))
    test_index, rest_index = order[:n_test], order[n_test:]
    train, val = carve_validation(x[rest_index], y[rest_index], val_fraction, seed)
    return train, val, to_split(x[test_index], y[test_index])


def three_views(
    x: np.ndarray, y: np.ndarray, val_fraction: float, seed: int, test_fraction: float = 0.2
) -> tuple[Split, Split, Split]:
    """The parts ``three_splits`` makes, as index views of one shared store: nothing is copied
    (``x`` may be a memory-mapped cache; it stays one). Same samples in the same parts."""
    import torch

    order = permutation(len(x), 0)
    n_test = max(1, int(round(len(x) * test_fraction)))
    test_index, rest_index = order[:n_test], order[n_test:]
    carve = permutation(len(rest_index), seed)
    n_val = max(1, int(round(len(rest_index) * val_fraction)))
    val_index, train_index = rest_index[carve[:n_val]], rest_index[carve[n_val:]]
    stored_x, stored_y = torch.from_numpy(x), torch.from_numpy(np.ascontiguousarray(y))
    return tuple(
        Split(stored_x, stored_y, torch.from_numpy(index.astype(np.int64)))
        for index in (train_index, val_index, test_index)
    )  # type: ignore[return-value]


def to_split(x: np.ndarray, y: np.ndarray | None) -> Split:
    import torch  # here, not at the top: listing datasets (the app's form) stays free of it

    x_tensor = torch.as_tensor(np.ascontiguousarray(x))
    if x_tensor.is_floating_point():
        x_tensor = x_tensor.float()
    y_tensor = None if y is None else torch.as_tensor(np.ascontiguousarray(y))
    return Split(x_tensor, y_tensor)
