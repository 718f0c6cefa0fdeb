"""Legends beside the plot, never over its curves.

pyqtgraph's ``addLegend`` anchors the legend inside the view box: with four runs overlaid it
covered the curves and was cut off at the plot's edge. ``outside_legend`` puts it in the
plot's own layout instead, right of the view box or below the x axis, so
the view box shrinks to make room and grows back when the legend empties.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QSizePolicy

# (row, column) in a PlotItem's grid: title row 0, top axis 1, view box 2 (axes in columns 0
# and 2), bottom axis (with its label) 3.
PLACES = {"right": (2, 3), "below": (4, 1)}


class OutsideLegend(pg.LegendItem):
    """A legend laid out by its plot: its size is its entries' (no geometry of its own), and it
    stays where the layout puts it (pyqtgraph's legend can be dragged about the view)."""

    def __init__(self, columns: int = 1) -> None:
        super().__init__(offset=None, colCount=columns, frame=False, verSpacing=-6,
                         labelTextSize="8pt")  # fmt: skip
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)

    def updateSize(self) -> None:  # noqa: N802 - pyqtgraph's name
        self.layout.invalidate()
        self.updateGeometry()  # the plot's layout asks for the new size hint

    def mouseDragEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph's name
        ev.ignore()


def outside_legend(plot: pg.PlotItem, where: str = "right", columns: int = 1) -> OutsideLegend:
    """A legend for ``plot`` outside its view box (``where``: right or below); items added to
    the plot with a name are listed, as with ``addLegend``."""
    legend = OutsideLegend(columns)
    plot.layout.addItem(legend, *PLACES[where])
    plot.legend = legend
    return legend
