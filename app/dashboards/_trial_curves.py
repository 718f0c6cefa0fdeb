"""A sweep trial's curves in the sweep dashboard, below its trials table, as MATLAB's
Experiment Manager shows a trial's training plot beside its results: select a trial (or
several) in the table, or click a trial's point on the history plot, and the metric histories
of its MLflow run are drawn. Before, they were only reachable through the Runs browser.

The curves are ``RunCurves``, the Runs browser's comparison widget. The histories are read off
the GUI thread on the "mlflow" queue, the latest selection winning (``LatestTask``): a late
answer for a trial selected before never replaces the one asked for last. While a shown trial
runs, its curves are read again as it reports, at most every ``RELOAD_MS``.
"""

from __future__ import annotations

import contextlib
import dataclasses

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from app._tasks import LatestTask
from app.dashboards._run_curves import RunCurves
from app.jobs import TrialJob
from engine.tracking import fetch_runs_with_histories

RELOAD_MS = 2000
HINT = "Select a trial in the table, or click its point on the History tab, to see its curves."


class TrialCurves(QWidget):
    """The curves of the trials selected in ``dashboard``'s table; ``page`` is the Trials tab
    (the table above, the curves below), built from the dashboard's table."""

    def __init__(self, dashboard) -> None:
        super().__init__()
        self.dashboard = dashboard
        self.heading = QLabel(HINT)
        self.heading.setObjectName("trialCurvesHeading")
        self.heading.setWordWrap(True)
        self.curves = RunCurves("curves/trial", "")
        self.curves.setObjectName("trialCurves")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.curves, 1)
        self.page = QSplitter(Qt.Orientation.Vertical)
        self.page.setObjectName("trialsSplitter")
        self.page.addWidget(dashboard.table)
        self.page.addWidget(self)
        self.page.setSizes([300, 300])
        self.trials: list[TrialJob] = []
        self._loader = LatestTask(self, queue="mlflow")
        self._reload = QTimer(self)
        self._reload.setSingleShot(True)
        self._reload.setInterval(RELOAD_MS)
        self._reload.timeout.connect(self._load)
        view = dashboard.table.view
        view.setSelectionBehavior(view.SelectionBehavior.SelectRows)
        view.selectionModel().selectionChanged.connect(self._selection_changed)
        dashboard.selector.currentIndexChanged.connect(lambda _index: self.show_trials([]))
        dashboard.history_points.sigClicked.connect(self._point_clicked)

    # -- what is chosen ------------------------------------------------------------------------
    def selected_trials(self) -> list[TrialJob]:
        """The trials of the rows selected in the table, by trial number."""
        table, sweep = self.dashboard.table, self.dashboard.sweep
        if sweep is None:
            return []
        number_of_row = {row: number for number, row in table.rows.items()}
        rows = {table.proxy.mapToSource(index).row() for index in
                table.view.selectionModel().selectedRows()}  # fmt: skip
        numbers = sorted(number_of_row[row] for row in rows if row in number_of_row)
        return [sweep.trials[number] for number in numbers if number in sweep.trials]

    def select_trial(self, number: int) -> bool:
        """Select trial ``number``'s row alone (its curves follow); False if it has none."""
        table = self.dashboard.table
        row = table.rows.get(number)
        if row is None:
            return False
        index = table.proxy.mapFromSource(table.model.index(row, 0))
        if not index.isValid():
            return False  # hidden by the table's filter
        flags = QItemSelectionModel.SelectionFlag
        table.view.selectionModel().select(index, flags.ClearAndSelect | flags.Rows)
        table.view.scrollTo(index)
        return True

    def _selection_changed(self, *_args) -> None:
        trials = self.selected_trials()
        if trials:  # rows refilled (new columns) clear the selection: keep what is shown
            self.show_trials(trials)

    def _point_clicked(self, _item, points, *_args) -> None:
        """A point of the history plot: its trial, on the Trials tab, chosen by the user."""
        if len(points) and self.select_trial(round(points[0].pos().x())):
            self.dashboard.tabs.setCurrentWidget(self.page)

    # -- loading -----------------------------------------------------------------------------
    def show_trials(self, trials: list[TrialJob]) -> None:
        for trial in self.trials:
            with contextlib.suppress(RuntimeError):  # its job deleted meanwhile
                trial.changed.disconnect(self._trial_changed)
        self.trials = list(trials)
        for trial in self.trials:
            trial.changed.connect(self._trial_changed)
        self._reload.stop()
        self._load()

    def _trial_changed(self) -> None:
        if not self._reload.isActive():
            self._reload.start()

    def _load(self) -> None:
        trials, tracked = self.trials, [trial for trial in self.trials if trial.run_id]
        uri = trials[0].sweep.tracking_uri if trials else None
        if not tracked or not uri:
            self._loader.cancel()
            self.curves.set_data([], {})
            self.heading.setText(_untracked(trials) if trials else HINT)
            return
        run_ids = [trial.run_id for trial in tracked]
        names = {trial.run_id: f"trial {trial.trial_number}" for trial in tracked}
        if not self.curves.rows:
            self.heading.setText(f"Loading the curves of {_names(tracked)}…")
        self._loader.start(
            lambda: fetch_runs_with_histories(uri, run_ids),
            lambda found: self._show(found, names, tracked),
            lambda message, _details: self.heading.setText(
                f"Could not read the curves of {_names(tracked)}: {message.splitlines()[0]}"
            ),
        )

    def _show(self, found, names: dict[str, str], tracked: list[TrialJob]) -> None:
        records, histories = found
        # The legend names trials as the table does (its run's own name is the sweep's).
        records = [dataclasses.replace(r, name=names.get(r.run_id, r.name)) for r in records]
        self.curves.set_data(records, histories)
        running = [trial for trial in tracked if trial.state.active]
        state = f"; {_names(running)} running, read again as it reports" if running else ""
        whose = "its MLflow run" if len(tracked) == 1 else "their MLflow runs"
        self.heading.setText(f"{_names(tracked)}: the curves of {whose}{state}")


def _names(trials: list[TrialJob]) -> str:
    numbers = ", ".join(str(trial.trial_number) for trial in trials)
    return f"trial{'s' * (len(trials) > 1)} {numbers}"


def _untracked(trials: list[TrialJob]) -> str:
    if trials[0].sweep.tracking_uri is None:
        return f"{_names(trials)}: this sweep logs no MLflow runs, so no curves can be shown."
    return f"{_names(trials)}: no MLflow run yet (the curves show once the trial has started)."
