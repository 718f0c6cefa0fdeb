"""A classifier's end-of-run diagnostics as artifacts: the per-class table (CSV and JSON), the
reliability diagram and the gallery of its most confident mistakes (PNG, matplotlib Agg, as
the confusion matrix in ``plots``).

The gallery draws each sample as what it is: an image (channels first, each scaled to its own
range: the dataset may be normalised), a small curve for a 1-D series, text for tokens (the
characters where the data spec has an alphabet).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from engine.metrics import Calibration, ClassScores

PER_CLASS_CSV = "per_class.csv"
PER_CLASS_JSON = "per_class.json"
RELIABILITY_PNG = "reliability.png"
MISTAKES_PNG = "mistakes.png"
DPI = 100


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=DPI)


def write_per_class_table(scores: ClassScores, out_dir: Path) -> None:
    """``per_class.csv`` and ``per_class.json``: class, precision, recall, f1, support."""
    rows = scores.rows()
    with (out_dir / PER_CLASS_CSV).open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=["class", "precision", "recall", "f1", "support"])
        writer.writeheader()
        writer.writerows(rows)
    (out_dir / PER_CLASS_JSON).write_text(json.dumps(rows, indent=1), encoding="utf-8")


def reliability_png(result: Calibration, path: Path) -> None:
    """Accuracy against confidence per bin, the diagonal a calibrated model would follow, the
    gap shaded, and below it how many samples each bin holds."""
    figure = _figure(5.2, 5.6)
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    width = np.diff(result.edges)
    left = result.edges[:-1]
    filled = result.counts > 0
    top.plot([0, 1], [0, 1], linestyle="--", color="#777777", linewidth=1, label="calibrated")
    top.bar(left[filled], result.accuracy[filled], width[filled], align="edge",
            color="#0072B2", edgecolor="white", label="accuracy")  # fmt: skip
    gap = result.confidence[filled] - result.accuracy[filled]
    # Hatched, not filled: an underconfident bin's gap lies over its accuracy bar.
    top.bar(left[filled], gap, width[filled], bottom=result.accuracy[filled], align="edge",
            fill=False, hatch="//", edgecolor="#D55E00", linewidth=0.8,
            label="gap to mean confidence")  # fmt: skip
    top.set_xlim(0, 1)
    top.set_ylim(0, 1)
    top.set_ylabel("accuracy")
    figure.suptitle(f"Reliability (ECE {result.ece:.3f}, {len(width)} bins)", fontsize=12)
    # Above the plot: any corner inside may hold a bin's bar.
    top.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize=8, frameon=False)
    bottom.bar(left, result.counts, width, align="edge", color="#999999", edgecolor="white")
    bottom.set_xlabel("confidence (top class probability)")
    bottom.set_ylabel("samples")
    figure.tight_layout()
    figure.savefig(path)


def mistakes_png(
    inputs: np.ndarray,
    true: np.ndarray,
    predicted: np.ndarray,
    confidence: np.ndarray,
    class_names: Sequence[str],
    kind: str,
    path: Path,
    alphabet: str | None = None,
) -> None:
    """A grid of the misclassified samples given (most confident first), each titled with its
    true and predicted class and the confidence; a note when there is none."""
    count = len(inputs)
    columns = min(4, max(1, count))
    rows = max(1, math.ceil(count / columns))
    figure = _figure(2.3 * columns + 0.4, 2.1 * rows + 0.6)
    if count == 0:
        figure.text(0.5, 0.5, "No misclassified test samples", ha="center", va="center")
        figure.savefig(path)
        return
    figure.suptitle(f"Most confident mistakes ({count} shown)", fontsize=12)
    for slot, sample in enumerate(inputs):
        axes = figure.add_subplot(rows, columns, slot + 1)
        _draw_sample(axes, np.asarray(sample), kind, alphabet)
        axes.set_title(
            f"true {class_names[true[slot]]} → {class_names[predicted[slot]]}\n"
            f"{confidence[slot]:.0%} sure",
            fontsize=9,
            color="#B00020",
        )
    figure.tight_layout()
    figure.savefig(path)


def _draw_sample(axes, sample: np.ndarray, kind: str, alphabet: str | None) -> None:
    if np.issubdtype(sample.dtype, np.integer):  # tokens: as text, wrapped
        codes = sample.reshape(-1).tolist()
        text = "".join(alphabet[c] for c in codes) if alphabet else " ".join(map(str, codes))
        wrapped = "\n".join(text[i : i + 24] for i in range(0, min(len(text), 24 * 6), 24))
        axes.text(0.02, 0.95, wrapped, va="top", ha="left", family="monospace", fontsize=8,
                  transform=axes.transAxes)  # fmt: skip
        axes.set_xticks([])
        axes.set_yticks([])
        return
    squeezed = sample.squeeze()
    if kind == "image" and squeezed.ndim in (2, 3):
        picture = np.moveaxis(sample, 0, -1) if squeezed.ndim == 3 else squeezed
        low, high = float(picture.min()), float(picture.max())
        picture = (picture - low) / (high - low) if high > low else np.zeros_like(picture)
        axes.imshow(picture, cmap="gray" if picture.ndim == 2 else None, interpolation="nearest")
        axes.set_xticks([])
        axes.set_yticks([])
        return
    series = np.atleast_1d(squeezed)
    if series.ndim == 2 and series.shape[0] < series.shape[1]:
        series = series.T  # channels first: one curve per channel
    axes.plot(series, linewidth=1)
    axes.tick_params(labelsize=7)
