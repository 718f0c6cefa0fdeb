"""A look at a dataset before training on it: split sizes, class balance and a few samples.

The preview loads the dataset exactly as a run does (``DatasetInfo.load`` with the run's seed
and validation fraction), so the sizes and class counts it reports are those of the split the
run will train, validate and test on, and bad data fails with the run's own ``UsageError``.
Loading can take a second (reading images, generating MNIST-1D once), so previews are kept
per dataset id, seed and validation fraction, and dropped when a user file or folder changes
(its modification times and sizes).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.data._registry import dataset_info
from engine.data._spec import Dataset, Split


class PreviewKind:
    """What a preview shows, by the data's kind (``DatasetPreview.kind``)."""

    IMAGES = "classification images"
    SERIES = "classification series"
    FORECASTING = "forecasting series"
    TOKENS = "sequence tokens"
    TEXT = "text"
    POINTS = "points 2D"


_KIND_OF_DATA = {
    "image": PreviewKind.IMAGES,
    "sequence": PreviewKind.SERIES,
    "timeseries": PreviewKind.FORECASTING,
    "tokens": PreviewKind.TOKENS,
    "text": PreviewKind.TEXT,
    "points": PreviewKind.POINTS,
}
SPLITS = ("train", "val", "test")
MAX_POINTS = 2000  # enough to see every mode of a mixture, few enough to draw at once
CACHE_SIZE = 16


@dataclass(frozen=True)
class PreviewSample:
    """One sample as plain data: an image (channels x h x w in [0, 1]), a series (length,),
    or a string (text, tokens), with its label ("" when the data has none)."""

    data: np.ndarray | str
    label: str = ""


@dataclass(frozen=True)
class DatasetPreview:
    """What a run on ``dataset_id`` would see, described with plain numbers and arrays.

    ``kind`` is one of ``PreviewKind``'s (``"KIND TASK"`` for a dataset of another kind).
    ``class_counts`` maps each split to its count per class (in ``class_names`` order) where
    samples are labelled by class. ``series`` is a forecast target over time in its own
    units, with ``boundaries`` the times where validation and test begin; ``points`` some
    training points of a 2-D set.
    """

    dataset_id: str
    kind: str
    data_kind: str
    task: str
    sizes: dict[str, int]
    input_shape: tuple[int, ...]
    class_names: tuple[str, ...] = ()
    class_counts: dict[str, tuple[int, ...]] = field(default_factory=dict)
    samples: tuple[PreviewSample, ...] = ()
    series: np.ndarray | None = None
    boundaries: tuple[int, int] | None = None
    points: np.ndarray | None = None
    notes: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return sum(self.sizes.values())


_cache: OrderedDict[tuple, DatasetPreview] = OrderedDict()
_cache_lock = threading.Lock()


