"""Slice plots: the objective against each hyperparameter, one plot each, as Optuna's
``plot_slice``; a log-scale parameter on a log x axis (ticks in its own values), a categorical
one by its choices; a colour per trial (the same as on the other sweep plots) and a tooltip
naming the trial, its params and value."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app.dashboards._hover import HoverTips
from app.dashboards._plots import fast_plot, trial_color
from app.dashboards._search_space import ParamScale
from app.dashboards._sweep_math import param_axis, trial_tip
from app.jobs import TrialJob

COLUMNS = 3
POINT_SIZE = 8


class SlicePlots:
    """``widget`` (the tab's page) holds a plot per hyperparameter, made on first use."""

    def __init__(self) -> None:
        self.widget = pg.GraphicsLayoutWidget()
        self.plots: dict[str, pg.PlotItem] = {}
        self.points: dict[str, pg.PlotDataItem] = {}
        self.hovers: dict[str, HoverTips] = {}
        self.tips: list[str] = []  # each trial's tooltip, in the order its points are drawn

    def draw(self, trials: list[TrialJob], params: list[str], scales: dict[str, ParamScale],
             metric: str) -> None:  # fmt: skip
        if not trials:
            return
        values = np.asarray([trial.values[0] for trial in trials], float)
        brushes = [pg.mkBrush(trial_color(trial.trial_number)) for trial in trials]
        self.tips = [trial_tip(trial.trial_number, {metric: value}, trial.params)
                     for trial, value in zip(trials, values, strict=True)]  # fmt: skip
        for name in params:
            scale = scales.get(name)
            raw = [trial.params.get(name, np.nan) for trial in trials]
            axis = param_axis(raw, scale.log if scale else None, scale.choices if scale else None)
            plot, points = self._plot(name)
            plot.setLogMode(x=axis.log)
            if axis.labels is not None:  # the choices at 0, 1, 2...
                x = np.rint(axis.positions * max(len(axis.labels) - 1, 1))
                plot.getAxis("bottom").setTicks([list(enumerate(axis.labels))])
                plot.setXRange(-0.5, len(axis.labels) - 0.5)  # every choice, tried or not
            else:
                x = np.asarray(raw, float)
                plot.getAxis("bottom").setTicks(None)
                plot.enableAutoRange(x=True)
            points.setData(x, values, symbolBrush=brushes)
            plot.setLabel("left", metric)

    def _plot(self, name: str) -> tuple[pg.PlotItem, pg.PlotDataItem]:
        plot = self.plots.get(name)
        if plot is None:
            index = len(self.plots)
            plot = fast_plot(self.widget.addPlot(row=index // COLUMNS, col=index % COLUMNS))
            plot.setLabel("bottom", name)
            points = plot.plot(pen=None, symbol="o", symbolSize=POINT_SIZE, symbolPen=None)
            hover = HoverTips(plot)
            hover.add(points, lambda index: self.tips[index])
            self.plots[name], self.points[name], self.hovers[name] = plot, points, hover
        return plot, self.points[name]
