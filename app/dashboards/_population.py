"""The Population tab of a population-based sweep: the hyperparameter schedule that trained
the best member (a step plot per searched hyperparameter, over training steps) and the
population's lineage (one line per member, an arrow from the source to the copier at each
exploit, the best member's ancestry in orange). Plain data in (``Population``, read off the
study in the background); its items are made once per draw of a sweep, not per frame."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app._tasks import run_in_background
from app.dashboards._plots import IntegerAxis, fast_plot, trial_color

BEST_PEN = "#D55E00"
REFRESH_SECONDS = 2.0  # a running population is read again at most this often


def is_population(sweep) -> bool:
    return str((sweep.spec or {}).get("algorithm") or "").lower() == "pbt"


def _read(storage: str, name: str):
    from engine.sweeps import read_population

    return read_population(storage, name)


class PopulationPage(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.note = QLabel("The population appears here once its first members have trained.")
        self.note.setObjectName("populationNote")
        self.schedule = pg.PlotWidget()
        self.schedule_plot = fast_plot(self.schedule.getPlotItem(), "best member's schedule")
        self.schedule_plot.setLabel("bottom", "step")
        self.schedule_plot.addLegend(offset=(-10, 10))
        self.lineage = pg.PlotWidget()
        self.lineage_plot = fast_plot(self.lineage.getPlotItem(), "lineage: who copied whom")
        self.lineage_plot.setAxisItems({"left": IntegerAxis("left")})
        self.lineage_plot.setLabel("bottom", "step")
        self.lineage_plot.setLabel("left", "member")
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.schedule, 1)
        layout.addWidget(self.lineage, 1)
        self.population: Any = None
        self.sweep = None
        self._loading = False
        self._next_read = 0.0

    # -- following a sweep ----------------------------------------------------------------------
    def follow(self, sweep) -> None:
        """Show ``sweep``'s population (read now, then as ``refresh`` asks)."""
        self.sweep = sweep
        self.show_population(None)
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        """Read the population again off the study, in the background (at most every
        ``REFRESH_SECONDS`` unless ``force``)."""
        sweep = self.sweep
        if sweep is None or not sweep.storage or not is_population(sweep) or self._loading:
            return
        now = time.monotonic()
        if not force and now < self._next_read:
            return
        self._next_read, self._loading = now + REFRESH_SECONDS, True
        storage, name = sweep.storage, sweep.name

        def done(population) -> None:
            self._loading = False
            if sweep is self.sweep:
                self.show_population(population)

        def failed(message: str, _details: str) -> None:
            self._loading = False
            self.note.setText(f"Cannot read the population: {message}")

        run_in_background(lambda: _read(storage, name), done, failed, queue="optuna", owner=self)

    def show_population(self, population) -> None:
        """Draw ``population`` (``engine.sweeps._pbt_history.Population``, or None)."""
        self.population = population
        self.schedule_plot.clear()
        self.lineage_plot.clear()
        if population is None or not population.members:
            self.note.setText("Not a population-based sweep, or no member has trained yet.")
            return
        best = population.best()
        exploits = population.exploits()
        self.note.setText(
            f"{len(population.members)} members, an exploit every {population.interval} steps; "
            f"{len(exploits)} exploits so far"
            + (f"; best member: {best}" if best is not None else "")
        )
        if best is not None:
            self._draw_schedule(population, best)
        self._draw_lineage(population, best)

    def _draw_schedule(self, population, best: int) -> None:
        points = population.schedule(best)
        end = max(population.last_step(), points[-1][0] + 1)
        names = [n for n, v in points[0][1].items() if isinstance(v, int | float)]
        numbers = [n for n in names if not isinstance(points[0][1][n], bool)]
        logged = len(numbers) == 1 and all(p[1][numbers[0]] > 0 for p in points)
        self.schedule_plot.setLogMode(y=logged)  # one learning rate reads best on a log scale
        for order, name in enumerate(numbers):
            steps = [step for step, _ in points] + [end]
            values = [float(params[name]) for _, params in points]
            curve = pg.PlotDataItem(np.asarray(steps, float), np.asarray(values, float),
                                    stepMode="center", pen=pg.mkPen(trial_color(order), width=2),
                                    name=name)  # fmt: skip
            self.schedule_plot.addItem(curve)

    def _best_line(self, member: int, start: float, stop: float) -> None:
        pen = pg.mkPen(BEST_PEN, width=2)
        self.lineage_plot.addItem(pg.PlotDataItem([start, stop], [member, member], pen=pen))

    def _draw_lineage(self, population, best: int | None) -> None:
        end = population.last_step()
        for member in population.members:
            index = member["index"]
            grey = pg.mkPen("#777777", width=1)
            self.lineage_plot.addItem(pg.PlotDataItem([0, end], [index, index], pen=grey))
        path = population.ancestry(best) if best is not None else []
        ancestry = set(path)
        reach = population.interval * 0.4  # an arrow leans forward a little: readable
        if best is not None:  # the best weights' own path: along a line until its copy
            line, since = (path[0][1] if path else best), 0.0
            for step, _source, copier in path:
                self._best_line(line, since, step)
                line, since = copier, step + reach
            self._best_line(line, since, end)
        for exploit in population.exploits():
            step, source, copier = exploit
            on_line = exploit in ancestry
            pen = pg.mkPen(BEST_PEN if on_line else "#0072B2", width=2 if on_line else 1)
            self.lineage_plot.addItem(
                pg.PlotDataItem(
                    [step, step + reach],
                    [source, copier],
                    pen=pen,
                    symbol="o",
                    symbolSize=5,
                    symbolBrush=pen.color(),
                )  # fmt: skip
            )
