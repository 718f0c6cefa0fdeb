"""End-of-run artifacts and live snapshots of generated samples.

Snapshot data (JSON, drawn live by the app) has a ``type``:

- ``points``: ``{"type": "points", "points": [[x, y], ...], "modes": [[x, y], ...] | null}``
- ``images``: ``{"type": "images", "shape": [channels, height, width], "images": [[...], ...]}``
  with each image flattened row-major, values in [0, 1].
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np

SNAPSHOT_POINTS = 512
SNAPSHOT_IMAGES = 16
GRID_IMAGES = 100


def points_snapshot(samples: np.ndarray, modes: list | None) -> dict[str, Any]:
    return {"type": "points", "points": np.round(samples, 4).tolist(), "modes": modes}


def images_snapshot(images: np.ndarray) -> dict[str, Any]:
    return {
        "type": "images",
        "shape": list(images.shape[1:]),
        "images": np.round(images.reshape(len(images), -1), 3).tolist(),
    }


def write_samples_csv(samples: np.ndarray, path: Path) -> None:
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["x", "y"])
        writer.writerows((f"{x:.6g}", f"{y:.6g}") for x, y in samples[:, :2])


def _figure(size: tuple[float, float]):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    return Figure(figsize=size, dpi=100)


def scatter_png(samples: np.ndarray, modes: np.ndarray | None, title: str, path: Path) -> None:
    """The samples in black over the true modes (red crosses), equal axes."""
    figure = _figure((5.5, 5.5))
    axes = figure.add_subplot()
    axes.scatter(samples[:, 0], samples[:, 1], s=2, c="black", alpha=0.4, label="generated")
    if modes is not None:
        axes.scatter(modes[:, 0], modes[:, 1], s=60, c="red", marker="x", label="true modes")
    axes.set_aspect("equal")
    axes.legend(loc="upper right", fontsize=8)
    axes.set_title(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path)


def image_grid_png(images: np.ndarray, title: str, path: Path) -> None:
    """Images (n x channels x h x w, values in [0, 1]) tiled in a square grid."""
    count, channels, height, width = images.shape
    side = math.ceil(math.sqrt(count))
    grid = np.ones((side * (height + 1) + 1, side * (width + 1) + 1, channels))
    for index, image in enumerate(images):
        row, col = divmod(index, side)
        top, left = 1 + row * (height + 1), 1 + col * (width + 1)
        grid[top : top + height, left : left + width] = image.transpose(1, 2, 0)
    figure = _figure((6, 6.4))
    axes = figure.add_subplot()
    # Sharp pixels: smoothing a grid of 8 x 8 samples blurs each into its neighbours.
    if channels == 1:
        axes.imshow(grid[:, :, 0], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    else:
        axes.imshow(np.clip(grid, 0, 1), interpolation="nearest")
    axes.set_axis_off()
    axes.set_title(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path)
