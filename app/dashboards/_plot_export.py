"""Exporting the sweep dashboard: the plot in sight as a PNG image (pyqtgraph's exporter) or
an SVG drawing (Qt's SVG generator), and the sweep's trials as a CSV table or an HTML report
(``engine.reports``, as ``netyard report --sweep NAME`` writes them), from one "Export" menu.

pyqtgraph's own right-click "Export..." stays on every plot; its SVG choice is ours too
(``install_svg_exporter``), as pyqtgraph's fails under Qt 6.12: see ``_write_svg``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pyqtgraph as pg
from pyqtgraph.exporters import Exporter, SVGExporter
from PySide6.QtCore import QByteArray, QMimeData
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from app._report_actions import ReportMenu, ReportSource
from engine.errors import UsageError

PLOT_FORMATS = {".png": "PNG image (*.png)", ".svg": "SVG drawing (*.svg)"}
MIN_PNG_WIDTH = 1000  # pixels: a plot seen in a small window still exports legibly


def export_plot(item, path: str | os.PathLike[str]) -> Path:
    """Write ``item`` (a PlotItem, a GraphicsLayout or a scene) to ``path`` as PNG or SVG, the
    format from the suffix; under a temporary name renamed once complete."""
    from pyqtgraph.exporters import ImageExporter

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in PLOT_FORMATS:
        raise UsageError(f"{str(path)!r}: end the file name in {' or '.join(PLOT_FORMATS)}")
    if not path.parent.is_dir():
        raise UsageError(f"cannot write {str(path)!r}: folder {str(path.parent)!r} does not exist")
    if not os.access(path.parent, os.W_OK):
        raise UsageError(f"cannot write {str(path)!r}: folder {str(path.parent)!r} is not writable")
    partial = path.with_name(f".{path.stem}.partial-{os.getpid()}{suffix}")
    try:
        if suffix == ".png":
            exporter = ImageExporter(item)
            width = exporter.parameters()["width"]
            if width < MIN_PNG_WIDTH:
                exporter.parameters()["width"] = MIN_PNG_WIDTH  # the height follows
            exporter.export(str(partial))
        else:
            _write_svg(item, partial, path.stem)
        if not partial.is_file():
            raise UsageError(f"cannot write {str(path)!r}: Qt could not write the file")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _write_svg(item, path: Path, title: str) -> None:
    """The item's part of its scene drawn by Qt's SVG generator, on the view's background.

    Not pyqtgraph's SVGExporter: in pyqtgraph 0.14 it fails on every plot under Qt 6.12
    ("not enough values to unpack", pyqtgraph issue #3495: Qt now closes a path with "Z",
    which its coordinate rewriting does not expect).
    """
    from PySide6.QtCore import QRect, QRectF, QSize
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgGenerator
    from PySide6.QtWidgets import QGraphicsItem

    if isinstance(item, QGraphicsItem):
        scene, source = item.scene(), item.sceneBoundingRect()
    else:
        scene, source = item, item.sceneRect()
    width, height = max(1, round(source.width())), max(1, round(source.height()))
    # SVG 1.1, not Qt's default SVG Tiny 1.2: only 1.1 has clip paths, without which the
    # curves and grid would run past the plot's axes.
    generator = QSvgGenerator(QSvgGenerator.SvgVersion.Svg11)
    generator.setFileName(str(path))
    generator.setSize(QSize(width, height))
    generator.setViewBox(QRect(0, 0, width, height))
    generator.setTitle(title)
    generator.setDescription("Drawn by Netyard")
    views = scene.views()
    if views:
        # The screen's resolution, not the generator's 72 dpi: pyqtgraph's axes and grid are
        # laid out for the view's device, and would come out at 72/96 of their size.
        generator.setResolution(views[0].logicalDpiX())
    painter = QPainter(generator)
    try:
        target = QRectF(0, 0, width, height)
        if views:
            painter.fillRect(target, views[0].backgroundBrush())
        scene.render(painter, target, source)
    finally:
        painter.end()


class QtSvgExporter(SVGExporter):
    """The "Scalable Vector Graphics (SVG)" choice of pyqtgraph's export dialog, drawn by
    ``_write_svg``: what the dashboard's Export menu writes, at the plot's size on screen."""

    def parameters(self):
        return None  # the plot's own size and background: nothing to set

    def export(self, fileName=None, toBytes=False, copy=False):  # noqa: N803 - pyqtgraph's
        if not (fileName or toBytes or copy):
            self.fileSaveDialog(filter=PLOT_FORMATS[".svg"])
            return None
        if fileName:
            try:
                export_plot(self.item, fileName)
            except UsageError as error:
                QMessageBox.warning(None, "Export", str(error))
            return None
        import tempfile

        with tempfile.TemporaryDirectory(prefix="netyard-svg-") as folder:
            path = Path(folder) / "plot.svg"
            _write_svg(self.item, path, "plot")
            data = path.read_bytes()
        if toBytes:
            return data
        mime = QMimeData()
        mime.setData("image/svg+xml", QByteArray(data))
        QApplication.clipboard().setMimeData(mime)
        return None


def install_svg_exporter() -> None:
    """Put ``QtSvgExporter`` in pyqtgraph's export dialog in place of its SVGExporter."""
    exporters = Exporter.Exporters
    exporters[:] = [QtSvgExporter if cls is SVGExporter else cls for cls in exporters]


