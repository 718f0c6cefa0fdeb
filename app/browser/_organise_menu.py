"""The Runs browser's Run menu (right-click on the table, or the "Run" button): rename, tags,
star, archive and restore, and Resume… for a stopped run with a checkpoint; plus the
"show: Active | Archived" and "★ only" choices of what the table lists.

The MLflow writes are ``_organise``'s and ``_resume``'s, on the "mlflow" queue; a refusal is
one line in a message box and the status line, and nothing is changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app._tasks import run_in_background
from app.browser._organise import (
    STAR_TAG,
    archive_runs,
    check_tag_key,
    edit_tags,
    is_starred,
    rename_run,
    restore_runs,
    set_starred,
    user_tags,
)  # fmt: skip
from app.browser._query import RunRecord
from app.browser._resume import ResumePoint, find_resume_point, why_not_resumable
from engine.errors import UsageError

ACTIVE, ARCHIVED = "Active", "Archived"
DIFFERS = "(differs)"  # a tag's value where the selected runs do not agree
MAX_STEPS = 1_000_000_000
Role = Qt.ItemDataRole


class RunsOrganiser(QObject):
    """The Run menu of a ``RunsBrowser``. ``resume_requested(config)`` carries the RunConfig
    of a resume; the window starts it as a job. ``current_workspace`` gives the
    workspace whose checkpoints and datasets a resumed run uses."""

    resume_requested = Signal(object)

    def __init__(self, browser) -> None:
        super().__init__(browser)
        self.browser = browser
        self.current_workspace: Callable[[], Any] = lambda: None
        self.tags_dialog: TagsDialog | None = None
        self.resume_dialog: ResumeDialog | None = None
        self.reading_checkpoint = False  # a second Resume… click meanwhile opens no second dialog

        self.show_combo = QComboBox()
        self.show_combo.setObjectName("showRuns")
        self.show_combo.addItems([ACTIVE, ARCHIVED])
        self.show_combo.setToolTip("Archived runs are MLflow's deleted runs: the MLflow UI lists "
                                   "them under Deleted; Restore brings them back")  # fmt: skip
        self.starred_only = QCheckBox("★ only")
        self.starred_only.setObjectName("starredOnly")
        self.starred_only.setToolTip("Only the starred runs (tag netyard.starred = true)")
        self.show_combo.currentIndexChanged.connect(browser.refresh)
        self.starred_only.toggled.connect(browser.refresh)

        self.menu = QMenu(browser)
        self.menu.setToolTipsVisible(True)  # a disabled Resume… says why
        self.rename_action = self._action("Rename…", self.rename_selected)
        self.tags_action = self._action("Tags…", self.edit_selected_tags)
        self.star_action = self._action("Star", self.toggle_star)
        self.menu.addSeparator()
        self.resume_action = self._action("Resume…", self.resume_selected)
        self.menu.addSeparator()
        self.archive_action = self._action("Archive…", self.archive_selected)
        self.restore_action = self._action("Restore", self.restore_selected)
        self.menu.aboutToShow.connect(self.update_actions)

        self.button = QToolButton()
        self.button.setObjectName("runMenuButton")
        self.button.setText("Run")
        self.button.setToolTip("Rename, tag, star, archive or resume the selected runs "
                               "(also on a right click in the table)")  # fmt: skip
        self.button.setMenu(self.menu)
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)

        table = browser.table
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._context_menu)

    def _action(self, text: str, slot) -> QAction:
        action = QAction(text, self.menu)
        action.triggered.connect(slot)
        self.menu.addAction(action)
        return action

    # -- what the table lists ----------------------------------------------------------------
    def query_options(self) -> dict[str, bool]:
        """``RunsQuery`` fields for the Show choice and the star filter."""
        return {
            "archived": self.show_combo.currentText() == ARCHIVED,
            "starred_only": self.starred_only.isChecked(),
        }

    # -- the menu ----------------------------------------------------------------------------
    def _context_menu(self, position: QPoint) -> None:
        self.menu.popup(self.browser.table.viewport().mapToGlobal(position))

    def _checkpoints_dir(self):
        workspace = self.current_workspace()
        return workspace.checkpoints_dir if workspace is not None else None

    def update_actions(self) -> None:
        rows = self.browser.selected_rows()
        archived = [row for row in rows if row.lifecycle_stage == "deleted"]
        active = [row for row in rows if row.lifecycle_stage != "deleted"]
        self.rename_action.setEnabled(len(active) == 1 and not archived)
        self.tags_action.setEnabled(bool(active) and not archived)
        all_starred = bool(rows) and all(is_starred(row.tags) for row in rows)
        self.star_action.setText("Unstar" if all_starred else "Star")
        self.star_action.setEnabled(bool(active) and not archived)
        self.archive_action.setEnabled(bool(active) and not archived)
        self.archive_action.setText(f"Archive {_runs(len(active))}…" if active else "Archive…")
        self.restore_action.setEnabled(bool(archived) and not active)
        self.restore_action.setVisible(bool(archived) or self.query_options()["archived"])
        reason = "select one run" if len(rows) != 1 else self._why_not_resumable(rows[0])
        self.resume_action.setEnabled(reason is None)
        self.resume_action.setToolTip(
            "Train this run further from its checkpoint, in the same MLflow run"
            if reason is None
            else f"Cannot resume: {reason}"
        )

    def _why_not_resumable(self, row: RunRecord) -> str | None:
        return why_not_resumable(
            row.run_id, row.status, row.lifecycle_stage, row.tags, self._checkpoints_dir()
        )

    # -- the actions -------------------------------------------------------------------------
    def rename_selected(self) -> None:
        rows = self.browser.selected_rows()
        if len(rows) != 1:
            return
        row = rows[0]
        name, ok = QInputDialog.getText(self.browser, "Rename run", f"New name for {row.name}:",
                                        text=row.name)  # fmt: skip
        if not ok or name.strip() == row.name:
            return
        uri = self.browser.tracking_uri

        def renamed(_message: str) -> None:
            row.name = name.strip()
            self._rows_changed()

        self._task(lambda: rename_run(uri, row.run_id, name), renamed)

    def edit_selected_tags(self) -> None:
        rows = [row for row in self.browser.selected_rows() if row.lifecycle_stage != "deleted"]
        if not rows:
            return
        self.tags_dialog = dialog = TagsDialog(rows, self.browser)
        uri, run_ids = self.browser.tracking_uri, [row.run_id for row in rows]

        def apply() -> None:
            to_set, to_remove = dialog.changes
            if not (to_set or to_remove):
                return

            def applied(_message: str) -> None:
                for row in rows:
                    for key in to_remove:
                        row.tags.pop(key, None)
                    row.tags.update(to_set)
                self._rows_changed()

            self._task(lambda: edit_tags(uri, run_ids, to_set, to_remove), applied)

        dialog.accepted.connect(apply)
        dialog.open()

    def toggle_star(self) -> None:
        rows = [row for row in self.browser.selected_rows() if row.lifecycle_stage != "deleted"]
        if not rows:
            return
        starred = not all(is_starred(row.tags) for row in rows)
        uri, run_ids = self.browser.tracking_uri, [row.run_id for row in rows]

        def done(_message: str) -> None:
            for row in rows:
                if starred:
                    row.tags[STAR_TAG] = "true"
                else:
                    row.tags.pop(STAR_TAG, None)
            if not starred and self.starred_only.isChecked():
                self.browser.refresh()  # the unstarred runs leave the "★ only" list
            else:
                self._rows_changed()

        self._task(lambda: set_starred(uri, run_ids, starred), done)

    def archive_selected(self) -> None:
        rows = [row for row in self.browser.selected_rows() if row.lifecycle_stage != "deleted"]
        if not rows:
            return
        names = ", ".join(row.name for row in rows[:5]) + (", …" if len(rows) > 5 else "")
        answer = QMessageBox.question(
            self.browser,
            "Archive runs",
            f"Archive {_runs(len(rows))} ({names})?\n\nThey leave this list and MLflow lists "
            "them as deleted; Show: Archived lists them, and Restore brings them back.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        uri, run_ids = self.browser.tracking_uri, [row.run_id for row in rows]
        self._task(lambda: archive_runs(uri, run_ids), lambda _message: self.browser.refresh())

    def restore_selected(self) -> None:
        rows = [row for row in self.browser.selected_rows() if row.lifecycle_stage == "deleted"]
        if not rows:
            return
        uri, run_ids = self.browser.tracking_uri, [row.run_id for row in rows]
        self._task(lambda: restore_runs(uri, run_ids), lambda _message: self.browser.refresh())

    def resume_selected(self) -> None:
        rows = self.browser.selected_rows()
        if len(rows) != 1 or self.reading_checkpoint:
            return
        row, uri, checkpoints = rows[0], self.browser.tracking_uri, self._checkpoints_dir()
        self.browser.status.setText(f"Reading the checkpoint of {row.name}…")
        self.reading_checkpoint = True

        def read_failed() -> None:
            self.reading_checkpoint = False

        self._task(lambda: find_resume_point(uri, row.run_id, checkpoints), self._ask_steps,
                   say_done=False, on_failure=read_failed)  # fmt: skip

    def _ask_steps(self, point: ResumePoint) -> None:
        self.reading_checkpoint = False
        self.browser.status.setText(f"{point.run_name}: checkpoint at step {point.step}")
        self.resume_dialog = dialog = ResumeDialog(point, self.browser)

        def start() -> None:
            workspace = self.current_workspace()
            root = str(workspace.root) if workspace is not None else None
            config = point.config(dialog.steps.value(), root, self.browser.tracking_uri)
            self.browser.status.setText(
                f"Resuming {point.run_name} from step {point.step} to {dialog.steps.value()}"
            )
            self.resume_requested.emit(config)

        dialog.accepted.connect(start)
        dialog.open()

    # -- helpers -----------------------------------------------------------------------------
    def _task(
        self,
        work: Callable[[], Any],
        done: Callable[[Any], None],
        say_done: bool = True,
        on_failure: Callable[[], None] = lambda: None,
    ) -> None:
        browser = self.browser

        def finished(result: Any) -> None:
            if say_done:
                browser.status.setText(str(result))
            done(result)

        def failed(message: str, _details: str) -> None:
            text = _one_line(message)
            browser.status.setText(f"Failed: {text}")
            on_failure()
            QMessageBox.warning(browser, "Runs", text)

        run_in_background(  # a write the user asked for: closing the app waits for it
            work, finished, failed, queue="mlflow", owner=browser, finish_before_exit=True
        )

    def _rows_changed(self) -> None:
        model = self.browser.model
        if model.rowCount():
            last = model.index(model.rowCount() - 1, model.columnCount() - 1)
            model.dataChanged.emit(model.index(0, 0), last)
        self.browser.show_current_names()  # a renamed run in the comparison below


class TagsDialog(QDialog):
    """The selected runs' own tags, editable: a changed or added row is set on every selected
    run, a removed one removed from every one. ``changes`` is (to set, to remove) once OK."""

    def __init__(self, rows: list[RunRecord], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Tags")
        self.setObjectName("tagsDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.original: dict[str, str] = {}  # key: value shown (DIFFERS where runs disagree)
        for key in sorted({key for row in rows for key in user_tags(row.tags)}):
            values = {row.tags.get(key) for row in rows}
            self.original[key] = values.pop() if len(values) == 1 else DIFFERS
        self.changes: tuple[dict[str, str], list[str]] = ({}, [])

        what = rows[0].name if len(rows) == 1 else f"{len(rows)} selected runs"
        intro = QLabel(f"Tags on {what}. Changes are applied to every one of them; MLflow's, "
                       "Netyard's and Optuna's own tags are not listed.")  # fmt: skip
        intro.setWordWrap(True)
        self.table = QTableWidget(0, 2)
        self.table.setObjectName("tagsTable")
        self.table.setHorizontalHeaderLabels(["Key", "Value"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for key, value in self.original.items():
            self.add_row(key, value, original=key)
        self.add_button = QPushButton("Add tag")
        self.add_button.clicked.connect(self._add_and_edit)
        self.remove_button = QPushButton("Remove tag")
        self.remove_button.clicked.connect(self.remove_selected)
        self.problem = QLabel()
        self.problem.setObjectName("tagsProblem")
        self.problem.setStyleSheet("color: #c0392b")
        self.problem.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        row_buttons = QHBoxLayout()
        row_buttons.addWidget(self.add_button)
        row_buttons.addWidget(self.remove_button)
        row_buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addLayout(row_buttons)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.resize(460, 320)

    def add_row(self, key: str = "", value: str = "", original: str | None = None) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        key_item = QTableWidgetItem(key)
        key_item.setData(Role.UserRole, original)  # None: a tag added here
        value_item = QTableWidgetItem(value)
        if value == DIFFERS:
            value_item.setForeground(Qt.GlobalColor.gray)
            value_item.setToolTip("The selected runs have different values; left as it is, "
                                  "each keeps its own")  # fmt: skip
        self.table.setItem(row, 0, key_item)
        self.table.setItem(row, 1, value_item)
        return row

    def _add_and_edit(self) -> None:
        row = self.add_row()
        self.table.setCurrentCell(row, 0)
        self.table.editItem(self.table.item(row, 0))

    def remove_selected(self) -> None:
        for row in sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(row)

    def compute_changes(self) -> tuple[dict[str, str], list[str]]:
        """(tags to set, keys to remove); ``UsageError`` for a row that cannot be saved."""
        to_set: dict[str, str] = {}
        kept: set[str] = set()
        seen: set[str] = set()
        for row in range(self.table.rowCount()):
            key_item, value_item = self.table.item(row, 0), self.table.item(row, 1)
            key, value = key_item.text(), value_item.text() if value_item else ""
            original = key_item.data(Role.UserRole)
            if original is None and not key.strip() and not value.strip():
                continue  # an added row left blank
            key = check_tag_key(key)
            if key in seen:
                raise UsageError(f"tag key {key!r} is there twice: keep one row per key")
            seen.add(key)
            if original is not None and key == original:
                kept.add(original)
                if value != self.original[original]:
                    to_set[key] = value
            elif value == DIFFERS:
                raise UsageError(f"give tag {key!r} a value: {DIFFERS} is not one")
            else:
                to_set[key] = value
        to_remove = [key for key in self.original if key not in kept and key not in to_set]
        return to_set, to_remove

    def accept(self) -> None:
        try:
            self.changes = self.compute_changes()
        except UsageError as error:
            self.problem.setText(str(error))
            return  # the dialog stays open, nothing is written
        super().accept()


class ResumeDialog(QDialog):
    """How many steps in total a resumed run trains to: more than its checkpoint's step."""

    def __init__(self, point: ResumePoint, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.point = point
        self.setWindowTitle("Resume run")
        self.setObjectName("resumeDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        intro = QLabel(
            f"Run {point.run_name} ({point.plugin} on {point.dataset}) has a checkpoint at step "
            f"{point.step} of {point.planned_steps}. Training continues from it in the same "
            "MLflow run, with the same hyperparameters."
        )
        intro.setWordWrap(True)
        self.steps = QSpinBox()
        self.steps.setObjectName("resumeSteps")
        self.steps.setRange(1, MAX_STEPS)
        self.steps.setGroupSeparatorShown(True)
        self.steps.setValue(point.default_steps)
        self.problem = QLabel()
        self.problem.setObjectName("resumeProblem")
        self.problem.setStyleSheet("color: #c0392b")
        self.problem.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Resume")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        steps_row = QHBoxLayout()
        steps_row.addWidget(QLabel("Total steps"))
        steps_row.addWidget(self.steps, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(steps_row)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.steps.valueChanged.connect(self._check)
        self._check()
        self.resize(420, 160)

    def _check(self) -> bool:
        try:
            self.point.check_steps(self.steps.value())
        except UsageError as error:
            self.problem.setText(str(error))
            self.ok_button.setEnabled(False)
            return False
        self.problem.clear()
        self.ok_button.setEnabled(True)
        return True

    def accept(self) -> None:
        if self._check():
            super().accept()


def _runs(count: int) -> str:
    return f"{count} run{'s' * (count != 1)}"


def _one_line(message: str) -> str:
    """A task's error as the user should read it: its first line, without the class name."""
    line = (message.strip().splitlines() or [""])[0]
    for prefix in ("UsageError: ", "MlflowException: "):
        line = line.removeprefix(prefix)
    return line
