"""Parallel coordinates as Optuna Dashboard draws them: an axis per hyperparameter and one for
the objective, each in its own units (a log-scale parameter on a log axis, a categorical one
labelled by its choices), a line per trial coloured by its objective, and a colour bar that
says which colour is which value.

The lines are drawn on one plot with every axis spanning 0..1; each axis's ticks are drawn
beside it as text in the parameter's units (``param_axis``). Hovering a line names its trial.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app.dashboards._hover import HoverTips
from app.dashboards._plots import fast_plot
from app.dashboards._search_space import ParamScale
from app.dashboards._sweep_math import ParamAxis, param_axis, trial_tip
from app.jobs import TrialJob

COLORMAP = "viridis"
TICK_LENGTH = 0.04  # of the distance between two axes


class ParallelCoordinates:
    """``widget`` (the tab's page) holds ``plot`` and ``colorbar``; ``draw`` redraws them."""

    def __init__(self) -> None:
        self.widget = pg.GraphicsLayoutWidget()
        self.plot = fast_plot(self.widget.addPlot(row=0, col=0), "parallel coordinates")
        self.plot.hideAxis("left")  # each axis has its own ticks, drawn beside it
        self.plot.showGrid(x=False, y=False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.colormap = pg.colormap.get(COLORMAP)
        self.colorbar = pg.ColorBarItem(values=(0, 1), colorMap=self.colormap, width=14,
                                        interactive=False, label="objective")  # fmt: skip
        self.widget.addItem(self.colorbar, row=0, col=1)
        self.lines: list[pg.PlotDataItem] = []
        self.axes: dict[str, ParamAxis] = {}  # by name, as last drawn (the objective's too)
        self._scaffold: list[pg.GraphicsObject] = []  # axis lines, ticks and their labels
        self.hover = HoverTips(self.plot)

    def draw(self, trials: list[TrialJob], params: list[str], scales: dict[str, ParamScale],
             metric: str) -> None:  # fmt: skip
        if not trials:
            return
        self.axes = {}
        for name in params:
            scale = scales.get(name)
            values = [trial.params.get(name, np.nan) for trial in trials]
            self.axes[name] = param_axis(values, scale.log if scale else None,
                                         scale.choices if scale else None)  # fmt: skip
        objective = np.asarray([trial.values[0] for trial in trials], float)
        self.axes[metric] = param_axis(objective, log=False)
        matrix = np.vstack([axis.positions for axis in self.axes.values()]).T  # trials x axes
        self._draw_lines(trials, matrix, objective, metric)
        self._draw_axes(list(self.axes))
        low, high = float(np.nanmin(objective)), float(np.nanmax(objective))
        self.colorbar.setLevels((low, high) if high > low else (low - 0.5, low + 0.5))
        self.colorbar.getAxis("left").setLabel(metric)

    def _draw_lines(self, trials: list[TrialJob], matrix: np.ndarray, objective: np.ndarray,
                    metric: str) -> None:  # fmt: skip
        while len(self.lines) < len(trials):
            self.lines.append(self.plot.plot())
        for line in self.lines[len(trials) :]:
            line.setData([], [])
        self.hover.clear()
        low, high = float(np.nanmin(objective)), float(np.nanmax(objective))
        xs = np.arange(matrix.shape[1], dtype=float)
        for line, trial, row, value in zip(self.lines, trials, matrix, objective, strict=False):
            where = (value - low) / (high - low) if high > low else 0.5
            pen = pg.mkPen(self.colormap.map(float(where), mode="qcolor"), width=1.5)
            line.setData(xs, row, pen=pen, connect="finite")
            tip = trial_tip(trial.trial_number, {metric: value}, trial.params)
            self.hover.add(line, lambda _index, tip=tip: tip, lines=True)

    def _draw_axes(self, names: list[str]) -> None:
        """An upright line per axis, with its ticks and their labels in its own units."""
        for item in self._scaffold:
            self.plot.removeItem(item)
        self._scaffold = []
        foreground = pg.getConfigOption("foreground")
        for index, name in enumerate(names):
            axis_line = pg.PlotDataItem([index, index], [0, 1], pen=pg.mkPen(foreground))
            axis_line.setZValue(-1)
            self._add(axis_line)
            for position, text in self.axes[name].ticks:
                tick = pg.PlotDataItem([index - TICK_LENGTH, index], [position, position],
                                       pen=pg.mkPen(foreground))  # fmt: skip
                label = pg.TextItem(text, color=foreground, anchor=(1.0, 0.5))
                label.setPos(index - TICK_LENGTH, position)
                self._add(tick)
                self._add(label)
        self.plot.getAxis("bottom").setTicks([list(enumerate(names))])
        self.plot.setXRange(-0.45, len(names) - 0.85, padding=0)  # room for the tick labels
        self.plot.setYRange(0, 1, padding=0.04)

    def _add(self, item) -> None:
        self.plot.addItem(item)
        self._scaffold.append(item)

    def tick_labels(self, name: str) -> list[str]:
        """The labels beside axis ``name``, as drawn."""
        return [text for _position, text in self.axes[name].ticks]
