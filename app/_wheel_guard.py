"""Fields change on the mouse wheel only when they have focus.

Qt gives a spin box, a combo box or a slider the wheel (and the focus) as soon as the pointer
passes over it, so scrolling a long form changed whatever field slid under the pointer
(``channels`` 64 became 54 while the status still said "Ready to start"). Once installed, a
field takes the focus only on a click or Tab, and a wheel over a field without focus scrolls
what holds it instead (the form's scroll area), as in browsers' and most desktop forms. The
wheel is handed to the scroll area itself: Qt passes only the wheel events of the windowing
system on to parents, and a test's must scroll the same way.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QScrollBar,
    QWidget,
)

FIELDS = (QAbstractSpinBox, QComboBox, QAbstractSlider)


def _is_field(widget: object) -> bool:
    # A scroll bar is a slider too, but the one that does the scrolling.
    return isinstance(widget, FIELDS) and not isinstance(widget, QScrollBar)


def _field_of(widget: QObject) -> QWidget | None:
    """The field a widget is, or is part of (a spin box's line edit)."""
    for candidate in (widget, widget.parent() if isinstance(widget, QWidget) else None):
        if _is_field(candidate):
            return candidate
    return None


def _scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent


class WheelGuard(QObject):
    """An application-wide event filter: sees every widget once as it is polished (fields
    lose the wheel focus) and every wheel event (one over an unfocused field goes on to the
    field's parents)."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QEvent.Type.Polish and _is_field(watched):
            if watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        elif kind == QEvent.Type.Wheel:
            field = _field_of(watched)
            if field is not None and not field.hasFocus():
                area = _scroll_area_of(field)
                if area is None:
                    event.ignore()  # not accepted: Qt offers it to the field's parents
                else:  # to the scroll area holding the field, whoever sent it
                    QApplication.sendEvent(area.viewport(), event.clone())
                return True
        return False


def install_wheel_guard() -> None:
    """Install the guard on the application, once (forms call it as they are made)."""
    app = QApplication.instance()
    if app is not None and getattr(app, "netyard_wheel_guard", None) is None:
        app.netyard_wheel_guard = WheelGuard(app)
        app.installEventFilter(app.netyard_wheel_guard)
