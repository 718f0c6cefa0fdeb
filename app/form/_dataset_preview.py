"""The dataset preview beside the run and sweep forms: split sizes, input shape, class
balance and a few samples of the chosen dataset, as the run would split it.

The engine's ``engine.data.preview`` loads the data (it imports torch and may read many
files), so it runs on a pool thread a moment after the last change; only the latest answer
is shown, and a busy bar moves under "Loading a preview…" until it comes. When the form
switches on an augmentation, a second row shows the same samples as training would see them
(``engine.augment.with_augmented``). The panel never decides whether Start is enabled: the
form does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontDatabase, QImage, QPainter, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app._busy import BusyBar
from app._catalog import check_dataset
from app._tasks import LatestTask
from app.form._schema_form import ERROR_STYLE
from engine.augment import PREFIX as AUGMENT_PREFIX
from engine.errors import UsageError
from engine.options import TRAINING_SCHEMA

PREVIEW_DELAY_MS = 250
SAMPLES = 6
THUMBNAIL = 64  # pixels, the longer side of an image thumbnail
SERIES_THUMBNAIL = (96, 48)
SPLIT_COLORS = {"train": "#0072B2", "val": "#E69F00", "test": "#009E73"}  # as app.dashboards
MUTED_STYLE = "color: gray;"


def _load(
    dataset_id: str,
    workspace: str | None,
    seed: int,
    val_fraction: float,
    augmentation: dict[str, Any],
    progress: Callable[[str, int, int], None] = lambda what, done, total: None,
) -> Any:
    """The preview (with its samples augmented as ``augmentation`` asks), or the
    ``UsageError`` sentence a run would fail with. A long load (decoding an image folder the
    first time) tells ``progress(what, done, total)`` as it goes."""
    from engine.augment import with_augmented
    from engine.data import loading_progress, preview
    from engine.workspace import Workspace

    try:
        datasets_dir = Workspace.resolve(workspace).datasets_dir
        with loading_progress(progress):
            loaded = preview(dataset_id, datasets_dir, seed, SAMPLES, val_fraction)
        return with_augmented(loaded, augmentation, seed)
    except UsageError as error:
        return str(error)


def beside(box: QWidget, panel: DatasetPreviewPanel) -> QLayout:
    """A form's box with the preview panel to its right."""
    row = QHBoxLayout()
    row.addWidget(box, 1)
    row.addWidget(panel, 1)
    return row


