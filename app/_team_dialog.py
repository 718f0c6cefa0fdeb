"""Where a workspace's runs and sweeps live: its own files, or a team's tracking server and
Optuna storage (what ``netyard server`` prints). Remembered per workspace.

OK checks both in the background and closes only once they answer; a failure is shown in the
dialog, in one line naming the URL, and nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app._settings import load_json, save_json
from app._tasks import run_in_background

SETTINGS_KEY = "workspaces/stores"


@dataclass(frozen=True)
class Stores:
    """A workspace's tracking URI and sweep storage; empty means the workspace's own."""

    tracking_uri: str = ""
    storage: str = ""


def remembered_stores(workspace_root: str) -> Stores:
    entry = load_json(SETTINGS_KEY, {}).get(workspace_root, {})
    return Stores(str(entry.get("tracking_uri", "")), str(entry.get("storage", "")))


def remember_stores(workspace_root: str, stores: Stores) -> None:
    table = load_json(SETTINGS_KEY, {})
    if stores == Stores():
        table.pop(workspace_root, None)
    else:
        table[workspace_root] = {"tracking_uri": stores.tracking_uri, "storage": stores.storage}
    save_json(SETTINGS_KEY, table)


def check_stores(stores: Stores) -> Stores:
    """Raise ``UsageError`` unless every store given answers (on a pool thread)."""
    if stores.tracking_uri:
        from engine.tracking.server import check_tracking_uri

        check_tracking_uri(stores.tracking_uri)
    if stores.storage:
        from engine.sweeps import open_storage

        open_storage(stores.storage).get_all_studies()
    return stores


class StoresDialog(QDialog):
    """Tracking URI and Optuna storage for the open workspace."""

    def __init__(self, workspace_root: str, current: Stores, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Tracking server and sweep storage")
        self.setObjectName("storesDialog")
        self.chosen: Stores | None = None
        self.tracking = QLineEdit(current.tracking_uri)
        self.tracking.setObjectName("trackingUriEdit")
        self.tracking.setPlaceholderText("the workspace's own store (mlflow.db)")
        self.storage = QLineEdit(current.storage)
        self.storage.setObjectName("storageEdit")
        self.storage.setPlaceholderText("the workspace's own journal file")
        intro = QLabel(
            f"Workspace {workspace_root}. Leave a field empty for the workspace's own files, or "
            "paste what <tt>netyard server</tt> printed: a tracking server "
            "(<tt>http://HOST:5000</tt>) and an Optuna storage (<tt>postgresql://…</tt>) that "
            "workers on other machines share."
        )
        intro.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("storesMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("MLflow tracking URI", self.tracking)
        form.addRow("Optuna storage", self.storage)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.check_and_accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(620, self.sizeHint().height())

    def entered(self) -> Stores:
        return Stores(self.tracking.text().strip(), self.storage.text().strip())

    def check_and_accept(self) -> None:
        stores = self.entered()
        if stores == Stores():
            self._accepted(stores)
            return
        self.buttons.setEnabled(False)
        self.message.setStyleSheet("")
        self.message.setText("Checking that they answer…")
        run_in_background(
            lambda: check_stores(stores), self._accepted, self._failed, queue="mlflow", owner=self
        )

    def _accepted(self, stores: Stores) -> None:
        self.chosen = stores
        self.accept()

    def _failed(self, message: str, _traceback: str) -> None:
        self.buttons.setEnabled(True)
        self.message.setStyleSheet("color: #c0392b;")
        self.message.setText(message.removeprefix("UsageError: "))
