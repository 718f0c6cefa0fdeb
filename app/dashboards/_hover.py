"""Hover tooltips on plots, as Optuna Dashboard and the MLflow UI have: the point nearest the
pointer (within a few pixels) is ringed and described (a trial's number, params and value; a
run's name, step and value).

``HoverTips(plot)`` watches the pointer over ``plot``; ``add(item, describe)`` makes an item's
points hoverable, ``describe(index)`` giving the text of its point ``index``. Items are
curves or scatters (``PlotDataItem``, ``ScatterPlotItem``); ``lines=True`` measures the
distance to the line between points too (parallel coordinates, whose lines are the trials).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRect
from PySide6.QtWidgets import QToolTip

HOVER_PIXELS = 10  # how near the pointer a point must be to be described


def _shown_data(item) -> tuple[np.ndarray, np.ndarray]:
    """The item's points where they are drawn (in the view box's coordinates: log10 on a log
    axis), index for index with the data it was given."""
    if isinstance(item, pg.ScatterPlotItem):
        return np.asarray(item.data["x"], float), np.asarray(item.data["y"], float)
    x, y = item.xData, item.yData
    if x is None or y is None:
        return np.empty(0), np.empty(0)
    x, y = np.asarray(x, float), np.asarray(y, float)
    log_x, log_y = item.opts.get("logMode", (False, False))
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.log10(x) if log_x else x), (np.log10(y) if log_y else y)


def _segment_distances(x: np.ndarray, y: np.ndarray, px: float, py: float) -> np.ndarray:
    """Distance from (px, py) to each segment between consecutive points (in pixels, the
    coordinates already scaled to pixels); the last point's entry is its own distance."""
    ax, ay, bx, by = x[:-1], y[:-1], x[1:], y[1:]
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.clip(np.where(length > 0, ((px - ax) * dx + (py - ay) * dy) / length, 0.0), 0, 1)
    segments = np.hypot(ax + t * dx - px, ay + t * dy - py)
    return np.append(segments, np.hypot(x[-1] - px, y[-1] - py))


class HoverTips:
    """The tooltip of one plot (see the module docstring)."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.targets: list[tuple[object, Callable[[int], str], bool]] = []
        self.text = ""  # what the tooltip says now; empty when no point is near
        self.marker = pg.ScatterPlotItem(
            size=12, brush=None, pen=pg.mkPen(pg.getConfigOption("foreground"), width=2)
        )
        self.marker.setZValue(1000)
        self.marker.hide()
        plot.vb.addItem(self.marker, ignoreBounds=True)
        self._scene = None
        # The plot may not be in a scene yet (a live plot is laid out once it has a curve):
        # connect when it is, which the view box's first resize tells.
        plot.vb.sigResized.connect(self._connect)
        self._connect()

    def add(self, item, describe: Callable[[int], str], lines: bool = False) -> None:
        self.targets.append((item, describe, lines))
        self._connect()

    def remove(self, item) -> None:
        self.targets = [target for target in self.targets if target[0] is not item]

    def clear(self) -> None:
        self.targets = []
        self._show(None, "")

    def _connect(self, *_args) -> None:
        scene = self.plot.scene()
        if scene is not None and scene is not self._scene:
            if self._scene is not None:
                self._scene.sigMouseMoved.disconnect(self.hover)
            scene.sigMouseMoved.connect(self.hover)
            self._scene = scene

    def nearest(self, scene_pos: QPointF) -> tuple[str, QPointF] | None:
        """The text of the point nearest ``scene_pos`` and where it is drawn, or None when
        none is within ``HOVER_PIXELS`` (or the position is off the view box)."""
        view_box = self.plot.vb
        if not view_box.sceneBoundingRect().contains(scene_pos):
            return None
        pointer = view_box.mapSceneToView(scene_pos)
        pixel_width, pixel_height = view_box.viewPixelSize()
        if not (pixel_width > 0 and pixel_height > 0):
            return None
        px, py = pointer.x() / pixel_width, pointer.y() / pixel_height
        best: tuple[float, str, QPointF] | None = None
        for item, describe, lines in self.targets:
            if not item.isVisible():
                continue
            x, y = _shown_data(item)
            if not len(x):
                continue
            sx, sy = x / pixel_width, y / pixel_height
            if lines and len(x) > 1:
                distances = _segment_distances(sx, sy, px, py)
            else:
                distances = np.hypot(sx - px, sy - py)
            distances = np.where(np.isfinite(distances), distances, np.inf)
            index = int(np.argmin(distances))
            distance = float(distances[index])
            if distance <= HOVER_PIXELS and (best is None or distance < best[0]):
                point = pointer if lines else QPointF(float(x[index]), float(y[index]))
                best = (distance, describe(index), point)
        return None if best is None else (best[1], best[2])

    def hover(self, scene_pos: QPointF) -> None:
        found = self.nearest(scene_pos)
        if found is None:
            self._show(None, "")
        else:
            self._show(scene_pos, *found)

    def _show(self, scene_pos: QPointF | None, text: str, point: QPointF | None = None) -> None:
        if not text:
            if self.text:
                self.marker.hide()
                QToolTip.hideText()
            self.text = ""
            return
        self.marker.setData([point.x()], [point.y()])
        self.marker.show()
        self.text = text
        views = self.plot.scene().views() if self.plot.scene() is not None else []
        if views:
            view = views[0]
            where = view.mapFromScene(scene_pos)
            # The rectangle keeps the tip while the pointer stays near the point.
            near = QRect(where.x() - HOVER_PIXELS, where.y() - HOVER_PIXELS,
                         2 * HOVER_PIXELS, 2 * HOVER_PIXELS)  # fmt: skip
            QToolTip.showText(view.mapToGlobal(where), text, view, near)
