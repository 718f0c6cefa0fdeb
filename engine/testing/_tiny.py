"""Tiny in-memory datasets, one per data kind, for plugin tests.

Each built-in one is a real registered dataset cut down to a few dozen samples, so a plugin
meets in its tests exactly the ``DataSpec`` (shape, classes, dtype) it meets in a real run.
A kind the engine does not know yet is added with ``register_tiny_dataset``, or a plugin's
test class supplies its own factory (``PluginConformance.tiny_datasets``).
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from engine.data import Dataset, Split, dataset_info, list_datasets

TinyFactory = Callable[[int], Dataset]
"""``factory(seed) -> Dataset``: a small dataset, its splits decided by ``seed``."""

TRAIN_SIZE = 128
VAL_SIZE = 32
TEST_SIZE = 32


def shrink(
    dataset: Dataset, train: int = TRAIN_SIZE, val: int = VAL_SIZE, test: int = TEST_SIZE
) -> Dataset:
    """The first samples of each split (splits are already shuffled by their seed)."""

    def head(split: Split, size: int) -> Split:
        # Cloned so the cut-down dataset does not keep the full one's memory alive.
        y = None if split.y is None else split.y[:size].clone()
        return Split(split.x[:size].clone(), y)

    return replace(
        dataset,
        train=head(dataset.train, train),
        val=head(dataset.val, val),
        test=head(dataset.test, test),
    )


@functools.cache
def from_registered(
    dataset_id: str, train: int = TRAIN_SIZE, val: int = VAL_SIZE, test: int = TEST_SIZE
) -> TinyFactory:
    """A factory that loads a registered dataset into a throw-away cache and shrinks it.

    Only for datasets that are generated or bundled locally and load in about a second.
    """

    def factory(seed: int) -> Dataset:
        info = dataset_info(dataset_id)
        with tempfile.TemporaryDirectory(prefix="netyard-tiny-") as cache:
            dataset = info.load(Path(cache), seed)
        return shrink(dataset, train, val, test)

    factory.__name__ = factory.__qualname__ = f"from_registered({dataset_id!r})"
    return factory


def write_small_mnist1d(cache_dir: Path, num_samples: int = 400) -> None:
    """Put a small real MNIST-1D where the ``mnist1d`` loader looks for its cache.

    Generating the full set takes seconds; with this in a workspace's ``datasets/`` folder
    (or any cache folder) the real loader, and so a real run, starts at once. 400 samples
    give 320 for training (32 of them validation) and 80 for test.
    """
    import numpy as np
    from mnist1d.data import get_dataset_args, make_dataset

    from engine.data import MNIST1D_CACHE_NAME

    args = get_dataset_args()
    args.num_samples = num_samples
    data = make_dataset(args)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.savez(
        cache_dir / MNIST1D_CACHE_NAME, **{key: data[key] for key in ("x", "y", "x_test", "y_test")}
    )


def tiny_mnist1d(seed: int) -> Dataset:
    """A small MNIST-1D read by the real ``mnist1d`` loader (so with the real spec)."""
    with tempfile.TemporaryDirectory(prefix="netyard-tiny-") as cache:
        write_small_mnist1d(Path(cache))
        dataset = dataset_info("mnist1d").load(Path(cache), seed)
    return shrink(dataset)


_FACTORIES: dict[str, TinyFactory] = {
    "sequence": tiny_mnist1d,
    "image": from_registered("digits"),
    "timeseries": from_registered("sines"),
    "points": from_registered("ring8"),
    "tokens": from_registered("sort"),
}


def register_tiny_dataset(kind: str, factory: TinyFactory) -> None:
    """Make ``factory`` the tiny dataset of ``kind`` for every plugin test."""
    _FACTORIES[kind] = factory


def tiny_kinds() -> list[str]:
    """The data kinds that have a tiny dataset."""
    return sorted(_FACTORIES)


def tiny_dataset(kind: str, seed: int = 0) -> Dataset:
    """The tiny dataset of ``kind`` (made once per process and seed, then shared)."""
    factory = _FACTORIES.get(kind)
    if factory is None:
        registered = [info.id for info in list_datasets() if info.kind == kind]
        suggestion = (
            f"e.g. tiny_datasets = {{{kind!r}: from_registered({registered[0]!r})}}"
            if registered
            else "a factory(seed) -> Dataset"
        )
        raise LookupError(
            f"no tiny dataset for data kind {kind!r} (known: {', '.join(tiny_kinds())}); "
            f"give the test class one, {suggestion}, or call register_tiny_dataset"
        )
    return made_once(factory, seed)


@functools.cache
def made_once(factory: TinyFactory, seed: int) -> Dataset:
    """``factory(seed)``, cached: tests share one in-memory copy and never modify it."""
    return factory(seed)
