"""The runs browser's "Notes" tab: the selected run's note, saved as its MLflow run
description on the MLflow queue."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from app._tasks import run_in_background
from app.browser._query import RunRecord, save_note


class RunNotes(QWidget):
    """``show_rows(rows)`` shows the note of the one run selected (none for several);
    ``saved(message)`` says that Save note has written it."""

    saved = Signal(str)

    def __init__(self, tracking_uri: Callable[[], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tracking_uri = tracking_uri
        self.row: RunRecord | None = None
        self.note = QPlainTextEdit()
        self.note.setObjectName("runNote")
        self.note.setPlaceholderText(
            "Notes on the selected run (saved as the MLflow run description)"
        )
        self.save_button = QPushButton("Save note")
        self.save_button.setObjectName("saveNoteButton")
        self.save_button.clicked.connect(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note, 1)
        layout.addWidget(self.save_button, 0, Qt.AlignmentFlag.AlignRight)

    def show_rows(self, rows: list[RunRecord]) -> None:
        self.row = rows[0] if len(rows) == 1 else None
        self.note.setEnabled(self.row is not None)
        self.save_button.setEnabled(self.row is not None)
        self.note.setPlainText(self.row.note if self.row is not None else "")

    def save(self) -> None:
        row, text, uri = self.row, self.note.toPlainText(), self.tracking_uri()
        if row is None:
            return
        row.note = text
        run_in_background(
            lambda: save_note(uri, row.run_id, text),
            lambda _run_id: self.saved.emit(f"Note saved on run {row.name}"),
            queue="mlflow",
            owner=self,
            finish_before_exit=True,  # closing the app waits for the note to be written
        )
