"""Errors become dialogs with details, never a silent console traceback.

``install_excepthook`` routes exceptions raised in slots (which Qt would only print) to a
dialog; the app keeps running. Tests and headless use can swap the reporter.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

from PySide6.QtWidgets import QApplication, QMessageBox

Reporter = Callable[[str, str, str], None]


def show_error_dialog(title: str, message: str, details: str = "") -> None:
    """A non-blocking message box whose "Show Details…" holds the traceback."""
    parent = QApplication.activeWindow()
    box = QMessageBox(
        QMessageBox.Icon.Critical, title, message, QMessageBox.StandardButton.Ok, parent
    )
    if details:
        box.setDetailedText(details)
    box.setModal(False)
    box.setObjectName("errorDialog")
    box.open()
    _open_dialogs.append(box)
    box.finished.connect(lambda _result: _open_dialogs.remove(box))


_open_dialogs: list[QMessageBox] = []
_reporter: Reporter = show_error_dialog
reported: list[tuple[str, str, str]] = []  # every error shown, newest last (tests read it)


def set_reporter(reporter: Reporter) -> None:
    global _reporter
    _reporter = reporter


def report_error(title: str, message: str, details: str = "") -> None:
    reported.append((title, message, details))
    print(f"netyard: {title}: {message}", file=sys.stderr)
    try:
        _reporter(title, message, details)
    except Exception:  # noqa: BLE001 - the reporter itself must never take the app down
        traceback.print_exc()


def install_excepthook() -> None:
    def hook(kind, value, tb) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        details = "".join(traceback.format_exception(kind, value, tb))
        report_error("Unexpected error", f"{kind.__name__}: {value}", details)

    sys.excepthook = hook
