"""Draws whatever a plugin's snapshot holds: points, image grids, matrices, curves.

Snapshots are plain JSON (see ``Plugin.snapshot``). Known shapes: ``{"type": "points",
"points": [[x, y]...], "modes": [[x, y]...]}``, ``{"type": "images", "shape": [C, H, W],
"images": [flat...]}``; anything else is drawn by the shape of its numeric arrays (N x 2
points, a 2-D matrix as a heat map, a stack of matrices as an image grid, a vector as a curve).
Items are reused between snapshots of the same layout, so a live view only swaps data.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.dashboards._plots import color, fast_plot


def tile_images(images: np.ndarray) -> np.ndarray:
    """(N, H, W) or (N, H, W, 3) -> one grid image, about square."""
    count = len(images)
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    height, width = images.shape[1:3]
    grid = np.zeros((rows * (height + 1), columns * (width + 1), *images.shape[3:]))
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        top, left = row * (height + 1), column * (width + 1)
        grid[top : top + height, left : left + width] = image
    return grid


def _as_images(array: np.ndarray, shape: list[int] | None = None) -> np.ndarray:
    if shape:
        array = array.reshape(len(array), *shape)
    if array.ndim == 4 and array.shape[1] in (1, 3) and array.shape[-1] not in (1, 3):
        array = np.moveaxis(array, 1, -1)  # channels first -> last
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    return array


def panels(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str, Any]]:
    """(title, kind, payload) for each drawable part of a snapshot."""
    found: list[tuple[str, str, Any]] = []
    kind = data.get("type")
    if kind == "points" and "points" in data:
        modes = data.get("modes")
        payload = (np.asarray(data["points"], float), np.asarray(modes, float) if modes else None)
        return [(prefix or "samples", "points", payload)]
    if kind == "images" and "images" in data:
        images = _as_images(np.asarray(data["images"], float), data.get("shape"))
        return [(prefix or "samples", "image", tile_images(images))]
    for key, value in data.items():
        title = f"{prefix}/{key}" if prefix else str(key)
        if isinstance(value, dict):
            found += panels(value, title)
            continue
        if not isinstance(value, list) or not value:
            continue
        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            continue
        if array.ndim == 1:
            found.append((title, "curve", array))
        elif array.ndim == 2 and array.shape[1] == 2 and array.shape[0] > 2:
            found.append((title, "points", (array, None)))
        elif array.ndim == 2:
            found.append((title, "matrix", array))
        elif array.ndim in (3, 4):
            # A stack of matrices (attention heads...) is a grid of heat maps.
            found.append((title, "matrix", tile_images(_as_images(array))))
    return found


def texts(data: dict[str, Any], prefix: str = "") -> list[str]:
    """The snapshot's words: strings, and lists of strings (tokens), as ``key: text`` lines."""
    lines = []
    for key, value in data.items():
        title = f"{prefix}/{key}" if prefix else str(key)
        if key == "type":
            continue
        if isinstance(value, str):
            lines.append(f"{title}: {value}")
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            lines.append(f"{title}: {' '.join(value)}")
        elif isinstance(value, dict):
            lines += texts(value, title)
    return lines


class SnapshotView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel(
            "No snapshot yet: plugins that draw samples or attention show them here."
        )
        self.caption.setWordWrap(True)
        self.graphics = pg.GraphicsLayoutWidget()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.graphics, 1)
        self._layout_key: tuple | None = None
        self._items: list[Any] = []

    def show_snapshot(self, step: int, data: dict[str, Any], label: str = "") -> None:
        parts = panels(data)
        words = "\n".join(texts(data))
        heading = f"{label} snapshot at step {step}" if parts or words else "Empty snapshot"
        self.caption.setText(f"{heading}\n{words}" if words else heading)
        key = tuple((title, kind) for title, kind, _ in parts)
        if key != self._layout_key:
            self._build(parts)
            self._layout_key = key
        for item, (_title, kind, payload) in zip(self._items, parts, strict=True):
            self._update(item, kind, payload)

    def clear(self) -> None:
        self.graphics.clear()
        self._items = []
        self._layout_key = None

    def _build(self, parts: list[tuple[str, str, Any]]) -> None:
        self.graphics.clear()
        self._items = []
        columns = 2 if len(parts) > 1 else 1
        for index, (title, kind, _payload) in enumerate(parts):
            plot = fast_plot(
                self.graphics.addPlot(row=index // columns, col=index % columns), title
            )
            if kind == "points":
                modes = pg.ScatterPlotItem(size=9, brush=None, pen=pg.mkPen("#D55E00", width=2))
                samples = pg.ScatterPlotItem(size=4, pen=None, brush=pg.mkBrush(color(0) + "a0"))
                plot.addItem(modes)
                plot.addItem(samples)
                plot.setAspectLocked(True)
                self._items.append((samples, modes))
            elif kind == "curve":
                self._items.append(plot.plot(pen=color(0)))
            else:
                image = pg.ImageItem(axisOrder="row-major")
                if kind == "matrix":
                    image.setColorMap(pg.colormap.get("viridis"))
                    plot.invertY(True)
                else:
                    image.setColorMap(pg.colormap.get("CET-L1"))
                    plot.invertY(True)
                    plot.hideAxis("left")
                    plot.hideAxis("bottom")
                plot.addItem(image)
                plot.setAspectLocked(True)
                self._items.append(image)

    @staticmethod
    def _update(item: Any, kind: str, payload: Any) -> None:
        if kind == "points":
            samples, modes = item
            points, mode_points = payload
            samples.setData(pos=points[:, :2])
            modes.setData(pos=mode_points[:, :2] if mode_points is not None else [])
        elif kind == "curve":
            item.setData(np.arange(len(payload)), payload)
        else:
            item.setImage(payload, autoLevels=True)