class SweepExport(ReportMenu):
    """The sweep dashboard's "Export" menu: the plot on the current tab, the sweep's trials."""

    def __init__(self, dashboard) -> None:
        super().__init__(dashboard, "Export", "Sweep trials", self._sweep, self._say)
        self.dashboard = dashboard
        self.button.setObjectName("exportSweepButton")
        self.button.setToolTip("The plot in sight as PNG or SVG; the sweep's trials as a CSV "
                               "table or an HTML report")  # fmt: skip
        first = self.menu.actions()[0]
        self.png_action = QAction("Plot as PNG…", self.menu)
        self.svg_action = QAction("Plot as SVG…", self.menu)
        self.png_action.triggered.connect(lambda _checked=False: self.export_current_plot(".png"))
        self.svg_action.triggered.connect(lambda _checked=False: self.export_current_plot(".svg"))
        self.menu.insertActions(first, [self.png_action, self.svg_action])
        self.menu.insertSeparator(first)

    def _say(self, line: str) -> None:
        self.dashboard.summary.setText(line)

    def _sweep(self) -> ReportSource | None:
        sweep = self.dashboard.sweep
        if sweep is None or not sweep.tracking_uri or not sweep.name:
            return None
        return ReportSource(sweep.tracking_uri, f"Sweep {sweep.name}", sweep.name,
                            sweep=sweep.name)  # fmt: skip

    def update_actions(self) -> None:
        # The button stays enabled: the menu says what can be exported when it opens.
        ready = self._sweep() is not None
        self.csv_action.setEnabled(ready)
        self.html_action.setEnabled(ready)
        plot = self.current_plot() is not None
        self.png_action.setEnabled(plot)
        self.svg_action.setEnabled(plot)

    # -- plots -------------------------------------------------------------------------------
    def current_plot(self):
        """The graphics item the current tab shows (None on the trial table)."""
        page = self.dashboard.tabs.currentWidget()
        if page is None:
            return None
        views = [page] if isinstance(page, pg.GraphicsView) else []
        views += page.findChildren(pg.GraphicsView)
        if not views:
            return None
        view = views[0]
        if isinstance(view, pg.PlotWidget):
            return view.getPlotItem()
        if isinstance(view, pg.GraphicsLayoutWidget):
            return view.ci
        return view.scene()

    def plot_name(self) -> str:
        tab = self.dashboard.tabs.tabText(self.dashboard.tabs.currentIndex())
        sweep = self.dashboard.sweep
        prefix = f"{sweep.name}-" if sweep is not None and sweep.name else ""
        return f"{prefix}{tab.lower().replace(' ', '-')}"

    def export_current_plot(self, suffix: str, path: str | None = None) -> Path | None:
        """Ask for a file (unless ``path`` is given) and write the plot in sight there."""
        item = self.current_plot()
        if item is None:
            return None
        if path is None:
            path = ask_plot_file(self.dashboard, self.plot_name(), suffix)
            if path is None:
                return None
        try:
            written = export_plot(item, path)
        except UsageError as error:
            self.outcome(f"Export failed: {error}")
            return None
        self.outcome(f"Wrote the plot to {written}")
        return written


def ask_plot_file(parent: QWidget, stem: str, suffix: str) -> str | None:
    path, _chosen = QFileDialog.getSaveFileName(
        parent, "Export plot", f"{stem}{suffix}", PLOT_FORMATS[suffix]
    )
    if not path:
        return None
    return path if Path(path).suffix else path + suffix
