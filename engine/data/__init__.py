"""Datasets: built-in generators and loaders, held as tensors and batched by slicing.

Image folders are decoded once into the workspace (``_image_cache``) and held as uint8 index
views of that memory-mapped cache; a batch is float32 in [0, 1] (``Split.take``). Long loads
report progress to whoever wraps them in ``loading_progress``.

Every dataset is made or read locally (never downloaded), split into train / validation /
test deterministically by seed, and described by a ``DataSpec`` that plugins build from.
"""

from typing import TYPE_CHECKING, Any

from engine.data._characters import character_name
from engine.data._folder import image_for
from engine.data._preview import DatasetPreview, PreviewKind, PreviewSample, preview
from engine.data._progress import Progress, loading_progress
from engine.data._registry import (
    DatasetInfo,
    dataset_info,
    list_datasets,
    list_sources,
    load_dataset,
)
from engine.data._spec import Batch, Dataset, DataSpec, Split

if TYPE_CHECKING:
    from engine.data._batching import BatchSampler, iterate_batches
    from engine.data._mnist1d import CACHE_NAME as MNIST1D_CACHE_NAME

__all__ = [
    "Batch",
    "BatchSampler",
    "DataSpec",
    "Dataset",
    "DatasetInfo",
    "DatasetPreview",
    "MNIST1D_CACHE_NAME",
    "PreviewKind",
    "PreviewSample",
    "Progress",
    "Split",
    "character_name",
    "dataset_info",
    "image_for",
    "iterate_batches",
    "list_datasets",
    "list_sources",
    "load_dataset",
    "loading_progress",
    "preview",
]


def __getattr__(name: str) -> Any:
    # Batching needs torch; loaded on first use so that listing plugins and datasets and
    # opening the app stay free of it.
    if name in ("BatchSampler", "iterate_batches"):
        from engine.data import _batching

        return getattr(_batching, name)
    if name == "MNIST1D_CACHE_NAME":  # the file the mnist1d loader caches its data in
        from engine.data._mnist1d import CACHE_NAME

        return CACHE_NAME
    raise AttributeError(f"module 'engine.data' has no attribute {name!r}")
