"""pyqtgraph set-up shared by every dashboard: theme colours, curve pens, fast plot items."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

# A palette readable on light and dark backgrounds (Okabe-Ito, colour-blind safe).
COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999")


def color(index: int) -> str:
    return COLORS[index % len(COLORS)]


def apply_theme() -> None:
    """Plot background and foreground from the application's (system) palette."""
    palette = QApplication.palette()
    pg.setConfigOptions(
        background=palette.color(QPalette.ColorRole.Base),
        foreground=palette.color(QPalette.ColorRole.Text),
        antialias=False,
    )


class ReadableLogAxis(pg.AxisItem):
    """A y axis whose log scale labels, over more than a decade, only the 1-2-5 ticks.

    pyqtgraph labels every minor tick (1, 2, ... 9 times a power of ten); at the top of each
    decade they are a few pixels apart and their labels overprint one another (a learning
    rate decaying from 3e-3 to 5e-5). The other ticks keep their marks.
    """

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph's name
        strings = super().logTickStrings(values, scale, spacing)
        if len(values) < 2 or max(values) - min(values) <= 1.0:
            return strings  # within a decade every label fits
        leading = [round(10 ** (value - math.floor(value)), 3) for value in values]
        pairs = zip(strings, leading, strict=True)
        return [text if digit in (1, 2, 5) else "" for text, digit in pairs]


class IntegerAxis(pg.AxisItem):
    """An axis of whole numbers (trial numbers): no tick between two of them."""

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802, N803 - pyqtgraph's names
        levels = [(s, o) for s, o in super().tickSpacing(minVal, maxVal, size) if s >= 1.0]
        return levels or [(1.0, 0.0)]


def fast_plot(plot: pg.PlotItem, title: str = "") -> pg.PlotItem:
    """Downsampling and clip-to-view so long series stay cheap to draw."""
    plot.setAxisItems({"left": ReadableLogAxis("left")})
    plot.setDownsampling(auto=True, mode="peak")
    plot.setClipToView(True)
    plot.showGrid(x=True, y=True, alpha=0.2)
    if title:
        plot.setTitle(title)
    return plot
