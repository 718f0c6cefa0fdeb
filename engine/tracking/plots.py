"""Artifact plots, drawn with matplotlib's Agg backend (no display, no Qt)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

CONFUSION_DPI = 100


def predict_classes(model, split, batch_size: int) -> np.ndarray:
    import torch

    from engine.data import iterate_batches

    predictions = []
    model.eval()
    with torch.no_grad():
        for batch in iterate_batches(split, batch_size):
            predictions.append(model(batch.x).argmax(dim=1).cpu())
    return torch.cat(predictions).numpy()


def predict_probabilities(model, split, batch_size: int) -> np.ndarray:
    """Each test sample's class probabilities (softmax of the logits), n x classes."""
    import torch

    from engine.data import iterate_batches

    probabilities = []
    model.eval()
    with torch.no_grad():
        for batch in iterate_batches(split, batch_size):
            probabilities.append(model(batch.x).float().softmax(dim=1).cpu())
    return torch.cat(probabilities).numpy()


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
    classes = len(class_names)
    # Cells of half an inch (50 pixels) hold a count of four digits in 10-point type (14
    # pixels), read at 100 % in the app (8-point counts in 33-pixel cells were too small);
    # with many classes the cells and type shrink to keep the matrix within 9.5 inches.
    cell = min(0.5, 9.5 / max(classes, 1))
    count_points = 10 if cell >= 0.5 else max(5, round(cell * 20))
    side = max(3.5, cell * classes)  # room for the title over a few classes
    figure = Figure(figsize=(side + 2.3, side + 1.6), dpi=CONFUSION_DPI)
    axes = figure.add_subplot()
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes, fraction=0.046)
    ticks = np.arange(classes)
    long_names = max((len(str(name)) for name in class_names), default=0) > 3
    axes.set_xticks(
        ticks,
        class_names,
        rotation=45 if long_names else 0,
        ha="right" if long_names else "center",
        fontsize=min(10, count_points),
    )
    axes.set_yticks(ticks, class_names, fontsize=min(10, count_points))
    axes.set_xlabel("predicted", fontsize=11)
    axes.set_ylabel("true", fontsize=11)
    accuracy = float(np.trace(matrix)) / max(1, int(matrix.sum()))
    axes.set_title(f"Test confusion matrix (accuracy {accuracy:.1%})", fontsize=12)
    threshold = matrix.max() / 2 if matrix.size else 0
    if classes <= 20:
        for (row, col), count in np.ndenumerate(matrix):
            color = "white" if count > threshold else "black"
            axes.text(col, row, str(count), ha="center", va="center", color=color,
                      fontsize=count_points)  # fmt: skip
    figure.tight_layout()
    figure.savefig(path)
    np.savetxt(path.with_suffix(".csv"), matrix, fmt="%d", delimiter=",")
    return matrix
