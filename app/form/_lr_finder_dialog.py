"""The "Find lr" dialog: runs the learning-rate finder in a worker process (``python -m
engine.lr_finder``, forked from the zygote where it can: the GUI thread never waits and a
crash or Cancel's kill cannot touch the app), shows its progress, draws the smoothed loss
against the rate, and hands the suggestion (or a sweep's search range) back through "Use".
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.jobs import WorkerAdapter
from engine.lr_finder import DEFAULT_RAMPS, DEFAULT_STEPS, LrFindProgress, LrFound
from engine.worker import UsageProblem, can_fork_for

MODULE = "engine.lr_finder"


def finder_button(on_click: Callable[[], None]) -> QPushButton:
    """The "Find lr" button that sits beside a form's lr field."""
    button = QPushButton("Find lr")
    button.setObjectName("findLrButton")
    button.setToolTip(
        "Ramp the learning rate up over a few short runs, watch the loss, and suggest a rate"
    )
    button.clicked.connect(on_click)
    return button


class LrFinderDialog(QDialog):
    """One finder job for ``config`` (a ``RunConfig.to_dict()``). ``use(lr)`` gets the
    suggestion; ``use_range(low, high)``, when given, gets the search range (sweep form)."""

    def __init__(
        self,
        config: Mapping[str, Any],
        use: Callable[[float], None],
        use_range: Callable[[float, float], None] | None = None,
        parent: QWidget | None = None,
        steps: int = DEFAULT_STEPS,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("lrFinderDialog")
        self.setWindowTitle(f"Find the learning rate: {config['plugin']} on {config['dataset']}")
        self.finding: dict[str, Any] | None = None
        self._use, self._use_range = use, use_range
        self.steps = steps
        self.status = QLabel("Starting the finder…")
        self.status.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy until the first step is done
        # pyqtgraph loads with the dialog, not with the form: the window opens without it.
        import pyqtgraph as pg

        from app.dashboards import fast_plot

        self.plot = pg.PlotWidget()
        fast_plot(self.plot.getPlotItem())  # plain axes: rates as they are, not "(x0.001)"
        self.plot.setLogMode(x=True, y=False)
        self.plot.setLabel("bottom", "learning rate")
        self.plot.setLabel("left", "training loss (smoothed)")
        self.plot.setMinimumSize(480, 280)
        self.curve = self.plot.plot([], [], pen=pg.mkPen("#1f77b4", width=2))
        dashed = pg.mkPen("#d03030", style=Qt.PenStyle.DashLine)
        self.marker = pg.InfiniteLine(angle=90, pen=dashed)
        self.marker.hide()
        self.plot.addItem(self.marker)
        buttons = QDialogButtonBox()
        self.use_button = buttons.addButton("Use", QDialogButtonBox.ButtonRole.AcceptRole)
        self.use_button.setObjectName("useLrButton")
        self.use_button.setEnabled(False)
        self.use_button.clicked.connect(self._accept_rate)
        self.range_button: QPushButton | None = None
        if use_range is not None:
            self.range_button = buttons.addButton(
                "Use as search range", QDialogButtonBox.ButtonRole.ApplyRole
            )
            self.range_button.setObjectName("useLrRangeButton")
            self.range_button.setEnabled(False)
            self.range_button.clicked.connect(self._accept_range)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.status, self.bar, self.plot, buttons):
            layout.addWidget(widget)

        command = {"command": "lr_find", "config": dict(config), "steps": steps,
                   "ramps": DEFAULT_RAMPS}  # fmt: skip
        self.adapter = WorkerAdapter(
            MODULE, json.dumps(command), fork=can_fork_for(str(config.get("device"))), parent=self
        )
        self.adapter.event.connect(self.on_event)
        self.adapter.ended.connect(self._ended)
        self.finished.connect(lambda _result: self.adapter.kill())  # closed: the job is moot
        self.adapter.start()

    # -- the job's events --------------------------------------------------------------------
    def on_event(self, event: object) -> None:
        if isinstance(event, LrFindProgress):
            total = event.ramps * event.steps
            self.bar.setRange(0, total)
            self.bar.setValue(event.ramp * event.steps + event.step)
            self.status.setText(f"Ramping the learning rate: ramp {event.ramp + 1} of "
                                f"{event.ramps}, step {event.step}/{event.steps}")  # fmt: skip
        elif isinstance(event, LrFound):
            self.show_finding(event.finding)
        elif isinstance(event, UsageProblem):
            self._failed(event.message)
        elif hasattr(event, "reason"):  # RunFailed: a bug, said in its one line
            self._failed(str(event.reason))

    def show_finding(self, finding: dict[str, Any]) -> None:
        """Draw the curve and offer the suggestion."""
        self.finding = finding
        points = [(lr, loss) for lr, loss in zip(finding["curve"]["lr"], finding["curve"]["loss"],
                                                 strict=True) if math.isfinite(loss)]  # fmt: skip
        # The rates as they are: the plot's log mode takes their log10 itself.
        self.curve.setData([lr for lr, _ in points], [loss for _, loss in points])
        self.plot.enableAutoRange()
        suggested = float(finding["suggested_lr"])
        self.marker.setValue(math.log10(suggested))
        self.marker.show()
        low, high = finding["search_range"]
        self.bar.setRange(0, 1)
        self.bar.setValue(1)
        self.status.setText(
            f"Suggested lr: {suggested:.2g} (search range {low:.2g} .. {high:.2g}): "
            f"{finding['rule']}."
        )
        self.use_button.setEnabled(True)
        if self.range_button is not None:
            self.range_button.setEnabled(True)

    def _failed(self, message: str) -> None:
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.status.setText(f"The finder could not run: {message}")

    def _ended(self, code: int) -> None:
        if self.finding is None and not self.status.text().startswith("The finder could not"):
            tail = self.adapter.stderr_tail.strip().splitlines()
            self._failed(tail[-1] if tail else f"its process ended (exit code {code})")

    # -- answers -----------------------------------------------------------------------------
    def _accept_rate(self) -> None:
        if self.finding is not None:
            self._use(float(self.finding["suggested_lr"]))
        self.accept()

    def _accept_range(self) -> None:
        if self.finding is not None and self._use_range is not None:
            low, high = self.finding["search_range"]
            self._use_range(float(low), float(high))
        self.accept()
