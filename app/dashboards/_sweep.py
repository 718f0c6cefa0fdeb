"""The sweep dashboard: trial table, optimisation history with best-so-far, intermediate
values (pruned trials visible), parallel coordinates, slices, importance, Pareto front.

Trial events only mark the dashboard dirty; a 10 Hz timer redraws what changed, updating
persistent plot items with ``setData`` (one intermediate curve per trial, kept for good).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSortFilterProxyModel, Qt, QTimer
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.dashboards._hover import HoverTips
from app.dashboards._importance import ImportancePage
from app.dashboards._legend import outside_legend
from app.dashboards._parallel import ParallelCoordinates
from app.dashboards._plot_export import SweepExport
from app.dashboards._plots import IntegerAxis, fast_plot, mark_lone_point, trial_color
from app.dashboards._population import PopulationPage, is_population
from app.dashboards._search_space import ParamScale, search_scales
from app.dashboards._slices import SlicePlots
from app.dashboards._sweep_math import best_so_far, pareto_mask, trial_tip
from app.dashboards._trial_curves import TrialCurves
from app.jobs import SweepJob, TrialJob
from engine.states import State

FRAME_MS = 100
STATE_COLORS = {State.FINISHED: "#009E73", State.PRUNED: "#D55E00", State.STOPPED: "#CC79A7",
                State.FAILED: "#999999", State.RUNNING: "#0072B2"}  # fmt: skip
# On the intermediate values each trial has its colour; its state is the line's style.
STATE_LINES = {State.PRUNED: Qt.PenStyle.DashLine, State.STOPPED: Qt.PenStyle.DotLine,
               State.FAILED: Qt.PenStyle.DotLine}  # fmt: skip
NUMBER_ROLE = Qt.ItemDataRole.UserRole + 1


class _SortItem(QStandardItem):
    def __init__(self, text: str, sort_value) -> None:
        super().__init__(text)
        self.setData(sort_value, NUMBER_ROLE)
        self.setEditable(False)


class TrialTable(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = QStandardItemModel()
        self.proxy = QSortFilterProxyModel()
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(NUMBER_ROLE)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.filter = QLineEdit()
        self.filter.setObjectName("trialFilter")
        self.filter.setPlaceholderText("filter trials (state, value, params…)")
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.view = QTableView()
        self.view.setObjectName("trialTable")
        self.view.setModel(self.proxy)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.view.setAlternatingRowColors(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter)
        layout.addWidget(self.view, 1)
        self.rows: dict[int, int] = {}
        self.columns: list[str] = []

    def set_columns(self, metrics: list[str], params: list[str]) -> bool:
        """Set the columns; True when they changed (every row must then be filled again)."""
        columns = ["number", "state", *metrics, "duration (s)", *params]
        if columns == self.columns:
            return False
        self.columns = columns
        self.model.clear()
        self.rows = {}
        self.model.setHorizontalHeaderLabels(columns)
        return True

    def update_trial(self, trial: TrialJob, metrics: list[str]) -> None:
        cells = {
            "number": (str(trial.trial_number), trial.trial_number),
            "state": (trial.state.label, trial.state),
            "duration (s)": (f"{trial.elapsed():.1f}", trial.elapsed()),
        }
        for index, metric in enumerate(metrics):
            value = trial.values[index] if trial.values and index < len(trial.values) else None
            text = "" if value is None else f"{value:.4g}"
            if value is not None and index < len(trial.std_errors):  # a mean over seeds
                text += f" ± {trial.std_errors[index]:.2g}"
            cells[metric] = (text, value if value is not None else float("nan"))
        for name, value in trial.params.items():
            sort = (
                value
                if isinstance(value, int | float) and not isinstance(value, bool)
                else str(value)
            )
            cells[name] = (f"{value:.4g}" if isinstance(value, float) else str(value), sort)
        row = self.rows.get(trial.trial_number)
        if row is None:
            row = self.rows[trial.trial_number] = self.model.rowCount()
            self.model.appendRow([_SortItem("", 0) for _ in self.columns])
        for column, name in enumerate(self.columns):
            text, sort = cells.get(name, ("", ""))
            item = self.model.item(row, column)
            item.setText(text)
            item.setData(sort, NUMBER_ROLE)
            if name == "state":
                item.setForeground(pg.mkColor(STATE_COLORS.get(trial.state, "#999999")))

    def states(self) -> dict[int, str]:
        column = self.columns.index("state") if "state" in self.columns else 1
        return {number: self.model.item(row, column).text() for number, row in self.rows.items()}


class SweepDashboard(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sweeps: list[SweepJob] = []
        self.sweep: SweepJob | None = None
        self.dirty: set[int] = set()
        self.structure_dirty = True
        self.summary_dirty = True
        self.intermediate_curves: dict[int, pg.PlotDataItem] = {}
        # What each curve was last drawn with, so an unchanged trial costs nothing.
        self.intermediate_drawn: dict[int, tuple[str, int]] = {}
        self.complete_drawn: tuple[int, ...] | None = None
        self.scales: dict[str, ParamScale] = {}  # the shown sweep's, by searched hyperparameter
        self.history_tips: list[str] = []  # each point's tooltip on the history

        self.datasets_dir = None  # the workspace's, for a model the trial has not logged
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._build_top())
        layout.addWidget(self._build_tabs(), 1)
        self.timer = QTimer(self)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self.redraw)
        self.timer.start()

    def _build_top(self) -> QHBoxLayout:
        """The sweep chooser, its summary line and what to do with it."""
        self.selector = QComboBox()
        self.selector.setObjectName("sweepSelector")
        self.selector.currentIndexChanged.connect(self._select)
        self.summary = QLabel("Start a sweep from the Train tab; its trials appear here.")
        self.summary.setObjectName("sweepSummary")
        self.optuna_button = QPushButton("Open in Optuna Dashboard")
        self.optuna_button.setObjectName("openOptunaButton")
        self.optuna_button.setEnabled(False)
        self.register_button = QPushButton("Register best trial…")
        self.register_button.setObjectName("registerBestButton")
        self.register_button.setToolTip("Add the best trial's model to the model registry")
        self.register_button.setEnabled(False)
        self.register_button.clicked.connect(self.register_best)
        self.export_menu = SweepExport(self)  # the plot in sight as PNG/SVG, the trials' report
        top = QHBoxLayout()
        top.addWidget(QLabel("sweep"))
        top.addWidget(self.selector, 1)
        top.addWidget(self.summary, 2)
        for widget in (self.optuna_button, self.register_button, self.export_menu.button):
            top.addWidget(widget)
        return top

    def _build_tabs(self) -> QTabWidget:
        """The trial table and one tab per plot, each plot's items made once, for good."""
        self.table = TrialTable()
        self.history = pg.PlotWidget()
        self.history_plot = fast_plot(self.history.getPlotItem(), "optimisation history")
        self.history_plot.setAxisItems({"bottom": IntegerAxis("bottom")})
        self.history_plot.setLabel("bottom", "trial")
        outside_legend(self.history_plot, "below", columns=2)
        # Each point in its trial's colour; the legend's grey point stands for them all.
        self.history_points = pg.ScatterPlotItem(size=9, name="objective", brush="#999999")
        self.history_best = pg.PlotDataItem(pen=pg.mkPen("#D55E00", width=2), name="best so far")
        self.history_plot.addItem(self.history_points)
        self.history_plot.addItem(self.history_best)
        self.history_hover = HoverTips(self.history_plot)
        self.history_hover.add(self.history_points, lambda index: self.history_tips[index])
        self.intermediate = pg.PlotWidget()
        self.intermediate_plot = fast_plot(self.intermediate.getPlotItem(), "intermediate values")
        self.intermediate_plot.setLabel("bottom", "step")
        self.intermediate_hover = HoverTips(self.intermediate_plot)
        self.parallel_view = ParallelCoordinates()
        self.parallel, self.parallel_plot = self.parallel_view.widget, self.parallel_view.plot
        self.slice_view = SlicePlots()
        self.slices, self.slice_items = self.slice_view.widget, self.slice_view.points
        self.importance = ImportancePage()
        self.pareto = pg.PlotWidget()
        self.pareto_plot = fast_plot(self.pareto.getPlotItem(), "Pareto front")
        self.pareto_all = pg.ScatterPlotItem(size=6, brush=pg.mkBrush("#99999990"), pen=None)
        self.pareto_front = pg.ScatterPlotItem(size=9, brush=pg.mkBrush("#D55E00"), pen=None)
        self.pareto_plot.addItem(self.pareto_all)
        self.pareto_plot.addItem(self.pareto_front)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("sweepTabs")
        self.trial_curves = TrialCurves(self)  # the selected trials' curves below the table
        self.population = PopulationPage()  # a population-based sweep's schedule and lineage
        pages = {"Trials": self.trial_curves.page, "History": self.history,
                 "Intermediate values": self.intermediate, "Parallel coordinates": self.parallel,
                 "Slices": self.slices, "Importance": self.importance,
                 "Pareto front": self.pareto, "Population": self.population}  # fmt: skip
        for title, page in pages.items():
            self.tabs.addTab(page, title)
        self.tabs.setTabVisible(self.tabs.indexOf(self.population), False)
        return self.tabs

    # -- sweeps ----------------------------------------------------------------------------------
    def add_sweep(self, sweep: SweepJob) -> None:
        self.sweeps.append(sweep)
        sweep.child_added.connect(lambda trial, sweep=sweep: self._trial_added(sweep, trial))
        sweep.changed.connect(lambda sweep=sweep: self._sweep_changed(sweep))
        self.selector.addItem(sweep.title, len(self.sweeps) - 1)
        self.selector.setCurrentIndex(self.selector.count() - 1)

    def _select(self, index: int) -> None:
        if index < 0:
            return
        self.sweep = self.sweeps[self.selector.itemData(index)]
        for curve in self.intermediate_curves.values():
            self.intermediate_plot.removeItem(curve)
        self.intermediate_hover.clear()
        self.intermediate_curves = {}
        self.scales = search_scales(self.sweep.spec)
        self.intermediate_drawn = {}
        self.complete_drawn = None
        self.importance.show_sweep(self.sweep)
        self.tabs.setTabVisible(self.tabs.indexOf(self.population), is_population(self.sweep))
        self.population.follow(self.sweep)
        self.table.columns = []
        self._enable_register()
        self.structure_dirty = True
        self.dirty = set(self.sweep.trials)

    def _trial_added(self, sweep: SweepJob, trial: TrialJob) -> None:
        trial.changed.connect(lambda trial=trial, sweep=sweep: self._trial_changed(sweep, trial))
        self._trial_changed(sweep, trial)

    def _trial_changed(self, sweep: SweepJob, trial: TrialJob) -> None:
        if sweep is self.sweep:
            self.dirty.add(trial.trial_number)

    def _sweep_changed(self, sweep: SweepJob) -> None:
        index = self.sweeps.index(sweep)
        row = self.selector.findData(index)
        self.selector.setItemText(row, f"{sweep.title} — {sweep.state}")
        if sweep is self.sweep:
            self.summary_dirty = True
            self._enable_register()
            self.tabs.setTabVisible(self.tabs.indexOf(self.population), is_population(sweep))
            self.population.refresh(force=True)
            if not sweep.active and sweep.storage and len(self._complete()) >= 2:
                self.importance.compute()

    # -- drawing -----------------------------------------------------------------------------------
    def _complete(self) -> list[TrialJob]:
        if self.sweep is None:
            return []
        trials = sorted(self.sweep.trials.values(), key=lambda t: t.trial_number)
        return [t for t in trials if t.state == State.FINISHED and t.values]

    def redraw(self) -> None:
        """Draw what changed since the last frame: the trials marked dirty, the summary, and
        the plots over complete trials only when a trial completed (a sweep of hundreds of
        fast trials must not redraw them all at every progress event)."""
        sweep = self.sweep
        if sweep is None or not (self.dirty or self.structure_dirty or self.summary_dirty):
            return
        self.optuna_button.setEnabled(bool(sweep.storage))
        params = sorted({name for trial in sweep.trials.values() for name in trial.params})
        metrics = sweep.metrics or ["value"]
        if self.table.set_columns(metrics, params) or self.structure_dirty:
            self.dirty |= set(sweep.trials)
        if self.dirty and self.tabs.currentWidget() is self.population:
            self.population.refresh()  # members paused, copied or went on
        for number in sorted(self.dirty):
            trial = sweep.trials[number]
            self.table.update_trial(trial, metrics)
            self._draw_intermediate(trial)
        counts = Counter(trial.state for trial in sweep.trials.values())
        states = ", ".join(f"{counts[s]} {s}" for s in State if s in counts)
        self.summary.setText(f"sweep {sweep.state}; trials: {states or 'none yet'}")
        self.dirty.clear()
        self.structure_dirty = self.summary_dirty = False
        complete = self._complete()
        drawn = tuple(t.trial_number for t in complete)
        if drawn == self.complete_drawn:
            return
        self.complete_drawn = drawn
        self._draw_history(complete)
        self._draw_parallel(complete, params)
        self._draw_slices(complete, params)
        self._draw_pareto(complete)

    def _draw_intermediate(self, trial: TrialJob) -> None:
        curve = self.intermediate_curves.get(trial.trial_number)
        if curve is None:
            curve = self.intermediate_plot.plot(name=f"trial {trial.trial_number}")
            self.intermediate_curves[trial.trial_number] = curve
            self.intermediate_hover.add(
                curve, lambda index, trial=trial: self._step_tip(trial, index)
            )
        drawn = (trial.state, len(trial.intermediate))
        last = self.intermediate_drawn.get(trial.trial_number)
        if drawn == last:
            return
        self.intermediate_drawn[trial.trial_number] = drawn
        pruned = trial.state == State.PRUNED
        if last is None or last[0] != trial.state:
            trial_pen = trial_color(trial.trial_number)
            style = STATE_LINES.get(trial.state, Qt.PenStyle.SolidLine)
            curve.setPen(pg.mkPen(trial_pen, width=1.5, style=style))
            # A pruned trial's points are crosses: pruned at its first report, it has one.
            curve.setSymbol("x" if pruned else None)
            curve.setSymbolPen(pg.mkPen(trial_pen, width=2))
            curve.setSymbolBrush(None)
        if trial.intermediate and (last is None or last[1] != len(trial.intermediate)):
            steps, values = zip(*trial.intermediate, strict=True)
            curve.setData(np.asarray(steps, float), np.asarray(values, float))
        mark_lone_point(curve, len(trial.intermediate), "x" if pruned else None)

    def _metric(self) -> str:
        sweep = self.sweep
        return sweep.metrics[0] if sweep is not None and sweep.metrics else "value"

    def _step_tip(self, trial: TrialJob, index: int) -> str:
        step, value = trial.intermediate[index]
        values = {"step": step, self._metric(): value}
        return trial_tip(trial.trial_number, values, trial.params, trial.state.label)

    def _draw_history(self, complete: list[TrialJob]) -> None:
        if not complete or self.sweep is None:
            return
        numbers = np.asarray([t.trial_number for t in complete], float)
        values = np.asarray([t.values[0] for t in complete], float)
        maximize = bool(self.sweep.directions) and self.sweep.directions[0] == "maximize"
        metric = self._metric()
        self.history_tips = [trial_tip(t.trial_number, {metric: v}, t.params)
                             for t, v in zip(complete, values, strict=True)]  # fmt: skip
        brushes = [pg.mkBrush(trial_color(t.trial_number)) for t in complete]
        self.history_points.setData(numbers, values, brush=brushes)
        self.history_best.setData(numbers, best_so_far(values, maximize))
        self.history_plot.setLabel("left", metric)

    def _draw_parallel(self, complete: list[TrialJob], params: list[str]) -> None:
        if complete and params:
            self.parallel_view.draw(complete, params, self.scales, self._metric())

    def _draw_slices(self, complete: list[TrialJob], params: list[str]) -> None:
        self.slice_view.draw(complete, params, self.scales, self._metric())

    def _draw_pareto(self, complete: list[TrialJob]) -> None:
        sweep = self.sweep
        if sweep is None or len(sweep.metrics) < 2 or not complete:
            self.pareto_plot.setTitle("Pareto front (needs a sweep with two objectives)")
            return
        points = np.asarray([t.values[:2] for t in complete], float)
        mask = pareto_mask(points, sweep.directions[:2])
        self.pareto_all.setData(points[:, 0], points[:, 1])
        self.pareto_front.setData(points[mask, 0], points[mask, 1])
        self.pareto_plot.setTitle(f"Pareto front: {mask.sum()} of {len(points)} trials")
        self.pareto_plot.setLabel("bottom", sweep.metrics[0])
        self.pareto_plot.setLabel("left", sweep.metrics[1])

    # -- the best trial's model -------------------------------------------------------------------
    def _enable_register(self) -> None:
        sweep = self.sweep
        ready = sweep is not None and not sweep.active and bool(sweep.best_run_id())
        self.register_button.setEnabled(ready and bool(sweep.tracking_uri))

    def register_best(self) -> None:
        from app._model_actions import ask_model_name, model_task, register_run

        sweep = self.sweep
        run_id = sweep.best_run_id() if sweep is not None else None
        if run_id is None or not sweep.tracking_uri:
            return
        name = ask_model_name(self, f"the best trial of {sweep.name}", sweep.name)
        if name:
            uri, datasets = sweep.tracking_uri, self.datasets_dir
            self.summary.setText(f"Registering trial {sweep.best_number} as {name}…")
            self.register_button.setEnabled(False)
            model_task(self, lambda: register_run(uri, run_id, name, datasets),
                       self.summary.setText, self._enable_register)  # fmt: skip
