"""Artifact plots, drawn with matplotlib's Agg backend (no display, no Qt)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def predict_classes(model, split, batch_size: int) -> np.ndarray:
    import torch

    from engine.data import iterate_batches

    predictions = []
    model.eval()
    with torch.no_grad():
        for batch in iterate_batches(split, batch_size):
            predictions.append(model(batch.x).argmax(dim=1).cpu())
    return torch.cat(predictions).numpy()


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (true, predicted), 1)
    return matrix


def confusion_matrix_png(
    true: np.ndarray, predicted: np.ndarray, class_names: Sequence[str], path: Path
) -> np.ndarray:
    """Save the test-set confusion matrix (rows true, columns predicted); return it."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    matrix = confusion_matrix(true, predicted, len(class_names))
    figure = Figure(figsize=(5.5, 5), dpi=100)
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes, fraction=0.046)
    ticks = np.arange(len(class_names))
    axes.set_xticks(ticks, class_names)
    axes.set_yticks(ticks, class_names)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    accuracy = float(np.trace(matrix)) / max(1, int(matrix.sum()))
    axes.set_title(f"Test confusion matrix (accuracy {accuracy:.1%})")
    threshold = matrix.max() / 2 if matrix.size else 0
    if len(class_names) <= 20:
        for (row, col), count in np.ndenumerate(matrix):
            color = "white" if count > threshold else "black"
            axes.text(col, row, str(count), ha="center", va="center", color=color, fontsize=8)
    figure.tight_layout()
    figure.savefig(path)
    np.savetxt(path.with_suffix(".csv"), matrix, fmt="%d", delimiter=",")
    return matrix
