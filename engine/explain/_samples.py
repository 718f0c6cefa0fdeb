"""The first test samples of a run's own test part, with their labels, for ``explain --test``.

The first ``count`` (not a random pick, as the Predict tab's): ``--test 10`` twice explains
the same ten samples. Each is made as ``predict`` takes it (the plugin's ``example_inputs``:
a forecaster's window in the series' own units). Labels are class or token codes, a
character model's next character, or a forecast's true values in the series' units.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from engine.errors import UsageError


def first_test_samples(trained, datasets_dir: Path, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, labels) of the first ``count`` test samples of ``trained``'s run."""
    import torch

    if count < 1:
        raise UsageError(f"invalid --test {count}: expected a whole number of samples >= 1")
    dataset = trained.run_dataset(datasets_dir)
    test = dataset.test
    count = min(count, len(test))
    plugin = trained.plugin
    inputs = np.stack(
        [plugin.example_inputs(replace(dataset, test=test.part(slice(i, i + 1))))[0]
         for i in range(count)]
    )  # fmt: skip
    targets = test.y[:count].cpu().numpy()
    if np.issubdtype(targets.dtype, np.integer):
        labels = targets[:, -1] if plugin.spec.task == "language_modeling" else targets
    else:
        # The plugin's own outputs of the targets, as if the network had returned them: a
        # forecast's truth in the series' units (what engine.models.test_samples shows).
        columns = plugin.outputs(torch.as_tensor(targets, dtype=torch.float32))
        labels = np.stack([np.asarray(v, dtype=np.float32) for v in columns.values()], axis=1)
    return inputs, labels
