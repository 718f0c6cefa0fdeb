"""What the app is busy with, said at once: an indeterminate bar and a sentence.

Every action that can take more than a second (starting a web UI, loading runs, exporting,
registering, predicting, writing a report) passes ``busy="Doing this…"`` to
``run_in_background``: the sentence is listed here from the moment the task is queued until
its answer arrives, and the ``BusyIndicator`` in the main window's status bar shows the
latest one, so no wait is silent. Views that wait on one thing of their own (the dataset
preview) show a ``BusyBar`` in the view instead.

GUI thread only (``run_in_background`` begins and ends the work there).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

BAR_WIDTH = 160  # narrow: a full-width busy bar reads as a finished progress bar
BAR_HEIGHT = 12


class BusyWork(QObject):
    """The sentences of the work in progress, oldest first; ``changed`` on each change."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._doing: dict[object, str] = {}

    def begin(self, sentence: str) -> object:
        """List ``sentence``; returns the token that ``end`` takes."""
        token = object()
        self._doing[token] = sentence
        self.changed.emit()
        return token

    def end(self, token: object) -> None:
        """The work of ``token`` is over (again: nothing happens)."""
        if self._doing.pop(token, None) is not None:
            self.changed.emit()

    @property
    def sentences(self) -> list[str]:
        return list(self._doing.values())


_work: BusyWork | None = None


def busy_work() -> BusyWork:
    """The app's one list of work in progress."""
    global _work
    if _work is None:
        _work = BusyWork()
    return _work


class BusyBar(QProgressBar):
    """A short, thin indeterminate bar (Qt animates it while minimum == maximum == 0)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, 0)
        self.setTextVisible(False)
        self.setFixedSize(BAR_WIDTH, BAR_HEIGHT)


class BusyIndicator(QWidget):
    """The latest sentence of ``work`` beside a busy bar; hidden while nothing is going on.
    With several things going on, it says how many others there are."""

    def __init__(self, work: BusyWork | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("busyIndicator")
        self.work = work or busy_work()
        self.bar = BusyBar()
        self.label = QLabel()
        self.label.setObjectName("busyText")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 6, 0)
        row.addWidget(self.bar)
        row.addWidget(self.label)
        self.work.changed.connect(self.update_from_work)
        self.update_from_work()

    def update_from_work(self) -> None:
        sentences = self.work.sentences
        if not sentences:
            self.hide()
            return
        others = len(sentences) - 1
        more = f" (and {others} more)" if others else ""
        self.label.setText(sentences[-1] + more)
        self.setToolTip("\n".join(sentences))
        self.show()
