"""Reports of runs from the app, for the Runs browser and the sweep dashboard alike: a file
name asked for, the CSV table or HTML report written by ``engine.reports`` on the "mlflow"
queue (the code of the CLI's ``netyard report``), the outcome in one status line. Where the
runs' datasets are at hand (the Runs browser), the HTML report can also explain each run's
predictions on its first test samples (``netyard report --explain``). A refusal
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
    datasets_dir: str | None = None  # the workspace's: needed to explain test samples


# The most faithful method in benchmarks/bench_explain_faithfulness.py.
EXPLAIN_METHOD = "integrated_gradients"


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
    explain: str | None = None,
) -> None:
    """Write the report off the GUI thread: ``say`` that it is on its way, then ``done`` with
    the outcome (what was written, or why nothing was). ``explain``: the method that explains
    each run's first test samples in the HTML report."""
    what = KINDS[fmt][0] + (" with explanations" if explain else "")
    doing = f"Writing the {what} to {path}…"
    say(doing)

    def work() -> str:
        from engine.reports import write_report
        from engine.tracking import open_client

        client = open_client(source.tracking_uri)
        datasets = Path(source.datasets_dir) if source.datasets_dir else None
        written = write_report(client, path, source.run_ids, source.sweep, source.title, fmt,
                               explain=explain, datasets_dir=datasets)  # fmt: skip
        return written.describe()

    def failed(message: str, _details: str) -> None:
        done(f"Export failed: {message.removeprefix('UsageError: ')}")

    run_in_background(
        work, done, failed, queue="mlflow", owner=owner, busy=doing, finish_before_exit=True
    )


class ReportMenu(QObject):
    """A tool button with a menu of the two reports. ``source()`` says what to report on at
    the moment one is asked for (None: nothing to report). With ``explanations``, a third
    action writes the HTML report with each run's predictions explained (when the source has
    its datasets folder). ``finished(line)`` carries the outcome, also given to ``say``."""

    finished = Signal(str)

    def __init__(
        self,
        parent: QWidget,
        label: str,
        what: str,
        source: Callable[[], ReportSource | None],
        say: Callable[[str], None],
        explanations: bool = False,
    ) -> None:
        super().__init__(parent)
        self.parent_widget, self.source, self.say = parent, source, say
        self.menu = QMenu(label, parent)
        self.csv_action = self._action(f"{what} as CSV…", "csv")
        self.html_action = self._action(f"{what} as HTML report…", "html")
        self.explained_action = None
        if explanations:
            self.explained_action = self._action(
                f"{what} as HTML report with explanations…", "html", EXPLAIN_METHOD
            )
            self.explained_action.setToolTip(
                "Also explain each run's predictions on its first 8 test samples "
                "(integrated gradients: red supports the prediction, blue speaks against it)"
            )
        self.button = QToolButton(parent)
        self.button.setText(label)
        self.button.setMenu(self.menu)
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu.aboutToShow.connect(self.update_actions)

    def _action(self, text: str, fmt: str, explain: str | None = None) -> QAction:
        action = QAction(text, self.menu)
        action.triggered.connect(lambda _checked=False: self.export(fmt, explain=explain))
        self.menu.addAction(action)
        return action

    def update_actions(self) -> None:
        ready = self.source() is not None
        self.button.setEnabled(ready)
        self.csv_action.setEnabled(ready)
        self.html_action.setEnabled(ready)
        if self.explained_action is not None:
            source = self.source()
            self.explained_action.setEnabled(source is not None and bool(source.datasets_dir))

    def export(self, fmt: str, path: str | None = None, explain: str | None = None) -> None:
        """Ask for a file (unless ``path`` is given) and write the report there, with each
        run's predictions explained by method ``explain`` when given."""
        source = self.source()
        if source is None:
            return
        path = path or ask_report_file(self.parent_widget, fmt, source.file_stem)
        if path:
            write_report_in_background(self, source, path, fmt, self.say, self.outcome, explain)

    def outcome(self, line: str) -> None:
        """Say how an export ended, and tell ``finished``."""
        self.say(line)
        self.finished.emit(line)


def _safe_stem(name: str) -> str:
    """A run's or sweep's name as a file name: no folder separators."""
    return "".join("-" if c in '/\\:*?"<>|' else c for c in name).strip() or "report"
