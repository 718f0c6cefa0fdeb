"""A look at a dataset before training on it: split sizes, class balance and a few samples.

The preview loads the dataset exactly as a run does (``DatasetInfo.load`` with the run's seed
and validation fraction), so the sizes and class counts it reports are those of the split the
run will train, validate and test on, and bad data fails with the run's own ``UsageError``.
Loading can take a second (reading images, generating MNIST-1D once), so the latest previews
are kept per dataset id, folder, seed and validation fraction, and dropped when a user file or
folder changes (its modification times and sizes).
"""

from __future__ import annotations

import functools
import os
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
    training points of a 2-D set. ``augmented`` holds ``samples`` as augmentation would
    change them in training (``engine.augment.with_augmented``; empty when none is on).
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
    augmented: tuple[PreviewSample, ...] = ()
    series: np.ndarray | None = None
    boundaries: tuple[int, int] | None = None
    points: np.ndarray | None = None
    notes: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return sum(self.sizes.values())


def preview(
    dataset_id: str, datasets_dir: Path, seed: int = 0, samples: int = 6, val_fraction: float = 0.1
) -> DatasetPreview:
    """The preview of ``dataset_id`` split with ``seed`` and ``val_fraction`` as a run would
    split it; ``UsageError`` (the run's message) when the data cannot be learnt from."""
    dataset_id = dataset_id.strip()
    fingerprint = _fingerprint(dataset_id)
    return _kept_preview(dataset_id, Path(datasets_dir), seed, samples, val_fraction, fingerprint)


@functools.lru_cache(maxsize=CACHE_SIZE)
def _kept_preview(
    dataset_id: str, datasets_dir: Path, seed: int, samples: int, val_fraction: float, _: tuple
) -> DatasetPreview:
    """``preview``, kept; the last argument (the user file's fingerprint) is only a key."""
    return describe(dataset_info(dataset_id).load(datasets_dir, seed, val_fraction), samples)


def describe(dataset: Dataset, samples: int = 6) -> DatasetPreview:
    """The preview of a loaded dataset (no loading, no cache)."""
    spec = dataset.spec
    kind = _KIND_OF_DATA.get(spec.kind, f"{spec.kind} {spec.task}")
    names = tuple(spec.class_names or ())
    # Labelled by class: one class index per sample (sort's targets are whole sequences).
    labelled = bool(names) and dataset.train.y is not None and dataset.train.y.ndim == 1
    show = _SHOWN_BY_KIND.get(kind)
    picked = _evenly(len(dataset.train), samples)
    shown = show(dataset, picked, names if labelled else ()) if show else {}
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
        **shown,
    )


# What each kind shows: the fields of ``DatasetPreview`` it fills, from the training samples
# ``picked`` (labelled with ``names``, empty when the data is not labelled by class).
def _labelled_samples(dataset: Dataset, picked: list[int], names: tuple[str, ...]) -> dict:
    import torch  # loaded with the data

    # Only the rows shown: a large image set stays uint8 (``Split.inputs``), never whole floats.
    rows = torch.as_tensor(picked, dtype=torch.long)
    x, y = dataset.train.inputs(rows).numpy(), dataset.train.targets(rows)
    samples = [PreviewSample(x[k], names[int(y[k])] if names else "") for k in range(len(picked))]
    return {"samples": tuple(samples)}


def _points(dataset: Dataset, picked: list[int], names: tuple[str, ...]) -> dict:
    x = dataset.train.x.numpy()
    return {"points": x[_evenly(len(x), MAX_POINTS)], **_labelled_samples(dataset, picked, names)}


def _forecast(dataset: Dataset, picked: list[int], names: tuple[str, ...]) -> dict:
    extra = dataset.spec.extra
    std, mean = extra["target_std"], extra["target_mean"]  # back to the target's units
    x, y = dataset.train.x.numpy(), dataset.train.y.numpy()
    samples = []
    for i in picked:
        following = "next: " + ", ".join(f"{v * std + mean:.4g}" for v in y[i])
        samples.append(PreviewSample(x[i, :, 0] * std + mean, following))
    inputs = ", ".join(extra["channels"][1:])
    ahead = f"{extra['horizon']} step{'s' * (extra['horizon'] > 1)}"
    note = f"forecast {extra['target']!r} {ahead} ahead from the last {extra['window']}"
    return {
        "samples": tuple(samples),
        "notes": (note + (f"; other inputs: {inputs}" if inputs else ""),),
        "series": _forecast_target(dataset) * std + mean,
        "boundaries": tuple(extra["boundaries"]),
    }


def _text(dataset: Dataset, picked: list[int], names: tuple[str, ...]) -> dict:
    extra, x = dataset.spec.extra, dataset.train.x.numpy()
    alphabet = extra["alphabet"]
    return {
        "samples": tuple(PreviewSample("".join(alphabet[c] for c in x[i])) for i in picked),
        "notes": (
            f"{extra['characters']:,} characters, a vocabulary of {len(alphabet)}, "
            f"context {extra['block']}",
        ),
    }


def _tokens(dataset: Dataset, picked: list[int], names: tuple[str, ...]) -> dict:
    x, y = dataset.train.x.numpy(), dataset.train.y
    y = None if y is None else y.numpy()
    samples = [
        PreviewSample(" ".join(map(str, x[i])), "" if y is None else " ".join(map(str, y[i])))
        for i in picked
    ]
    return {
        "samples": tuple(samples),
        "notes": (f"vocabulary of {dataset.spec.vocab_size} symbols",),
    }


_SHOWN_BY_KIND = {
    PreviewKind.IMAGES: _labelled_samples,
    PreviewKind.SERIES: _labelled_samples,
    PreviewKind.FORECASTING: _forecast,
    PreviewKind.TEXT: _text,
    PreviewKind.TOKENS: _tokens,
    PreviewKind.POINTS: _points,
}


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
