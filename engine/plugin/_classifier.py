"""A base for plugins that classify: cross-entropy, accuracy, a confusion matrix at the end.

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

    def write_artifacts(self, model: torch.nn.Module, dataset: Dataset, out_dir: Path) -> None:
        from engine.tracking.plots import confusion_matrix_png, predict_classes

        predicted = predict_classes(model, dataset.test, self.eval_batch_size())
        confusion_matrix_png(
            dataset.test.y.cpu().numpy(),
            predicted,
            dataset.spec.class_names or tuple(str(i) for i in range(dataset.spec.num_classes)),
            out_dir / "confusion_matrix.png",
        )

    def outputs(self, result: torch.Tensor) -> dict[str, np.ndarray]:
        """The predicted label, then each class's probability (``p_NAME``)."""
        probabilities = result.float().softmax(dim=1).cpu().numpy()
        names = self.spec.class_names or tuple(str(i) for i in range(probabilities.shape[1]))
        columns = {"label": np.asarray(names, dtype=object)[probabilities.argmax(axis=1)]}
        columns.update({f"p_{name}": probabilities[:, i] for i, name in enumerate(names)})
        return columns
