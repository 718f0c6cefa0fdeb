"""Draws whatever a plugin's snapshot holds: points, image grids, matrices, curves.

Snapshots are plain JSON (see ``Plugin.snapshot``). Known shapes: ``{"type": "points",
"points": [[x, y]...], "modes": [[x, y]...]}``, ``{"type": "images", "shape": [C, H, W],
"images": [flat...]}``; anything else is drawn by the shape of its numeric arrays (N x 2
points, a 2-D matrix as a heat map, a stack of matrices as an image grid, a vector as a curve).
Items are reused between snapshots of the same layout, so a live view only swaps data.
Images and matrices are drawn by ``ZoomImage``, enlarged to a readable size with sharp pixels,
to be zoomed and panned (a 16-sample grid of 8 x 8 digits was 180 pixels across).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from app.dashboards._plots import color, fast_plot
from app.dashboards._zoom_image import ZoomImage

# Samples in grey (black to white), matrices (attention weights) as heat maps.
IMAGE_COLORMAPS = {"image": "CET-L1", "matrix": "viridis"}

NO_SNAPSHOT = "Plugins that draw samples or attention show them here."


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
        if not isinstance(value, list) or not value or isinstance(value[0], str):
            continue  # words (tokens "0" "2" "1") are text, not a curve of their digits
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
    """The panels of the latest snapshot, two a row: points and curves as plots, images and
    matrices (sample grids, attention maps) as zoomable images (``ZoomImage``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel(f"No snapshot yet. {NO_SNAPSHOT}")
        self.caption.setWordWrap(True)
        self.panels = QWidget()
        self.grid = QGridLayout(self.panels)
        self.grid.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.caption)
        layout.addWidget(self.panels, 1)
        self._layout_key: tuple | None = None
        self._widgets: list[QWidget] = []
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

    def show_none(self, label: str = "") -> None:
        """No snapshot for run ``label`` (yet): its caption says so, and no run's panels stay
        in sight (the caption of the run shown before stayed, under another run selected)."""
        self.clear()
        heading = f"{label}: no snapshot yet." if label else "No snapshot yet."
        self.caption.setText(f"{heading} {NO_SNAPSHOT}")

    def clear(self) -> None:
        for widget in self._widgets:
            self.grid.removeWidget(widget)
            widget.hide()  # gone now, deleted once the event loop gets there
            widget.deleteLater()
        self._widgets = []
        self._items = []
        self._layout_key = None

    def _build(self, parts: list[tuple[str, str, Any]]) -> None:
        self.clear()
        columns = 2 if len(parts) > 1 else 1
        for index, (title, kind, _payload) in enumerate(parts):
            if kind in ("image", "matrix"):
                widget = ZoomImage(title=title)
                widget.setObjectName("snapshotImage")
                item = (widget, IMAGE_COLORMAPS[kind])
            else:
                widget = pg.PlotWidget()
                plot = fast_plot(widget.getPlotItem(), title)
                if kind == "points":
                    modes = pg.ScatterPlotItem(size=9, brush=None,
                                               pen=pg.mkPen("#D55E00", width=2))  # fmt: skip
                    samples = pg.ScatterPlotItem(size=4, pen=None,
                                                 brush=pg.mkBrush(color(0) + "a0"))  # fmt: skip
                    plot.addItem(modes)
                    plot.addItem(samples)
                    plot.setAspectLocked(True)
                    item = (samples, modes)
                else:
                    item = plot.plot(pen=color(0))
            self.grid.addWidget(widget, index // columns, index % columns)
            self._widgets.append(widget)
            self._items.append(item)

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
            view, colormap = item
            view.set_array(payload, colormap)
