"""Summary columns of the runs table: a metric column shows each run's Last value (what MLflow
keeps with the run, the default), or the Best, Min or Max of the run's whole history.

The user picks per column from the header's context menu (remembered in QSettings). Histories
are read off the GUI thread for the loaded rows only, a page at a time, and each summary is
kept per (store, run, metric): a finished run's history does not change (until it is resumed,
which gives it a new end time), so its summary is kept for the session; a running run's is
read again on the next refresh. "Best" is the lowest value of a metric the run's plugin
minimises, the highest of one it maximises (the plugin's own declaration,
``Plugin.metric_direction``); for a metric no plugin declares, the name decides: losses,
errors, MSE, perplexity and the like are minimised.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QHeaderView, QMenu

from app._settings import load_json, save_json
from app._tasks import run_in_background

LAST, BEST, MIN, MAX = "last", "best", "min", "max"
SUMMARIES = {LAST: "Last", BEST: "Best", MIN: "Min", MAX: "Max"}
SETTINGS_KEY = "browser/summaryColumns"
# Words of metric names that are better low, for metrics no plugin declares (whole words
# between underscores, so "mse_ratio" counts and "accuracy" or "recall" do not).
LOWER_IS_BETTER = {"loss", "error", "err", "mse", "mae", "rmse", "nll", "perplexity", "ppl",
                   "kl", "cer", "wer", "fid", "distance", "time", "seconds"}  # fmt: skip
FINISHED_STATUSES = ("FINISHED", "FAILED", "KILLED")


@dataclass(frozen=True)
class MetricSummary:
    """One run's history of one metric, summed up; ``goal`` is "min" or "max"."""

    last: float
    minimum: float
    maximum: float
    goal: str

    @property
    def best(self) -> float:
        return self.minimum if self.goal == "min" else self.maximum

    def value(self, summary: str) -> float:
        return {LAST: self.last, BEST: self.best, MIN: self.minimum, MAX: self.maximum}[summary]


def summarize(values: Sequence[float], goal: str) -> MetricSummary:
    """``values`` in step order (MLflow's last value is the one at the largest step); a NaN
    counts as last but never as the min or max, as in MLflow's own charts."""
    finite = [value for value in values if not math.isnan(value)]
    low, high = (min(finite), max(finite)) if finite else (math.nan, math.nan)
    return MetricSummary(last=values[-1], minimum=low, maximum=high, goal=goal)


def goal_by_name(metric: str) -> str:
    words = set(metric.lower().replace("-", "_").replace(".", "_").split("_"))
    return "min" if words & LOWER_IS_BETTER else "max"


def metric_goal(metric: str, plugin_id: str = "") -> str:
    """Either "min" or "max": the plugin's declared direction for ``metric``, else by its name."""
    if plugin_id:
        from engine.errors import UsageError
        from engine.plugin import get_plugin

        try:
            return get_plugin(plugin_id).metric_direction(metric)
        except (UsageError, KeyError):
            pass
    return goal_by_name(metric)


@dataclass(frozen=True)
class SummaryRequest:
    run_id: str
    metric: str
    plugin_id: str = ""


def fetch_summaries(
    tracking_uri: str, requests: Iterable[SummaryRequest]
) -> dict[tuple[str, str], MetricSummary]:
    """``{(run_id, metric): summary}`` from MLflow's metric histories (pool threads only)."""
    from engine.tracking import open_client

    client = open_client(tracking_uri)
    summaries = {}
    for request in requests:
        history = client.get_metric_history(request.run_id, request.metric)
        if history:
            history = sorted(history, key=lambda point: (point.step, point.timestamp))
            goal = metric_goal(request.metric, request.plugin_id)
            summaries[(request.run_id, request.metric)] = summarize(
                [point.value for point in history], goal
            )
    return summaries


