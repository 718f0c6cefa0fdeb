"""Datasets: built-in generators and loaders, held as tensors and batched by slicing.

Every dataset is made or read locally (never downloaded), split into train / validation /
test deterministically by seed, and described by a ``DataSpec`` that plugins build from.
"""

from engine.data._batching import BatchSampler, iterate_batches
from engine.data._registry import (
    DatasetInfo,
    dataset_info,
    list_datasets,
    list_sources,
    load_dataset,
)
from engine.data._spec import Batch, Dataset, DataSpec, Split

__all__ = [
    "Batch",
    "BatchSampler",
    "DataSpec",
    "Dataset",
    "DatasetInfo",
    "Split",
    "dataset_info",
    "iterate_batches",
    "list_datasets",
    "list_sources",
    "load_dataset",
]
