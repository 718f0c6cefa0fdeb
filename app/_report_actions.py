"""Reports of runs from the app, for the Runs browser and the sweep dashboard alike: a file
name asked for, the CSV table or HTML report written by ``engine.reports`` on the "mlflow"
queue (the code of the CLI's ``netyard report``), the outcome in one status line. A refusal
(a bad file name, a run gone from the store) is said there and leaves no file. The busy
indicator says a report is being written; closing the app waits for it to be whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QMenu, QToolButton, QWidget

from app._tasks import run_in_background

KINDS = {
    "csv": ("CSV table", ".csv", "CSV table (*.csv)"),
    "html": ("HTML report", ".html", "HTML report (*.html *.htm)"),
}


@dataclass(frozen=True)
class ReportSource:
    """What to report on: ``run_ids``, or the trials of sweep ``sweep``, in a store."""

    tracking_uri: str
    title: str
    file_stem: str
    run_ids: tuple[str, ...] = ()
    sweep: str | None = None


def ask_report_file(parent: QWidget, fmt: str, stem: str) -> str | None:
    """A file name for a report of format ``fmt``; its suffix added when the user gave none."""
    what, suffix, name_filter = KINDS[fmt]
    path, _chosen = QFileDialog.getSaveFileName(
        parent, f"Export {what}", f"{_safe_stem(stem)}{suffix}", name_filter
    )
    if not path:
        return None
    return path if Path(path).suffix else path + suffix


def write_report_in_background(
    owner: QObject,
    source: ReportSource,
    path: str,
    fmt: str,
    say: Callable[[str], None],
    done: Callable[[str], None],
) -> None:
    """Write the report off the GUI thread: ``say`` that it is on its way, then ``done`` with
    the outcome (what was written, or why nothing was)."""
    doing = f"Writing the {KINDS[fmt][0]} to {path}…"
    say(doing)

    def work() -> str:
        from engine.reports import write_report
        from engine.tracking import open_client

        client = open_client(source.tracking_uri)
        written = write_report(client, path, source.run_ids, source.sweep, source.title, fmt)
        return written.describe()

    def failed(message: str, _details: str) -> None:
        done(f"Export failed: {message.removeprefix('UsageError: ')}")

    run_in_background(
        work, done, failed, queue="mlflow", owner=owner, busy=doing, finish_before_exit=True
    )


class ReportMenu(QObject):
    """A tool button with a menu of the two reports. ``source()`` says what to report on at
    the moment one is asked for (None: nothing to report). ``finished(line)`` carries the
    outcome, also given to ``say``."""

    finished = Signal(str)

    def __init__(
        self,
        parent: QWidget,
        label: str,
        what: str,
        source: Callable[[], ReportSource | None],
        say: Callable[[str], None],
    ) -> None:
        super().__init__(parent)
        self.parent_widget, self.source, self.say = parent, source, say
        self.menu = QMenu(label, parent)
        self.csv_action = self._action(f"{what} as CSV…", "csv")
        self.html_action = self._action(f"{what} as HTML report…", "html")
        self.button = QToolButton(parent)
        self.button.setText(label)
        self.button.setMenu(self.menu)
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu.aboutToShow.connect(self.update_actions)

    def _action(self, text: str, fmt: str) -> QAction:
        action = QAction(text, self.menu)
        action.triggered.connect(lambda _checked=False: self.export(fmt))
        self.menu.addAction(action)
        return action

    def update_actions(self) -> None:
        ready = self.source() is not None
        self.button.setEnabled(ready)
        self.csv_action.setEnabled(ready)
        self.html_action.setEnabled(ready)

    def export(self, fmt: str, path: str | None = None) -> None:
        """Ask for a file (unless ``path`` is given) and write the report there."""
        source = self.source()
        if source is None:
            return
        path = path or ask_report_file(self.parent_widget, fmt, source.file_stem)
        if path:
            write_report_in_background(self, source, path, fmt, self.say, self.outcome)

    def outcome(self, line: str) -> None:
        """Say how an export ended, and tell ``finished``."""
        self.say(line)
        self.finished.emit(line)


def _safe_stem(name: str) -> str:
    """A run's or sweep's name as a file name: no folder separators."""
    return "".join("-" if c in '/\\:*?"<>|' else c for c in name).strip() or "report"
