"""One zoomable, pannable image for every picture the app shows: confusion matrices, GAN
sample grids, attention maps, the compared artifacts, a prediction's input.

Fitted to its view at first, shrunk and never enlarged: whole, as image viewers open a
picture, or to the view's width, as web pages show a figure (``ZoomImage.opens``). The
buttons, the keys + - 0 1 and a double click (100 % under the pointer, or back to fit) zoom;
a drag pans. A zoom the user chose is kept when the image changes (another run, another
step), so the same place of each can be looked at in turn; ``link_views`` makes several
views zoom and pan together (the compared runs' images).

The wheel zooms around the pointer, as in image viewers (Eye of GNOME, Windows Photos, GIMP
with Ctrl). Inside a scroll area (a form) it zooms only with Ctrl held or once the view has
the focus (a click): otherwise the wheel scrolls the area, as an embedded map in a web page
does and as the form fields do (``app._wheel_guard``), so scrolling a page never zooms a
picture that slides under the pointer.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QImage, QPixmap, QTransform
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QStackedLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app._wheel_guard import _scroll_area_of as scroll_area_of

STEP = 1.25  # one wheel notch or button press
MIN_SCALE, MAX_SCALE = 1 / 16, 16.0
# Pixel data (an 8 x 8 digit, a 6 x 6 attention map) is enlarged by a whole factor to about
# this many pixels a side, each pixel kept sharp, so 100 % is a size that can be read.
READABLE_SIDE = 480
WHOLE, WIDTH = "whole", "width"  # how an image is fitted to its view


def array_pixmap(
    array: np.ndarray, colormap: str = "viridis", levels: tuple[float, float] | None = None
) -> QPixmap:
    """A 2-D array drawn through ``colormap`` (between ``levels``, its own range by default),
    or an H x W x 3 colour image in [0, 1], enlarged by a whole factor (``READABLE_SIDE``)."""
    values = np.asarray(array, dtype=float)
    if values.ndim == 2:
        if levels is None:
            levels = (np.nanmin(values), np.nanmax(values)) if values.size else (0.0, 1.0)
        low, high = levels
        unit = np.nan_to_num((values - low) / ((high - low) or 1.0)).clip(0, 1)
        colors = pg.colormap.get(colormap).map(unit.ravel(), mode="byte")
        rgba = np.asarray(colors, dtype=np.uint8).reshape(*values.shape, 4)
    else:
        rgb = (np.nan_to_num(values[..., :3]).clip(0, 1) * 255).astype(np.uint8)
        rgba = np.concatenate([rgb, np.full((*rgb.shape[:2], 1), 255, np.uint8)], axis=2)
    factor = max(1, READABLE_SIDE // max(1, *rgba.shape[:2]))
    rgba = np.ascontiguousarray(rgba.repeat(factor, axis=0).repeat(factor, axis=1))
    height, width = rgba.shape[:2]
    image = QImage(rgba.data, width, height, 4 * width, QImage.Format.Format_RGBA8888)
    return QPixmap.fromImage(image.copy())  # the copy owns its pixels; ``rgba`` goes away


class _Canvas(QGraphicsView):
    """The picture itself: drag to pan; the wheel and double clicks go to the owner."""

    def __init__(self, owner: ZoomImage) -> None:
        super().__init__()
        self.owner = owner
        self.item = QGraphicsPixmapItem()
        scene = QGraphicsScene(self)
        scene.addItem(self.item)
        self.setScene(scene)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt's name
        held = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        area = scroll_area_of(self.owner)
        if area is not None and not held and not self.hasFocus():
            QApplication.sendEvent(area.viewport(), event.clone())  # the page scrolls
            return
        notches = event.angleDelta().y() / 120
        if notches:
            self.owner.zoom_to(self.owner.scale * STEP**notches, event.position())
        event.accept()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self.owner.scale < 1:
            self.owner.zoom_to(1.0, event.position())
        else:
            self.owner.fit()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.owner.fit_mode is not None:
            self.owner.refit()


class ZoomImage(QWidget):
    """``set_image(pixmap)`` or ``set_array(values)``; ``text`` shows where there is none.

    ``opens`` is how an image is first fitted: ``WHOLE`` (pixel data: samples, attention) or
    ``WIDTH``, shrunk to the view's width and seen from its top, as web pages and the MLflow
    UI show a figure (a confusion matrix in a wide, low pane stays at 100 %, its counts
    legible, where fitting it whole made it 180 pixels high)."""

    view_changed = Signal()  # the user zoomed or panned
    WHOLE, WIDTH = WHOLE, WIDTH

    def __init__(
        self, text: str = "", title: str = "", opens: str = WHOLE, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.original: QPixmap | None = None
        self.opens = opens
        # WHOLE or WIDTH: fitted so, again as the view resizes; None: the user's own zoom.
        self.fit_mode: str | None = opens
        self._following = False  # set while copying a linked view: no echo back
        self.title = QLabel(title)
        self.title.setVisible(bool(title))
        self.percent = QLabel()
        self.percent.setMinimumWidth(44)
        self.buttons: dict[str, QToolButton] = {}
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.setSpacing(2)
        bar.addWidget(self.title)
        bar.addStretch(1)
        for name, label, tip, action in (
            ("out", "−", "Zoom out (wheel down, −)", self.zoom_out),
            ("in", "+", "Zoom in (wheel up, +)", self.zoom_in),
            ("fit", "Fit", "Fit the whole image in view (0)", self.fit),
            ("actual", "100 %", "Actual size: one image pixel a screen pixel (1)", self.actual),
            ("window", "Window", "Open at 100 % in a window of its own", self.open_window),
        ):
            button = QToolButton()
            button.setText(label)
            button.setToolTip(tip)
            button.setAutoRaise(True)
            button.clicked.connect(action)
            bar.addWidget(button)
            self.buttons[name] = button
        bar.addWidget(self.percent)
        self.canvas = _Canvas(self)
        self.canvas.setToolTip("Drag to pan; wheel or double click to zoom")
        self.message = QLabel(text)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        # The stack joins this widget's layout before it gets its pages: a page added to a
        # layout without a widget becomes a window of its own, shown for a moment, and takes
        # the keyboard focus away from the main window.
        self.stack = QStackedLayout()
        layout.addLayout(self.stack, 1)
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.canvas)
        for bar_widget in (self.canvas.horizontalScrollBar(), self.canvas.verticalScrollBar()):
            bar_widget.valueChanged.connect(self._scrolled)
        self._show_controls(False)

    # -- content -------------------------------------------------------------------------
    def text(self) -> str:
        """What is shown instead of an image (empty while one is shown)."""
        return "" if self.original is not None else self.message.text()

    def set_image(self, pixmap: QPixmap | None, text: str = "") -> None:
        """Show ``pixmap`` (at the zoom the user chose, or fitted), or ``text`` for none."""
        self.original = pixmap if pixmap is not None and not pixmap.isNull() else None
        if self.original is None:
            self.message.setText(text)
            self.stack.setCurrentWidget(self.message)
            self._show_controls(False)
            return
        self.canvas.item.setPixmap(self.original)
        self.canvas.scene().setSceneRect(self.canvas.item.boundingRect())
        self.stack.setCurrentWidget(self.canvas)
        self._show_controls(True)
        if self.fit_mode is not None:
            self.refit()
        else:
            self._apply(self.scale)

    def set_array(
        self,
        values: np.ndarray,
        colormap: str = "viridis",
        levels: tuple[float, float] | None = None,
    ) -> None:
        self.set_image(array_pixmap(values, colormap, levels))

    # -- zoom ------------------------------------------------------------------------------
    @property
    def scale(self) -> float:
        """How many screen pixels an image pixel takes (1.0: 100 %)."""
        return self.canvas.transform().m11()

    def zoom_in(self) -> None:
        self.zoom_to(self.scale * STEP)

    def zoom_out(self) -> None:
        self.zoom_to(self.scale / STEP)

    def actual(self) -> None:
        self.zoom_to(1.0)

    def zoom_to(self, scale: float, anchor: QPointF | QPoint | None = None) -> None:
        """Zoom to ``scale``, the image point under ``anchor`` (a point of the view; its
        centre by default) staying where it is."""
        if self.original is None:
            return
        self.fit_mode = None
        viewport = self.canvas.viewport().rect()
        anchor = QPointF(anchor) if anchor is not None else QPointF(viewport.center())
        before = self.canvas.mapToScene(anchor.toPoint())
        scale = min(MAX_SCALE, max(MIN_SCALE, scale))
        self._apply(scale)
        offset = (anchor - QPointF(viewport.center())) / scale
        self.canvas.centerOn(QPointF(before) - offset)
        self.view_changed.emit()

    @property
    def fitting(self) -> bool:
        """Whether the image is fitted to the view (not at a zoom the user chose)."""
        return self.fit_mode is not None

    def fit(self) -> None:
        """The whole image in view: shrunk to fit, never enlarged (as viewers open one)."""
        self.fit_mode = WHOLE
        self.refit()

    def refit(self) -> None:
        """Fit the image again as ``fit_mode`` says (the view resized, another image)."""
        if self.original is None or self.fit_mode is None:
            return
        viewport = self.canvas.viewport().size()
        width, height = self.original.width(), self.original.height()
        room = viewport.width() / width
        if self.fit_mode == WHOLE:
            room = min(room, viewport.height() / height)
        elif room * height > viewport.height():  # a vertical scroll bar will take its width
            room = (viewport.width() - self.canvas.verticalScrollBar().sizeHint().width()) / width
        self._apply(min(1.0, max(MIN_SCALE, room)))
        self.canvas.centerOn(self.canvas.item)
        if self.fit_mode == WIDTH:  # its top in sight: a figure's title, a matrix's first rows
            bar = self.canvas.verticalScrollBar()
            bar.setValue(bar.minimum())
        self.view_changed.emit()

    def _apply(self, scale: float) -> None:
        self.canvas.setTransform(QTransform.fromScale(scale, scale))
        # Shrunk: smoothed, or thin lines and digits break up; enlarged: each pixel a sharp
        # square, as image viewers show pixels (smoothing blurs a sample's or a map's cells).
        smooth = Qt.TransformationMode.SmoothTransformation
        sharp = Qt.TransformationMode.FastTransformation
        self.canvas.item.setTransformationMode(smooth if scale < 1 else sharp)
        self.percent.setText(f"{scale:.0%}")

    # -- keys, linked views, a window of its own -------------------------------------------
    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        actions = {Qt.Key.Key_Plus: self.zoom_in, Qt.Key.Key_Equal: self.zoom_in,
                   Qt.Key.Key_Minus: self.zoom_out, Qt.Key.Key_0: self.fit,
                   Qt.Key.Key_1: self.actual}  # fmt: skip
        action = actions.get(Qt.Key(event.key()))
        if action is None or self.original is None:
            super().keyPressEvent(event)
        else:
            action()

    def scroll_fraction(self) -> tuple[float, float]:
        """Where the view is across the image, 0 to 1 each way."""
        bars = self.canvas.horizontalScrollBar(), self.canvas.verticalScrollBar()
        return tuple(  # type: ignore[return-value]
            (bar.value() - bar.minimum()) / (bar.maximum() - bar.minimum())
            if bar.maximum() > bar.minimum() else 0.5
            for bar in bars
        )  # fmt: skip

    def follow(self, other: ZoomImage) -> None:
        """Zoom and pan as ``other`` is (a linked view)."""
        if self.original is None:
            return
        self._following = True
        try:
            self.fit_mode = other.fit_mode
            if other.fit_mode is not None:
                self.refit()
            else:
                self._apply(other.scale)
            for bar, fraction in zip(
                (self.canvas.horizontalScrollBar(), self.canvas.verticalScrollBar()),
                other.scroll_fraction(),
                strict=True,
            ):
                bar.setValue(round(bar.minimum() + fraction * (bar.maximum() - bar.minimum())))
        finally:
            self._following = False

    def _scrolled(self) -> None:
        if not self._following and self.original is not None:
            self.view_changed.emit()

    def open_window(self) -> ZoomImage | None:
        """The image at 100 % in a window of its own (as large as the screen allows)."""
        if self.original is None:
            return None
        window = ZoomImage(opens=WHOLE)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.setWindowTitle(self.title.text() or self.window().windowTitle() or "Image")
        window.buttons["window"].hide()
        window.setParent(self, Qt.WindowType.Window)  # closed with the app, not kept alive
        screen = (self.screen() or QApplication.primaryScreen()).availableGeometry()
        size = self.original.size()
        window.resize(min(size.width() + 24, int(screen.width() * 0.9)),
                      min(size.height() + 48, int(screen.height() * 0.9)))  # fmt: skip
        window.show()
        window.set_image(self.original)
        window.actual()
        return window

    def _show_controls(self, shown: bool) -> None:
        for button in self.buttons.values():
            button.setEnabled(shown)
        self.percent.setText(f"{self.scale:.0%}" if shown else "")


def link_views(views: list[ZoomImage]) -> None:
    """Zooming or panning one of ``views`` does the same to the others."""

    def follow_from(source: ZoomImage) -> None:
        for view in views:
            if view is not source and not source._following:
                view.follow(source)

    for view in views:
        view.view_changed.connect(lambda view=view: follow_from(view))
