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
    # Its first load builds a cache in the workspace that later loads map (an image folder's
    # decoded pixels): a sweep's coordinator builds it once, with progress, before any trial.
    cached: bool = False

    def load(self, cache_dir: Path, seed: int = 0, val_fraction: float = 0.1) -> Dataset:
        if not 0.0 < val_fraction < 0.9:
            raise UsageError(f"invalid validation fraction {val_fraction!r}: expected 0 < f < 0.9")
        cache_dir.mkdir(parents=True, exist_ok=True)
        return self.loader(cache_dir, seed, val_fraction)


_BUILTINS: dict[str, DatasetInfo] = {}
_SOURCES: dict[str, tuple[Callable[[str], DatasetInfo], str]] = {}

# Modules that register built-in datasets and user-data sources when imported. Importing them
# is deferred to the first look-up so that listing plugins or opening the app stays cheap.
_BUILTIN_MODULES = (
    "_mnist1d",
    "_digits",
    "_sines",
    "_csv",
    "_gaussians",
    "_folder",
    "_sort",
    "_text",
)


def register(info: DatasetInfo) -> DatasetInfo:
    _BUILTINS[info.id] = info
    return info


def register_source(scheme: str, factory: Callable[[str], DatasetInfo], syntax: str) -> None:
    """User data: ids ``SCHEME:ARGUMENT`` become ``factory(ARGUMENT)``.

    ``factory`` checks the argument (file exists, options parse) and raises ``UsageError``
    naming the file and the problem; ``syntax`` documents the id form for listings.
    """
    _SOURCES[scheme] = (factory, syntax)


def list_sources() -> dict[str, str]:
    """User-data schemes and their syntax, e.g. ``{"csv": "csv:PATH[...]"}``."""
    _ensure_builtins()
    return {scheme: syntax for scheme, (_, syntax) in _SOURCES.items()}


def _ensure_builtins() -> None:
    import importlib

    for module in _BUILTIN_MODULES:
        importlib.import_module(f"engine.data.{module}")


def list_datasets() -> list[DatasetInfo]:
    _ensure_builtins()
    return list(_BUILTINS.values())


def dataset_info(dataset_id: str) -> DatasetInfo:
    _ensure_builtins()
    if dataset_id in _BUILTINS:
        return _BUILTINS[dataset_id]
    scheme, sep, argument = dataset_id.partition(":")
    if sep and scheme in _SOURCES:
        return _SOURCES[scheme][0](argument)
    valid = ", ".join([*_BUILTINS, *(syntax for _, syntax in _SOURCES.values())])
    close = difflib.get_close_matches(dataset_id, list(_BUILTINS), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise UsageError(f"unknown dataset {dataset_id!r}{hint}; valid: {valid}")


def load_dataset(
    dataset_id: str, cache_dir: Path, seed: int = 0, val_fraction: float = 0.1
) -> Dataset:
    return dataset_info(dataset_id).load(cache_dir, seed, val_fraction)
