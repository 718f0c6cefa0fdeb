"""The dataset registry: ids users type, what kind of data each is, and how to load it."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.data._spec import Dataset
from engine.errors import UsageError

Loader = Callable[[Path, int, float], Dataset]
"""``loader(cache_dir, seed, val_fraction) -> Dataset``."""


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset known by id, described without loading it (listing must stay cheap)."""

    id: str
    kind: str
    task: str
    description: str
    loader: Loader

    def load(self, cache_dir: Path, seed: int = 0, val_fraction: float = 0.1) -> Dataset:
        if not 0.0 < val_fraction < 0.9:
            raise UsageError(f"invalid validation fraction {val_fraction!r}: expected 0 < f < 0.9")
        cache_dir.mkdir(parents=True, exist_ok=True)
        return self.loader(cache_dir, seed, val_fraction)


_BUILTINS: dict[str, DatasetInfo] = {}


def register(info: DatasetInfo) -> DatasetInfo:
    _BUILTINS[info.id] = info
    return info


def _ensure_builtins() -> None:
    # Importing the modules registers their datasets; kept lazy so listing stays cheap.
    from engine.data import _digits, _mnist1d  # noqa: F401


def list_datasets() -> list[DatasetInfo]:
    _ensure_builtins()
    return list(_BUILTINS.values())


def dataset_info(dataset_id: str) -> DatasetInfo:
    _ensure_builtins()
    if dataset_id in _BUILTINS:
        return _BUILTINS[dataset_id]
    valid = ", ".join(_BUILTINS)
    close = difflib.get_close_matches(dataset_id, list(_BUILTINS), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise UsageError(f"unknown dataset {dataset_id!r}{hint}; valid: {valid}")


def load_dataset(
    dataset_id: str, cache_dir: Path, seed: int = 0, val_fraction: float = 0.1
) -> Dataset:
    return dataset_info(dataset_id).load(cache_dir, seed, val_fraction)