class DatasetPreviewPanel(QGroupBox):
    """The preview of ``form.dataset``'s choice, split with ``form.seed`` and the
    ``val_fraction()`` the form holds; ``form`` is a run or sweep form (it has ``catalog``,
    ``dataset``, ``seed``, ``plugin`` and ``workspace``). ``setting(name)`` reads the form's
    value of a hyperparameter (the augmentations are read through it; none are shown when
    it is not given). Call ``schedule()`` on any change.
    ``shown(preview)`` once a preview is on screen; ``settled`` whenever the panel has
    stopped waiting (a preview, an error or a message is shown)."""

    shown = Signal(object)
    settled = Signal()
    # (key, what, done, total) from the loading thread; shown if ``key`` is still awaited.
    loading_step = Signal(object, str, int, int)

    def __init__(
        self,
        form: Any,
        val_fraction: Callable[[], float],
        setting: Callable[[str], Any] | None = None,
    ) -> None:
        super().__init__("Dataset preview")
        self.setObjectName("datasetPreview")
        self.form = form
        self.val_fraction = val_fraction
        self.setting = setting
        self.preview = None  # the DatasetPreview shown, if any
        self._shown_key: tuple | None = None
        self._awaited_key: tuple | None = None  # the preview on its way, for its progress
        self._loading = LatestTask(self, "dataset-preview")
        self.loading_step.connect(self._show_step)

        self.summary = QLabel()
        self.summary.setObjectName("datasetPreviewSummary")
        self.summary.setStyleSheet("font-weight: 600;")
        self.busy = BusyBar()  # while a preview or the dataset list is on its way
        self.busy.setObjectName("datasetPreviewBusy")
        self.busy.hide()
        self.details = QLabel()
        self.details.setObjectName("datasetPreviewDetails")
        self.details.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("datasetPreviewError")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.balance_caption = QLabel()
        self.balance_caption.setTextFormat(Qt.TextFormat.RichText)
        self.thumbnails = QWidget()
        self.thumbnail_row = QHBoxLayout(self.thumbnails)
        self.thumbnail_row.setContentsMargins(0, 0, 0, 0)
        self.augmented_caption = QLabel("Augmented as in training (new draws every batch):")
        self.augmented_caption.setObjectName("datasetPreviewAugmentedCaption")
        self.augmented_caption.setStyleSheet(MUTED_STYLE)
        self.augmented_thumbnails = QWidget()
        self.augmented_row = QHBoxLayout(self.augmented_thumbnails)
        self.augmented_row.setContentsMargins(0, 0, 0, 0)
        self.excerpt = QPlainTextEdit()
        self.excerpt.setObjectName("datasetPreviewExcerpt")
        self.excerpt.setReadOnly(True)
        self.excerpt.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.excerpt.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.excerpt.setMaximumHeight(120)
        self.bars = self.plot = None  # pyqtgraph widgets, made on first use
        self._layout = QVBoxLayout(self)
        for widget in (self.summary, self.busy, self.details, self.error, self.balance_caption):
            self._layout.addWidget(widget)
        # pyqtgraph widgets go in these slots when first needed: the bars under their
        # caption, the series or points plot under the thumbnails.
        self._slots = {"bars": QVBoxLayout(), "plot": QVBoxLayout()}
        self._layout.addLayout(self._slots["bars"])
        self._layout.addWidget(self.thumbnails)
        self._layout.addWidget(self.augmented_caption)
        self._layout.addWidget(self.augmented_thumbnails)
        self._layout.addLayout(self._slots["plot"])
        self._layout.addWidget(self.excerpt)
        self._layout.addStretch(1)

        self._hidden_request = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self._request)
        self._show_message("Choose a dataset to preview it.")

    # -- asking ------------------------------------------------------------------------------
    def schedule(self, *_args) -> None:
        """Preview the form's dataset once it has stopped changing for a moment."""
        self._timer.start()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self._hidden_request:
            self._hidden_request = False
            self.schedule()

    def _request(self) -> None:
        if not self.isVisible():
            # Nobody sees it (another tab, a closed window): loaded when it is shown.
            self._hidden_request = True
            return
        form = self.form
        self._loading.cancel()  # the choice changed: a preview on its way is out of date
        if not form.catalog.datasets_loaded:
            if form.catalog.dataset_error:
                self._show_message(form.catalog.dataset_error)
            else:
                self._show_loading("Datasets are still loading…")
            return
        dataset_id = form.dataset.dataset_id().strip()
        if not dataset_id:
            self._show_message("Choose a dataset to preview it.")
            return
        if dataset_id.endswith(":"):
            self._show_message("Give the path of your data to preview it.")
            return
        if form.plugin is not None:
            problem = check_dataset(dataset_id, form.plugin)
            if problem:
                self._show_error(problem)
                return
        try:
            seed = form.seed.value()
        except UsageError as error:
            self._show_error(str(error))
            return
        val_fraction = self._val_fraction()
        augmentation = self._augmentation()
        key = (dataset_id, seed, val_fraction, form.workspace, tuple(augmentation.items()))
        if self._shown_key is None or key[:-1] != self._shown_key[:-1]:
            self._show_loading(f"Loading a preview of {dataset_id}…")
        else:
            self.busy.show()  # the same data again (augmented anew): kept on screen meanwhile
        workspace = form.workspace

        def done(result: Any) -> None:
            if isinstance(result, str):
                self._show_error(result)
            elif result is not self.preview or key != self._shown_key:
                self._show_preview(result, key)
            else:
                self._settle()

        def failed(message: str, details: str) -> None:
            from app._errors import report_error

            self._show_error(f"Could not preview {dataset_id}: {message}")
            report_error("Could not preview the dataset", message, details)

        self._awaited_key = key

        def progress(what: str, done: int, total: int) -> None:  # on the loading thread
            try:
                self.loading_step.emit(key, what, done, total)
            except RuntimeError:  # the panel is gone (its window closed): the load goes on
                pass

        self._loading.start(
            lambda: _load(dataset_id, workspace, seed, val_fraction, augmentation, progress),
            done,
            failed,
        )

    def _val_fraction(self) -> float:
        """The form's validation share when it is a valid one, else the plugin's default."""
        plugin = self.form.plugin
        default = (plugin.full_schema() if plugin else TRAINING_SCHEMA).defaults()["val_fraction"]
        if plugin is None:
            return float(default)
        try:
            return float(self.val_fraction())
        except (UsageError, KeyError):
            return float(default)

    def _augmentation(self) -> dict[str, Any]:
        """The form's valid augmentation settings (an invalid one is the form's to show)."""
        plugin = self.form.plugin
        if plugin is None or self.setting is None:
            return {}
        values = {}
        for name in plugin.full_schema().names():
            if name.startswith(AUGMENT_PREFIX):
                try:
                    values[name] = self.setting(name)
                except (UsageError, KeyError, AttributeError):
                    continue
        return values

    # -- showing -----------------------------------------------------------------------------
    def _clear(self) -> None:
        self.preview, self._shown_key = None, None
        self.busy.hide()
        self.error.hide()
        self.details.hide()
        self.balance_caption.hide()
        self.excerpt.hide()
        self.thumbnails.hide()
        self.augmented_caption.hide()
        self.augmented_thumbnails.hide()
        for plot in (self.bars, self.plot):
            if plot is not None:
                plot.hide()
        for row in (self.thumbnail_row, self.augmented_row):
            while row.count():
                widget = row.takeAt(0).widget()
                if widget is not None:
                    widget.setParent(None)
                    widget.deleteLater()

    def _settle(self) -> None:
        self.busy.hide()
        self.settled.emit()

    def _show_loading(self, text: str) -> None:
        """``text`` above the busy bar, until an answer comes."""
        self._show_message(text, settle=False)
        self.busy.setRange(0, 0)  # moving, until a long load says how far it is
        self.busy.show()

    def _show_step(self, key: tuple, what: str, done: int, total: int) -> None:
        """How far a long load is (a folder's images decoded the first time), under the
        "Loading a preview" line; steps of a preview no longer awaited are dropped."""
        if key != self._awaited_key or not self._loading.running or not self.busy.isVisible():
            return
        self.summary.setText(f"Loading a preview of {key[0]}…\n{what}: {done:,} of {total:,}")
        self.busy.setRange(0, max(1, total))
        self.busy.setValue(done)

    def _show_message(self, text: str, settle: bool = True) -> None:
        self._clear()
        self.summary.setText(text)
        self.summary.setStyleSheet(MUTED_STYLE)
        self.summary.show()
        if settle:
            self._settle()

    def _show_error(self, text: str) -> None:
        self._clear()
        self.summary.hide()
        self.error.setText(text)
        self.error.show()
        self._settle()

    def _show_preview(self, preview: Any, key: tuple) -> None:
        from engine.data import PreviewKind as Kind

        self._clear()
        self.preview, self._shown_key = preview, key
        sizes = preview.sizes
        self.summary.setStyleSheet("font-weight: 600;")
        self.summary.show()
        self.summary.setText(
            f"{preview.total:,} samples: train {sizes['train']:,} / val {sizes['val']:,} / "
            f"test {sizes['test']:,}"
        )
        shape = " × ".join(str(n) for n in preview.input_shape)
        facts = [preview.kind, f"input {shape}"]
        if preview.class_names:
            facts.append(f"{len(preview.class_names)} classes")
        self.details.setText(" · ".join(facts) + "".join(f"\n{n}" for n in preview.notes))
        self.details.show()
        if preview.class_counts:
            self._show_balance(preview)
        if preview.kind in (Kind.IMAGES, Kind.SERIES):
            color = self.palette().color(self.foregroundRole())
            for row, samples in (
                (self.thumbnail_row, preview.samples),
                (self.augmented_row, preview.augmented),
            ):
                for sample in samples:
                    if preview.kind == Kind.IMAGES:
                        pixmap = _image_pixmap(sample.data)
                    else:
                        pixmap = _series_pixmap(sample.data, color)
                    self._add_thumbnail(pixmap, sample.label, row)
        elif preview.kind == Kind.FORECASTING:
            self._show_series(preview)
        elif preview.kind == Kind.POINTS:
            self._show_points(preview)
        elif preview.kind in (Kind.TEXT, Kind.TOKENS):
            if preview.kind == Kind.TEXT:
                text = "\n…\n".join(sample.data for sample in preview.samples[:3])
            else:
                text = "\n".join(f"{s.data}  →  {s.label}" for s in preview.samples)
            self.excerpt.setPlainText(text)
            self.excerpt.show()
        self.thumbnails.setVisible(self.thumbnail_row.count() > 0)
        if self.thumbnails.isVisibleTo(self):
            self.thumbnail_row.addStretch(1)
        augmented = self.augmented_row.count() > 0
        self.augmented_caption.setVisible(augmented)
        self.augmented_thumbnails.setVisible(augmented)
        if augmented:
            self.augmented_row.addStretch(1)
        self._settle()
        self.shown.emit(preview)

    def _add_thumbnail(self, pixmap: QPixmap, caption: str, row: QHBoxLayout) -> None:
        cell = QWidget()
        column = QVBoxLayout(cell)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        picture = QLabel()
        original = row is self.thumbnail_row
        picture.setObjectName("previewThumbnail" if original else "previewAugmentedThumbnail")
        picture.setPixmap(pixmap)
        picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        picture.setToolTip(caption)
        label = QLabel(caption)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column.addWidget(picture)
        column.addWidget(label)
        row.addWidget(cell)

    def _plot_widget(self, attribute: str, height: int):
        import pyqtgraph as pg  # loaded lazily: the window opens without it

        from app.dashboards import plain_axes

        plot = getattr(self, attribute)
        if plot is None:
            plot = pg.PlotWidget()
            plain_axes(plot.getPlotItem())  # values as they are, as on every plot
            plot.setObjectName(f"datasetPreview_{attribute}")
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.setFixedHeight(height)
            self._slots[attribute].addWidget(plot)
            setattr(self, attribute, plot)
        plot.clear()
        plot.getPlotItem().setAspectLocked(False)
        plot.show()
        return plot

    def _show_balance(self, preview: Any) -> None:
        import pyqtgraph as pg

        names = preview.class_names
        self.balance_caption.setText(
            "Class balance: "
            + " ".join(f"<span style='color:{c}'>■</span> {s}" for s, c in SPLIT_COLORS.items())
        )
        self.balance_caption.show()
        plot = self._plot_widget("bars", 120)
        positions = np.arange(len(names))
        bottom = np.zeros(len(names))
        for split, color in SPLIT_COLORS.items():
            heights = np.asarray(preview.class_counts[split], dtype=float)
            plot.addItem(
                pg.BarGraphItem(
                    x=positions, y0=bottom, height=heights, width=0.8, brush=color, pen=None
                )
            )
            bottom = bottom + heights
        every = max(1, int(np.ceil(len(names) / 12)))
        shown = [(i, _short(names[i])) for i in range(0, len(names), every)]
        plot.getAxis("bottom").setTicks([shown, []])
        plot.setXRange(-0.6, len(names) - 0.4, padding=0)
        plot.setYRange(0, float(bottom.max()) * 1.05 or 1, padding=0)

    def _show_series(self, preview: Any) -> None:
        import pyqtgraph as pg

        plot = self._plot_widget("plot", 160)
        series = preview.series
        plot.plot(np.arange(len(series)), series, pen=pg.mkPen(SPLIT_COLORS["train"]))
        val_start, test_start = preview.boundaries
        for (start, end), split in (((val_start, test_start), "val"), ((test_start, None), "test")):
            shade = QColor(SPLIT_COLORS[split])
            shade.setAlpha(60)
            region = pg.LinearRegionItem(
                (start, end or len(series)), movable=False, brush=shade, pen=pg.mkPen(None)
            )
            plot.addItem(region)
        plot.setTitle(
            "target over time (shaded: <span style='color:#E69F00'>val</span>, "
            "<span style='color:#009E73'>test</span>)",
            size="9pt",
        )

    def _show_points(self, preview: Any) -> None:
        import pyqtgraph as pg

        plot = self._plot_widget("plot", 180)
        color = QColor(SPLIT_COLORS["train"])
        color.setAlpha(90)
        plot.addItem(pg.ScatterPlotItem(pos=preview.points, size=3, pen=None, brush=color))
        plot.getPlotItem().setAspectLocked(True)
        plot.setTitle(f"{len(preview.points):,} training points", size="9pt")


