"""Samples of a run's own test part for the app's Predict tab, with what the model should say.

The truth is given in the model's own output columns (``label``, ``next``, ``token_1``...,
``value_t+1``...): the columns a network that is always right would give, made by passing the
test targets to the plugin's own ``outputs`` as if the network had returned them (class codes
as one-hot scores, values as they are). So no plugin spells its targets a second time, and
the panel compares a prediction with its truth column by column.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from engine.models._trained import TrainedModel

# One-hot scores this large make a softmax of the true class 1.0 to float precision.
CERTAIN = 50.0


@dataclass(frozen=True)
class TestSamples:
    """``inputs`` as ``predict`` takes them, a name each, and the true output columns (empty
    for a generator, whose samples come from noise)."""

    __test__ = False  # not a pytest class, whatever its name

    inputs: np.ndarray
    names: list[str]
    truth: dict[str, np.ndarray] = field(default_factory=dict)


def test_samples(
    trained: TrainedModel, datasets_dir: Path, count: int = 1, seed: int = 0
) -> TestSamples:
    """``count`` samples of the run's own test part (noise for a generator), as ``predict``
    takes them (the plugin's ``example_inputs`` of each), with their names and truth."""
    if trained.plugin.generative:
        return TestSamples(trained.noise(count, seed), [f"noise {i}" for i in range(count)])
    dataset = trained.run_dataset(datasets_dir)
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(dataset.test), size=min(count, len(dataset.test)), replace=False)
    rows = [
        trained.plugin.example_inputs(replace(dataset, test=dataset.test.part(slice(i, i + 1))))[0]
        for i in picked
    ]
    names = [f"test #{int(i)}" for i in picked]
    targets = dataset.test.y
    truth = {} if targets is None else true_outputs(trained, targets[picked].cpu().numpy())
    return TestSamples(np.stack(rows), names, truth)


test_samples.__test__ = False  # type: ignore[attr-defined]  # not a pytest test either


def true_outputs(trained: TrainedModel, targets: np.ndarray) -> dict[str, np.ndarray]:
    """The output columns of a network that returned ``targets`` exactly (see the module)."""
    import torch

    spec = trained.plugin.spec
    if np.issubdtype(targets.dtype, np.integer):
        classes = spec.num_classes or spec.vocab_size or int(targets.max()) + 1
        scores = np.eye(classes, dtype=np.float32)[targets] * CERTAIN
    else:
        scores = targets.astype(np.float32)
    try:
        return trained.plugin.outputs(torch.as_tensor(scores))
    except (NotImplementedError, IndexError, RuntimeError, ValueError):
        return {}  # a plugin whose outputs are not of its targets' shape: no truth shown
