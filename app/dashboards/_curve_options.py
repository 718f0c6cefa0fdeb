"""How curves are drawn, chosen once and used by the live view and the runs browser's
comparison: smoothing (the raw curve stays faint behind the smoothed one, as in TensorBoard
and W&B), a log y axis, and the x axis by step or by wall time since the run started.

``CurveOptions`` is the row of controls (remembered in QSettings under its own key);
``SmoothedCurve`` is one persistent pair of curve items fed with ``set_data``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QSlider, QWidget

from app._settings import load_json, save_json
from app.dashboards._plots import mark_lone_point
from app.dashboards._smoothing import MAX_WEIGHT, EmaState, extend_ema

STEP, WALL_TIME = "step", "wall"
X_AXES = {STEP: "Step", WALL_TIME: "Wall time"}
X_LABELS = {STEP: "step", WALL_TIME: "time since the run started (s)"}
SLIDER_STEPS = 100  # the slider's integer positions: weight = position / 100
RAW_ALPHA = 60  # of 255: the raw curve faint behind the smoothed one


@dataclass(frozen=True)
class CurveChoice:
    smoothing: float = 0.0
    log_y: bool = False
    x_axis: str = STEP


class CurveOptions(QWidget):
    """Smoothing slider (0 .. 0.99), log-y box and x-axis combo; ``changed`` on any change."""

    changed = Signal()

    def __init__(self, settings_key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings_key = settings_key
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("smoothingSlider")
        self.slider.setRange(0, round(MAX_WEIGHT * SLIDER_STEPS))
        self.slider.setToolTip(
            "Exponential moving average of each curve (TensorBoard's, debiased); the raw "
            "curve stays faint behind it"
        )
        self.slider.setMinimumWidth(120)
        self.value_label = QLabel()
        self.value_label.setMinimumWidth(30)
        self.log_y = QCheckBox("log y")
        self.log_y.setObjectName("logY")
        self.x_axis = QComboBox()
        self.x_axis.setObjectName("xAxis")
        for key, text in X_AXES.items():
            self.x_axis.addItem(text, key)
        self.x_axis.setToolTip("Wall time: seconds since each run started")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("smoothing"))
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.value_label)
        layout.addWidget(self.log_y)
        layout.addWidget(QLabel("x axis"))
        layout.addWidget(self.x_axis)
        self._restore(load_json(settings_key, {}))
        self.slider.valueChanged.connect(self._changed)
        self.log_y.toggled.connect(self._changed)
        self.x_axis.currentIndexChanged.connect(self._changed)

    @property
    def choice(self) -> CurveChoice:
        return CurveChoice(
            smoothing=self.slider.value() / SLIDER_STEPS,
            log_y=self.log_y.isChecked(),
            x_axis=self.x_axis.currentData(),
        )

    def set_choice(self, choice: CurveChoice) -> None:
        """Show ``choice`` (one ``changed`` signal, not one per control)."""
        self.blockSignals(True)
        self.slider.setValue(round(choice.smoothing * SLIDER_STEPS))
        self.log_y.setChecked(choice.log_y)
        self.x_axis.setCurrentIndex(max(self.x_axis.findData(choice.x_axis), 0))
        self.blockSignals(False)
        self._changed()

    def _restore(self, saved: dict) -> None:
        smoothing = saved.get("smoothing", 0.0)
        if isinstance(smoothing, (int, float)) and 0 <= smoothing <= MAX_WEIGHT:
            self.slider.setValue(round(smoothing * SLIDER_STEPS))
        self.log_y.setChecked(bool(saved.get("log_y", False)))
        self.x_axis.setCurrentIndex(max(self.x_axis.findData(saved.get("x_axis", STEP)), 0))
        self._show_value()

    def _show_value(self) -> None:
        self.value_label.setText(f"{self.slider.value() / SLIDER_STEPS:.2f}")

    def _changed(self, *_args) -> None:
        self._show_value()
        choice = self.choice
        save_json(self.settings_key, {"smoothing": choice.smoothing, "log_y": choice.log_y,
                                      "x_axis": choice.x_axis})  # fmt: skip
        self.changed.emit()


def apply_axes(plot: pg.PlotItem, choice: CurveChoice, always_log: bool = False) -> None:
    """The plot's y scale and x label for ``choice`` (``always_log``: a learning rate's plot)."""
    plot.setLogMode(y=choice.log_y or always_log)
    plot.setLabel("bottom", X_LABELS[choice.x_axis])


class SmoothedCurve:
    """A curve and, when smoothing, its raw data drawn faint behind it.

    Both items persist; ``set_data`` with ``appended=True`` (the series only grew since the
    last call, at the same weight) smooths only the new points. A series of one point is
    drawn as a marker; ``tip`` describes a point for a hover tooltip.
    """

    def __init__(self, plot: pg.PlotItem, pen: pg.QtGui.QPen, name: str, **style) -> None:
        faint = QColor(pen.color())
        faint.setAlpha(RAW_ALPHA)
        self.raw = plot.plot(pen=pg.mkPen(faint, width=1))
        self.raw.setZValue(-1)
        self.curve = plot.plot(pen=pen, name=name, **style)
        self.legend = plot.legend  # None when the plot has no legend
        self._symbol = style.get("symbol")
        self.x, self.y = np.empty(0), np.empty(0)  # the raw data drawn (as the curve's points)
        self._weight = 0.0
        self._smoothed = np.empty(0)
        self._state = EmaState()

    def set_data(self, x: np.ndarray, y: np.ndarray, weight: float, appended: bool = False) -> None:
        if self.curve.opts["logMode"][1]:
            # A log axis has no place for 0 or below (a schedule's last learning rate is 0):
            # left in, they become NaN points that pyqtgraph cannot bound.
            positive = np.asarray(y) > 0
            if not positive.all():
                x, y = np.asarray(x)[positive], np.asarray(y)[positive]
        if weight > 0.0:
            self.raw.setData(x, y)
            self.curve.setData(x, self._smooth(y, weight, appended))
        else:
            self.raw.setData([], [])
            self.curve.setData(x, y)
            self._smoothed, self._state = np.empty(0), EmaState()
        self._weight = weight
        self.x, self.y = x, y
        mark_lone_point(self.curve, len(x), self._symbol)

    def tip(self, index: int, run: str, metric: str, x_axis: str) -> str:
        """Point ``index`` described: the run, its step (or time), the value (and the smoothed
        value, when smoothing)."""
        x = float(self.x[index])
        where = f"step {x:.0f}" if x_axis == STEP else f"{x:.1f} s since the run started"
        lines = [run, where, f"{metric} = {float(self.y[index]):.4g}"]
        if self._weight > 0.0 and index < len(self._smoothed):
            lines.append(f"smoothed = {float(self._smoothed[index]):.4g}")
        return "\n".join(lines)

    def _smooth(self, y: np.ndarray, weight: float, appended: bool) -> np.ndarray:
        done = len(self._smoothed)
        if not (appended and weight == self._weight and done <= len(y)):
            done, self._smoothed, self._state = 0, np.empty(0), EmaState()
        new, self._state = extend_ema(y[done:], weight, self._state)
        self._smoothed = np.concatenate([self._smoothed, new]) if done else new
        return self._smoothed

    def setVisible(self, visible: bool) -> None:  # noqa: N802 - as the items it holds
        """Show or hide the curve; a hidden one leaves the legend, so the legend lists the
        runs in sight (not every earlier run, crossed out, above them)."""
        self.raw.setVisible(visible)
        self.curve.setVisible(visible)
        if self.legend is None:
            return
        listed = any(sample.item is self.curve for sample, _label in self.legend.items)
        if listed and not visible:
            self.legend.removeItem(self.curve)
        elif visible and not listed:
            self.legend.addItem(self.curve, self.curve.name())

    def getData(self):  # noqa: N802
        """What the curve draws (the smoothed data when smoothing)."""
        return self.curve.getData()

    @property
    def xData(self):  # noqa: N802
        return self.curve.xData

    @property
    def yData(self):  # noqa: N802
        return self.curve.yData