def preview(
    dataset_id: str, datasets_dir: Path, seed: int = 0, samples: int = 6, val_fraction: float = 0.1
) -> DatasetPreview:
    """The preview of ``dataset_id`` split with ``seed`` and ``val_fraction`` as a run would
    split it; ``UsageError`` (the run's message) when the data cannot be learnt from."""
    dataset_id = dataset_id.strip()
    # Not keyed by ``datasets_dir``: it only holds caches of data made the same way anywhere.
    key = (dataset_id, seed, samples, val_fraction, _fingerprint(dataset_id))
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    info = dataset_info(dataset_id)
    result = describe(info.load(Path(datasets_dir), seed, val_fraction), samples)
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def describe(dataset: Dataset, samples: int = 6) -> DatasetPreview:
    """The preview of a loaded dataset (no loading, no cache)."""
    spec = dataset.spec
    kind = _KIND_OF_DATA.get(spec.kind, f"{spec.kind} {spec.task}")
    train_x = dataset.train.x.numpy()
    train_y = None if dataset.train.y is None else dataset.train.y.numpy()
    picked = _evenly(len(train_x), samples)
    names = tuple(spec.class_names or ())
    # Labelled by class: one class index per sample (sort's targets are whole sequences).
    labelled = bool(names) and train_y is not None and train_y.ndim == 1

    def label(index: int) -> str:
        return names[int(train_y[index])] if labelled else ""

    preview_samples: list[PreviewSample] = []
    notes: list[str] = []
    series = boundaries = points = None
    if kind in (PreviewKind.IMAGES, PreviewKind.SERIES):
        preview_samples = [PreviewSample(train_x[i], label(i)) for i in picked]
    elif kind == PreviewKind.FORECASTING:
        extra = spec.extra
        std, mean = extra["target_std"], extra["target_mean"]  # back to the target's units
        series = _forecast_target(dataset) * std + mean
        boundaries = tuple(extra["boundaries"])
        for i in picked:
            following = "next: " + ", ".join(f"{v * std + mean:.4g}" for v in train_y[i])
            preview_samples.append(PreviewSample(train_x[i, :, 0] * std + mean, following))
        inputs = ", ".join(extra["channels"][1:])
        ahead = f"{extra['horizon']} step{'s' * (extra['horizon'] > 1)}"
        notes.append(
            f"forecast {extra['target']!r} {ahead} ahead from the last {extra['window']}"
            + (f"; other inputs: {inputs}" if inputs else "")
        )
    elif kind == PreviewKind.TEXT:
        alphabet = spec.extra["alphabet"]
        preview_samples = [PreviewSample("".join(alphabet[c] for c in train_x[i])) for i in picked]
        notes.append(
            f"{spec.extra['characters']:,} characters, a vocabulary of {len(alphabet)}, "
            f"context {spec.extra['block']}"
        )
    elif kind == PreviewKind.TOKENS:
        for i in picked:
            source = " ".join(str(t) for t in train_x[i])
            target = "" if train_y is None else " ".join(str(t) for t in train_y[i])
            preview_samples.append(PreviewSample(source, target))
        notes.append(f"vocabulary of {spec.vocab_size} symbols")
    elif kind == PreviewKind.POINTS:
        points = train_x[_evenly(len(train_x), MAX_POINTS)]
        preview_samples = [PreviewSample(train_x[i], label(i)) for i in picked]
    counts = {}
    if labelled:
        for name, split in zip(SPLITS, (dataset.train, dataset.val, dataset.test), strict=True):
            counts[name] = _class_counts(split, len(names))
    return DatasetPreview(
        dataset_id=dataset.id,
        kind=kind,
        data_kind=spec.kind,
        task=spec.task,
        sizes=dataset.sizes(),
        input_shape=tuple(spec.input_shape),
        class_names=names if labelled else (),
        class_counts=counts,
        samples=tuple(preview_samples),
        series=series,
        boundaries=boundaries,
        points=points,
        notes=tuple(notes),
    )


def _evenly(count: int, wanted: int) -> list[int]:
    """Up to ``wanted`` indices spread over ``range(count)`` (training parts are already
    shuffled by the seed, except time series and text, where spreading shows more)."""
    if count <= wanted:
        return list(range(count))
    return [int(i) for i in np.linspace(0, count - 1, wanted).round()]


def _class_counts(split: Split, classes: int) -> tuple[int, ...]:
    labels = split.y.numpy().astype(np.int64)
    return tuple(int(n) for n in np.bincount(labels, minlength=classes)[:classes])


def _forecast_target(dataset: Dataset) -> np.ndarray:
    """The standardised target over the whole series, put back together from the windows:
    the first training window's inputs, then every sample's first target and, at the end of
    each part, the last sample's remaining targets (see ``engine.data._forecast``)."""
    pieces = [dataset.train.x[0, :, 0].numpy()]
    for split in (dataset.train, dataset.val, dataset.test):
        targets = split.y.numpy()
        pieces += [targets[:, 0], targets[-1, 1:]]
    return np.concatenate(pieces)


def _fingerprint(dataset_id: str) -> tuple:
    """What changes when a user's file or folder does: sizes and modification times of the
    path and, for a folder, of its entries and its class subfolders' entries."""
    _scheme, sep, argument = dataset_id.partition(":")
    if not sep:
        return ()
    path = Path(argument).expanduser()
    if not path.exists():
        path = Path(argument.rpartition("?")[0] or argument).expanduser()
    path = path.resolve()  # a relative path names another file from another folder
    try:
        stat = path.stat()
    except OSError:
        return ()
    marks = [(str(path), stat.st_mtime_ns, stat.st_size)]
    if path.is_dir():
        entries = _entries(path)
        marks += entries
        for name, _, _, is_folder in entries:
            if is_folder:
                marks += _entries(Path(name))
    return tuple(marks)


def _entries(folder: Path) -> list[tuple[str, int, int, bool]]:
    try:
        found = []
        for entry in os.scandir(folder):
            stat = entry.stat()
            found.append((entry.path, stat.st_mtime_ns, stat.st_size, entry.is_dir()))
    except OSError:
        return []
    return sorted(found)
