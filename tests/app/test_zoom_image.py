"""The zoomable image of confusion matrices, sample grids, attention maps and compared
artifacts: readable at 100 %, zoomed by buttons and the wheel, panned by a drag; inside a
scroll area the wheel scrolls the page unless Ctrl is held or the image has the focus."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QPixmap, QWheelEvent
from PySide6.QtWidgets import QApplication, QScrollArea, QVBoxLayout, QWidget

from app.dashboards import SnapshotView, ZoomImage, link_views
from engine.tracking.plots import confusion_matrix_png

NOTCH = 120


def wheel(view: ZoomImage, notches: int = 1, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """``notches`` of the wheel over the image's centre: up (zoom in) or down."""
    viewport = view.canvas.viewport()
    at = QPointF(viewport.rect().center())
    event = QWheelEvent(at, QPointF(viewport.mapToGlobal(at.toPoint())), QPoint(0, 0),
                        QPoint(0, notches * NOTCH), Qt.MouseButton.NoButton, modifiers,
                        Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
    QApplication.sendEvent(viewport, event)


def drag(view: ZoomImage, start: QPoint, end: QPoint) -> None:
    viewport = view.canvas.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    steps = ((QEvent.Type.MouseButtonPress, start, left), (QEvent.Type.MouseMove, end, left),
             (QEvent.Type.MouseButtonRelease, end, Qt.MouseButton.NoButton))  # fmt: skip
    for kind, at, buttons in steps:
        point = QPointF(at)
        event = QMouseEvent(kind, point, QPointF(viewport.mapToGlobal(at)), left, buttons, none)
        QApplication.sendEvent(viewport, event)


@pytest.fixture(scope="module")
def matrix_file(tmp_path_factory) -> str:
    """The confusion matrix of 10 classes the engine writes, drawn once for these tests."""
    rng = np.random.default_rng(0)
    true = rng.integers(0, 10, 1000)
    predicted = np.where(rng.random(1000) < 0.9, true, rng.integers(0, 10, 1000))
    path = tmp_path_factory.mktemp("matrix") / "confusion_matrix.png"
    confusion_matrix_png(true, predicted, [str(i) for i in range(10)], path)
    return str(path)


def shown_width(view: ZoomImage) -> int:
    """The image's width on screen, in pixels."""
    return view.canvas.mapFromScene(view.canvas.item.boundingRect()).boundingRect().width()


def test_a_confusion_matrix_zooms_and_pans(qtbot, matrix_file):
    view = ZoomImage("no matrix yet")
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    assert view.text() == "no matrix yet" and not view.buttons["in"].isEnabled()
    pixmap = QPixmap(matrix_file)
    # 10 classes in cells of 50 pixels: counts in 10-point type, read at 100 %.
    assert pixmap.width() >= 600 and pixmap.height() >= 600
    view.set_image(pixmap)
    assert view.fitting and view.scale < 1  # shrunk to fit the view, whole
    assert shown_width(view) <= 400

    view.actual()
    assert view.scale == 1.0 and shown_width(view) >= 600  # far more than the 180 of old
    view.zoom_in()
    assert view.scale > 1.0
    view.zoom_out()
    view.zoom_out()
    assert view.scale < 1.0
    view.actual()

    wheel(view)  # not in a scroll area: the wheel zooms, as in image viewers
    assert view.scale > 1.0
    bars = view.canvas.horizontalScrollBar(), view.canvas.verticalScrollBar()
    before = [bar.value() for bar in bars]
    drag(view, QPoint(200, 150), QPoint(120, 90))  # dragged left and up: the view moves on
    assert [bar.value() for bar in bars] == [before[0] + 80, before[1] + 60]

    view.set_image(QPixmap(matrix_file))  # another run's: seen at the zoom chosen
    assert not view.fitting and view.scale > 1.0
    view.fit()
    assert view.scale < 1
    window = view.open_window()  # the Window button: at 100 % in a window of its own
    assert window.isWindow() and window.scale == 1.0 and window.original is view.original
    window.close()


def test_in_a_scroll_area_the_wheel_zooms_only_with_ctrl_or_focus(qtbot, matrix_file):
    page = QWidget()
    layout = QVBoxLayout(page)
    view = ZoomImage()
    view.setMinimumSize(300, 300)
    layout.addWidget(view)
    layout.addSpacing(1200)
    area = QScrollArea()
    area.setWidget(page)
    area.resize(400, 400)
    qtbot.addWidget(area)
    area.show()
    view.set_image(QPixmap(matrix_file))
    scale = view.scale

    wheel(view, -1)  # scrolling down the page, the pointer over the image
    assert view.scale == scale and area.verticalScrollBar().value() > 0
    wheel(view, 1, Qt.KeyboardModifier.ControlModifier)
    assert view.scale > scale
    scale = view.scale
    view.canvas.setFocus()  # clicked
    qtbot.waitUntil(view.canvas.hasFocus)
    wheel(view, 1)
    assert view.scale > scale


def test_compared_images_zoom_and_pan_together(qtbot, matrix_file):
    views = [ZoomImage(), ZoomImage()]
    for view in views:
        qtbot.addWidget(view)
        view.resize(300, 300)
        view.show()
        view.set_image(QPixmap(matrix_file))
    link_views(views)
    views[0].actual()
    views[0].zoom_in()
    assert views[1].scale == views[0].scale
    views[0].canvas.verticalScrollBar().setValue(0)
    assert views[1].canvas.verticalScrollBar().value() == 0
    views[1].fit()
    assert views[0].fitting and views[0].scale < 1


def test_snapshot_sample_grids_and_attention_maps_are_zoomable_images(qtbot):
    view = SnapshotView()
    qtbot.addWidget(view)
    view.resize(600, 300)
    view.show()
    digits = np.random.default_rng(0).random((16, 64)).round(3).tolist()
    view.show_snapshot(10, {"type": "images", "shape": [1, 8, 8], "images": digits}, "#1")
    (grid,) = view.findChildren(ZoomImage)
    assert grid.original.width() >= 400  # 35 pixels across, each enlarged and kept sharp
    heads = np.full((2, 6, 6), 1 / 6).tolist()
    view.show_snapshot(20, {"type": "attention", "attention": heads, "tokens": list("012012")})
    qtbot.waitUntil(lambda: len(view.findChildren(ZoomImage)) == 1)  # the grid's is gone
    (maps,) = view.findChildren(ZoomImage)
    assert maps.title.text() == "attention" and maps.original.width() >= 400


def test_a_figure_opened_to_the_width_of_a_low_pane_stays_legible(qtbot, matrix_file):
    view = ZoomImage(opens=ZoomImage.WIDTH)  # the live view's result tab, below the curves
    qtbot.addWidget(view)
    view.resize(1000, 220)
    view.show()
    view.set_image(QPixmap(matrix_file))
    assert view.scale == 1.0  # not shrunk to the pane's 200-odd pixels of height
    assert view.canvas.verticalScrollBar().value() == 0  # its title in sight, the rest below
    view.resize(500, 220)
    qtbot.waitUntil(lambda: view.scale < 1.0)  # narrower: fitted to the width again