def _short(name: str) -> str:
    return name.removeprefix("mode ") if len(name) > 6 else name


def _image_pixmap(image: np.ndarray) -> QPixmap:
    """A ``channels x h x w`` image in [0, 1], scaled up (nearest, so pixels stay honest)."""
    pixels = np.ascontiguousarray((np.clip(image, 0.0, 1.0) * 255).astype(np.uint8))
    channels, height, width = pixels.shape
    if channels == 1:
        picture = QImage(pixels[0].data, width, height, width, QImage.Format.Format_Grayscale8)
    else:
        rgb = np.ascontiguousarray(pixels[:3].transpose(1, 2, 0))
        picture = QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    picture = picture.copy()  # own the pixels: the array goes away
    scale = max(1, THUMBNAIL // max(height, width))
    return QPixmap.fromImage(
        picture.scaled(width * scale, height * scale, mode=Qt.TransformationMode.FastTransformation)
    )


def _series_pixmap(values: np.ndarray, color: QColor) -> QPixmap:
    """A small line drawing of a 1-D series (or the first channel of a multichannel one)."""
    values = np.asarray(values, dtype=float).reshape(len(values), -1)[:, 0]
    width, height = SERIES_THUMBNAIL
    pixmap = QPixmap(width, height)
    pixmap.fill(Qt.GlobalColor.transparent)
    low, high = float(values.min()), float(values.max())
    span = high - low or 1.0
    xs = np.linspace(2, width - 2, len(values))
    ys = height - 2 - (values - low) / span * (height - 4)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(color, 1.5))
    painter.drawPolyline(QPolygonF([QPointF(x, y) for x, y in zip(xs, ys, strict=True)]))
    painter.end()
    return pixmap
