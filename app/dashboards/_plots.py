"""pyqtgraph set-up shared by every dashboard: theme colours, curve pens, fast plot items, and
axes that show values as they are.

Every plot of the app goes through ``plain_axes`` (``fast_plot`` calls it): pyqtgraph's axes
rescale a unitless range inside 0..1 by an SI prefix, so a sweep's val_accuracy of 0.986..0.993
read "val_accuracy (x0.001)" with ticks 986..993.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

# A palette readable on light and dark backgrounds (Okabe-Ito, colour-blind safe).
COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999")
GOLDEN_RATIO_CONJUGATE = 0.6180339887
SIDES = ("left", "bottom", "top", "right")
LONE_POINT_SIZE = 7


def color(index: int) -> str:
    return COLORS[index % len(COLORS)]


def trial_color(number: int) -> QColor:
    """A colour of its own for each trial, the same on every sweep plot: hues a golden ratio
    apart never repeat and keep neighbouring trials far apart on the colour wheel (a palette
    of eight, as runs have, repeats within a sweep of ten trials)."""
    hue = (number * GOLDEN_RATIO_CONJUGATE) % 1.0
    return QColor.fromHslF(hue, 0.75, 0.45)


def apply_theme() -> None:
    """Plot background and foreground from the application's (system) palette."""
    palette = QApplication.palette()
    pg.setConfigOptions(
        background=palette.color(QPalette.ColorRole.Base),
        foreground=palette.color(QPalette.ColorRole.Text),
        antialias=False,
    )


class PlainAxis(pg.AxisItem):
    """An axis whose tick labels are the values themselves, never rescaled by an SI prefix."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.enableAutoSIPrefix(False)

    def getSIPrefixEnableRanges(self):  # noqa: N802 - pyqtgraph's name
        # Nowhere: ``enableAutoSIPrefix`` and ``setLabel`` recompute the prefix without
        # asking whether it is enabled; with no range to apply in, the scale stays 1.
        return ()


class ReadableLogAxis(PlainAxis):
    """An axis whose log scale labels only ticks far enough apart to be read.

    pyqtgraph labels every minor tick (1, 2, ... 9 times a power of ten); at the top of each
    decade they are a few pixels apart and their labels overprint one another (a learning
    rate decaying from 3e-3 to 5e-5), and on a short plot within a decade 0.08 and 0.09 sit
    on the 0.1 of the level above (a gradient norm). So over more than a decade only the
    1-2-5 ticks are labelled, and at any range a label is dropped where it would come closer
    to a kept one, or to a power of ten in view, than the text is tall (wide, on an x axis);
    powers of ten win, then 2 and 5, then the rest. The other ticks keep their marks.
    """

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph's name
        strings = super().logTickStrings(values, scale, spacing)
        if len(values) < 2:
            return strings
        leading = [round(10 ** (value - math.floor(value)), 3) for value in values]
        if max(values) - min(values) > 1.0:
            pairs = zip(strings, leading, strict=True)
            strings = [text if digit in (1, 2, 5) else "" for text, digit in pairs]
        return self._spaced(values, strings, leading)

    def _spaced(self, values, strings, leading) -> list[str]:
        """``strings`` with those too close to a kept one (or a power of ten) blanked."""
        from PySide6.QtGui import QFontMetricsF

        vertical = self.orientation in ("left", "right")
        length = self.geometry().height() if vertical else self.geometry().width()
        low, high = sorted(self.range)
        if length <= 0 or high <= low:
            return strings  # not laid out yet: nothing to measure against
        pixels = length / (high - low)  # per decade
        metrics = QFontMetricsF(self.style.get("tickFont") or self.font())

        def size(text: str) -> float:
            return metrics.height() if vertical else metrics.horizontalAdvance(text) + 6

        # A level of minor ticks alone (no power of ten among them) is drawn beside the
        # powers of ten in view, which pyqtgraph's major level labels.
        whole = any(abs(value - round(value)) < 1e-9 for value in values)
        powers = () if whole else range(math.ceil(low), math.floor(high) + 1)
        kept = [(float(power), size(f"1e{power}")) for power in powers]
        rank = {1.0: 0, 2.0: 1, 5.0: 1}
        order = sorted(range(len(values)), key=lambda i: (rank.get(leading[i], 2), i))
        shown = [""] * len(strings)
        for i in order:
            text, here = strings[i], size(strings[i])
            if text and all(abs(values[i] - v) * pixels >= (here + width) / 2
                            for v, width in kept):  # fmt: skip
                shown[i] = text
                kept.append((values[i], here))
        if whole and not any(shown):  # a level of powers of ten keeps one label at least
            first = next((i for i in order if strings[i]), None)
            if first is not None:
                shown[first] = strings[first]
        return shown


class IntegerAxis(PlainAxis):
    """An axis of whole numbers (trial numbers): no tick between two of them."""

    def tickSpacing(self, minVal, maxVal, size):  # noqa: N802, N803 - pyqtgraph's names
        levels = [(s, o) for s, o in super().tickSpacing(minVal, maxVal, size) if s >= 1.0]
        return levels or [(1.0, 0.0)]


def plain_axes(plot: pg.PlotItem, **axes: pg.AxisItem) -> pg.PlotItem:
    """Give ``plot`` plain axes (``PlainAxis`` or a subclass) on every side, ``axes`` by side
    where given; call it before labelling or ticking the axes (they are replaced)."""
    wanted = {side: axes.get(side) or PlainAxis(side) for side in SIDES}
    replace = {side: axis for side, axis in wanted.items()
               if side in axes or not isinstance(plot.getAxis(side), PlainAxis)}  # fmt: skip
    if replace:
        shown = {side: plot.getAxis(side).isVisibleTo(plot) for side in replace}
        plot.setAxisItems(replace)  # shows every axis it places
        for side, visible in shown.items():
            plot.showAxis(side, visible)
    return plot


def fast_plot(plot: pg.PlotItem, title: str = "") -> pg.PlotItem:
    """Downsampling and clip-to-view so long series stay cheap to draw; plain axes, the x and y
    ones readable on a log scale too."""
    plain_axes(plot, left=ReadableLogAxis("left"), bottom=ReadableLogAxis("bottom"))
    plot.setDownsampling(auto=True, mode="peak")
    plot.setClipToView(True)
    plot.showGrid(x=True, y=True, alpha=0.2)
    if title:
        plot.setTitle(title)
    return plot


def mark_lone_point(curve: pg.PlotDataItem, count: int, symbol: str | None = None) -> None:
    """Draw a curve of one point as a marker (a line through one point draws nothing: a run
    stopped after its first evaluation vanished from a comparison); ``symbol`` is the one the
    curve has with more points."""
    wanted = "o" if count == 1 and symbol is None else symbol
    if curve.opts["symbol"] == wanted:
        return
    if wanted is not None and symbol is None:
        pen_color = pg.mkPen(curve.opts["pen"]).color()
        curve.setSymbolBrush(pen_color)
        curve.setSymbolPen(None)
        curve.setSymbolSize(LONE_POINT_SIZE)
    curve.setSymbol(wanted)


def finite_count(values) -> int:
    return int(np.isfinite(np.asarray(values, dtype=float)).sum()) if values is not None else 0
