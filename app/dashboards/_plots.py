"""pyqtgraph set-up shared by every dashboard: theme colours, curve pens, fast plot items."""

from __future__ import annotations

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


def fast_plot(plot: pg.PlotItem, title: str = "") -> pg.PlotItem:
    """Downsampling and clip-to-view so long series stay cheap to draw."""
    plot.setDownsampling(auto=True, mode="peak")
    plot.setClipToView(True)
    plot.showGrid(x=True, y=True, alpha=0.2)
    if title:
        plot.setTitle(title)
    return plot