class SummaryColumns(QObject):
    """The header menu that picks a metric column's summary, and the reads that fill it.

    ``model`` is the ``RunsTableModel``; ``tracking_uri`` says which store its rows are from.
    """

    def __init__(
        self, model, header: QHeaderView, tracking_uri: Callable[[], str], parent: QObject
    ) -> None:
        super().__init__(parent)
        self.model, self.header, self.tracking_uri = model, header, tracking_uri
        # Finished runs' summaries, for the session: {(store, run_id, metric, end): summary}.
        self.kept: dict[tuple[str, str, str, int | None], MetricSummary] = {}
        self.pending: set[tuple[str, str, str]] = set()
        saved = load_json(SETTINGS_KEY, {})
        if isinstance(saved, dict):
            model.summary_of.update({m: s for m, s in saved.items() if s in SUMMARIES})
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._menu)
        model.modelReset.connect(self.fill)
        model.rowsInserted.connect(self.fill)
        model.columnsInserted.connect(self.fill)

    def menu_for(self, column: int) -> QMenu | None:
        """The header's menu for ``column``: Last, Best, Min, Max (None: not a metric)."""
        metric = self.model.metric_at(column)
        if metric is None:
            return None
        menu = QMenu(self.header)
        menu.setObjectName("summaryMenu")
        menu.setToolTipsVisible(True)
        group = QActionGroup(menu)
        chosen = self.model.summary_of.get(metric, LAST)
        for summary, text in SUMMARIES.items():
            action = QAction(f"{text} {metric}", menu, checkable=True)
            action.setChecked(summary == chosen)
            action.setData(summary)
            action.triggered.connect(lambda _on, s=summary: self.choose(metric, s))
            group.addAction(action)
            menu.addAction(action)
        menu.actions()[1].setToolTip("Lowest for a loss or an error, highest otherwise")
        return menu

    def _menu(self, position: QPoint) -> None:
        menu = self.menu_for(self.header.logicalIndexAt(position))
        if menu is not None:
            menu.exec(self.header.mapToGlobal(position))
            menu.deleteLater()

    def choose(self, metric: str, summary: str) -> None:
        """Show ``summary`` ("last", "best", "min" or "max") of ``metric`` in its column."""
        if summary not in SUMMARIES:
            raise ValueError(f"summary {summary!r} is not one of {', '.join(SUMMARIES)}")
        self.model.set_summary(metric, summary)
        choices = {m: s for m, s in self.model.summary_of.items() if s != LAST}
        save_json(SETTINGS_KEY, choices)
        self.fill()

    @property
    def loading(self) -> bool:
        return bool(self.pending)

    def fill(self, *_args) -> None:
        """Read the summaries that summary columns need and loaded rows lack."""
        uri = self.tracking_uri()
        wanted = [m for m, s in self.model.summary_of.items() if s != LAST]
        if not uri or not wanted:
            return
        known, requests = {}, []
        for row in self.model.rows:
            for metric in wanted:
                if metric not in row.metrics or (row.run_id, metric) in self.model.summaries:
                    continue
                # A resumed run ends again, later: its end time is part of what is kept.
                kept_as = (uri, row.run_id, metric, row.end_ms)
                if row.status in FINISHED_STATUSES and kept_as in self.kept:
                    known[(row.run_id, metric)] = self.kept[kept_as]
                elif (uri, row.run_id, metric) not in self.pending:
                    self.pending.add((uri, row.run_id, metric))
                    plugin_id = row.params.get("plugin", "")
                    keep = kept_as if row.status in FINISHED_STATUSES else None
                    requests.append((SummaryRequest(row.run_id, metric, plugin_id), keep))
        if known:
            self.model.add_summaries(known)
        if requests:
            run_in_background(
                lambda: fetch_summaries(uri, [request for request, _ in requests]),
                lambda found: self._arrived(uri, requests, found),
                lambda message, details: self._failed(uri, requests, message, details),
                queue="mlflow",
                owner=self,
            )

    def _arrived(self, uri: str, requests, found: dict[tuple[str, str], MetricSummary]) -> None:
        for request, keep in requests:
            self.pending.discard((uri, request.run_id, request.metric))
            summary = found.get((request.run_id, request.metric))
            if keep is not None and summary is not None:
                self.kept[keep] = summary
        if uri == self.tracking_uri():
            self.model.add_summaries(found)

    def _failed(self, uri: str, requests, message: str, details: str) -> None:
        for request, _finished in requests:
            self.pending.discard((uri, request.run_id, request.metric))
        from app._errors import report_error

        report_error("Could not read the runs' metric histories", message, details)
