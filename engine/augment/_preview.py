"""Augmented samples for the dataset preview: the preview's own samples, as a training
batch would see them with the chosen settings and seed."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from engine.augment._params import check_augmentation, settings
from engine.data import DatasetPreview, DataSpec, PreviewSample


def with_augmented(
    preview: DatasetPreview, hparams: Mapping[str, Any], seed: int = 0
) -> DatasetPreview:
    """``preview`` with ``augmented`` set: its samples once through the augmentations that
    ``hparams`` switch on (none when none is on, or the data has no samples to show);
    ``UsageError`` for a setting that cannot apply to the data (the run's own sentence)."""
    import torch

    from engine.augment._augmenter import Augmenter

    spec = DataSpec(preview.data_kind, preview.task, preview.input_shape)
    check_augmentation(hparams, spec)
    strengths = settings(hparams)
    arrays = [s.data for s in preview.samples if isinstance(s.data, np.ndarray)]
    if not strengths or not arrays or len(arrays) != len(preview.samples):
        return dataclasses.replace(preview, augmented=())
    batch = torch.as_tensor(np.stack(arrays), dtype=torch.float32)
    augmented = Augmenter(strengths, spec.kind, seed, "cpu")(batch).numpy()
    samples = tuple(
        PreviewSample(data, sample.label)
        for data, sample in zip(augmented, preview.samples, strict=True)
    )
    return dataclasses.replace(preview, augmented=samples)
