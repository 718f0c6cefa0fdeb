"""Opening a web page: in the user's web browser, or, when none can be opened (no browser on
the machine, a remote session, Qt's offscreen platform), a dialog with the address to open
by hand and a Copy button, so that a web UI the app started is never out of reach."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

MIN_WIDTH = 520


def open_in_browser(url: str, parent: QWidget | None = None, what: str = "the page") -> bool:
    """Open ``url`` in the web browser; when that fails, show it in a ``UrlDialog`` (not
    modal: the app goes on). True when a browser was asked to open it."""
    if QDesktopServices.openUrl(QUrl(url)):
        return True
    dialog = UrlDialog(url, what, parent)
    dialog.open()
    return False


class UrlDialog(QDialog):
    """``url`` in a selectable field, with a button that copies it to the clipboard."""

    def __init__(self, url: str, what: str = "the page", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("urlDialog")
        self.setWindowTitle("Open in a web browser")
        self.setMinimumWidth(MIN_WIDTH)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.url = url
        message = QLabel(f"No web browser could be opened. Open this address in one to see {what}:")
        message.setWordWrap(True)
        self.field = QLineEdit(url)
        self.field.setObjectName("urlField")
        self.field.setReadOnly(True)
        self.field.selectAll()
        self.copy_button = QPushButton("Copy")
        self.copy_button.setObjectName("copyUrlButton")
        self.copy_button.clicked.connect(self.copy)
        row = QHBoxLayout()
        row.addWidget(self.field, 1)
        row.addWidget(self.copy_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(message)
        layout.addLayout(row)
        layout.addWidget(buttons)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.url)
        self.copy_button.setText("Copied")
