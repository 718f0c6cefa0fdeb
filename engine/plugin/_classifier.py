"""A base for plugins that classify: cross-entropy, accuracy, and at the end the test set's
confusion matrix, per-class scores, calibration and most confident mistakes.

Subclasses only build the model (logits of shape batch x classes).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from engine.plugin._base import OptimizationContext, Plugin

if TYPE_CHECKING:
    import torch

    from engine.data import Batch, Dataset


def _torch_index(indices: np.ndarray):
    """numpy indices as a tensor index (an empty array indexes nothing, not a float tensor)."""
    import torch

    return torch.as_tensor(indices, dtype=torch.long)


class ClassifierPlugin(Plugin):
    metrics: ClassVar[Mapping[str, str]] = {"loss": "min", "accuracy": "max"}
    monitor: ClassVar[str] = "accuracy"

    def training_step(
        self,
        model: torch.nn.Module,
        batch: Batch,
        step: int,
        context: OptimizationContext | None = None,
    ) -> Mapping[str, Any]:
        import torch.nn.functional as F

        logits = model(batch.x)
        loss = F.cross_entropy(logits, batch.y)
        return {"loss": loss}

    def validation_step(self, model: torch.nn.Module, batch: Batch) -> Mapping[str, Any]:
        import torch.nn.functional as F

        logits = model(batch.x).float()
        loss = F.cross_entropy(logits, batch.y, reduction="sum")
        correct = (logits.argmax(dim=1) == batch.y).sum()
        return {"loss": loss.item(), "accuracy": correct.item()}

    def write_artifacts(
        self, model: torch.nn.Module, dataset: Dataset, out_dir: Path
    ) -> dict[str, float]:
        """The confusion matrix, per-class scores, reliability diagram and most confident
        mistakes of the test set; returns the per-class scores and the calibration error."""
        from engine.metrics import calibration, class_scores, confident_mistakes
        from engine.tracking.classifier_plots import (
            MISTAKES_PNG,
            RELIABILITY_PNG,
            mistakes_png,
            reliability_png,
            write_per_class_table,
        )
        from engine.tracking.plots import confusion_matrix_png, predict_probabilities

        spec = dataset.spec
        names = spec.class_names or tuple(str(i) for i in range(spec.num_classes))
        probabilities = predict_probabilities(model, dataset.test, self.eval_batch_size())
        true = dataset.test.y.cpu().numpy()
        predicted = probabilities.argmax(axis=1)
        confusion_matrix_png(true, predicted, names, out_dir / "confusion_matrix.png")
        scores = class_scores(true, predicted, names)
        write_per_class_table(scores, out_dir)
        calibrated = calibration(probabilities, true)
        reliability_png(calibrated, out_dir / RELIABILITY_PNG)
        worst = confident_mistakes(probabilities, true)
        inputs = dataset.test.inputs(_torch_index(worst)).cpu().numpy()
        sureness = probabilities[worst].max(axis=1)
        mistakes_png(inputs, true[worst], predicted[worst], sureness, names, spec.kind,
                     out_dir / MISTAKES_PNG, spec.extra.get("alphabet"))  # fmt: skip
        return {**scores.as_metrics("test_"), "test_ece": calibrated.ece}

    def outputs(self, result: torch.Tensor) -> dict[str, np.ndarray]:
        """The predicted label, then each class's probability (``p_NAME``)."""
        probabilities = result.float().softmax(dim=1).cpu().numpy()
        names = self.spec.class_names or tuple(str(i) for i in range(probabilities.shape[1]))
        columns = {"label": np.asarray(names, dtype=object)[probabilities.argmax(axis=1)]}
        columns.update({f"p_{name}": probabilities[:, i] for i, name in enumerate(names)})
        return columns
