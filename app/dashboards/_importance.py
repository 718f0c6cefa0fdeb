"""The sweep dashboard's "Importance" page: Optuna's hyperparameter importances of a sweep's
study, computed on the Optuna queue (fANOVA takes seconds) and drawn as bars."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QVBoxLayout, QWidget

from app._tasks import LatestTask
from app.dashboards._plots import color, fast_plot


def study_importances(storage: str, name: str) -> dict[str, float]:
    import optuna

    from engine.sweeps import open_storage

    study = optuna.load_study(study_name=name, storage=open_storage(storage))
    target = (lambda t: t.values[0]) if len(study.directions) > 1 else None
    return dict(optuna.importance.get_param_importances(study, target=target))


class ImportancePage(QWidget):
    """``show_sweep(sweep)`` clears the bars; ``compute()`` (or the button) draws the
    importances of that sweep's study."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sweep = None  # the SweepJob whose study is shown
        self.importances: dict[str, float] = {}  # those drawn
        self.view = pg.PlotWidget()
        self.plot = fast_plot(self.view.getPlotItem(), "hyperparameter importance (fANOVA)")
        self.button = QPushButton("Compute importance")
        self.button.clicked.connect(self.compute)
        self._task = LatestTask(self, "optuna")
        layout = QVBoxLayout(self)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.view, 1)

    def show_sweep(self, sweep) -> None:
        self.sweep = sweep
        self._task.cancel()  # the importances of the sweep shown before
        self.button.setEnabled(True)
        self.plot.clear()
        self.importances = {}

    def compute(self) -> None:
        sweep = self.sweep
        if sweep is None or not sweep.storage or not sweep.name:
            return
        storage, name = sweep.storage, sweep.name
        self.button.setEnabled(False)

        def failed(message: str, _details: str) -> None:
            self.button.setEnabled(True)
            self.plot.setTitle(f"importance unavailable: {message}")

        self._task.start(lambda: study_importances(storage, name), self.show_importance, failed)

    def show_importance(self, importances: dict[str, float]) -> None:
        self.button.setEnabled(True)
        self.plot.clear()
        names = list(importances)
        heights = [importances[n] for n in names]
        self.plot.addItem(
            pg.BarGraphItem(x=np.arange(len(names)), height=heights, width=0.6, brush=color(0))
        )
        self.plot.getAxis("bottom").setTicks([[(i, n) for i, n in enumerate(names)]])
        self.plot.setTitle("hyperparameter importance (Optuna's default evaluator)")
        self.importances = importances
