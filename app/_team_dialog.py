"""Where a workspace's runs and sweeps live: its own files, or a team's tracking server and
Optuna storage (what ``netyard server`` prints, or the team file it writes, which also holds
their passwords). Remembered per workspace: the team file's path, never its passwords, which
are put in this process's environment (``engine.team_file``) where MLflow's and PostgreSQL's
clients, and the sweeps the app starts, find them.

OK checks both in the background and closes only once they answer; a failure is shown in the
dialog, in one line naming the URL, and nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app._settings import load_json, save_json
from app._tasks import run_in_background

SETTINGS_KEY = "workspaces/stores"


@dataclass(frozen=True)
class Stores:
    """A workspace's tracking URI and sweep storage; empty means the workspace's own. With a
    team file, what it names where the fields are empty, and its passwords."""

    tracking_uri: str = ""
    storage: str = ""
    team_file: str = ""


def remembered_stores(workspace_root: str) -> Stores:
    entry = load_json(SETTINGS_KEY, {}).get(workspace_root, {})
    return Stores(*(str(entry.get(name, "")) for name in ("tracking_uri", "storage", "team_file")))


def remember_stores(workspace_root: str, stores: Stores) -> None:
    table = load_json(SETTINGS_KEY, {})
    if stores == Stores():
        table.pop(workspace_root, None)
    else:
        table[workspace_root] = {"tracking_uri": stores.tracking_uri, "storage": stores.storage,
                                 "team_file": stores.team_file}  # fmt: skip
    save_json(SETTINGS_KEY, table)


def with_team_file(stores: Stores) -> Stores:
    """The stores with the team file's URLs where none is given, its passwords put in this
    process's environment; ``UsageError`` for a team file that is missing or open to others."""
    if not stores.team_file:
        return stores
    from engine.team_file import TeamFile

    team = TeamFile.read(stores.team_file)
    team.export_credentials()
    return Stores(stores.tracking_uri or team.tracking_uri, stores.storage or team.storage,
                  stores.team_file)  # fmt: skip


def check_stores(stores: Stores) -> Stores:
    """Raise ``UsageError`` unless every store given answers (on a pool thread)."""
    stores = with_team_file(stores)
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
        self.team_file = QLineEdit(current.team_file)
        self.team_file.setObjectName("teamFileEdit")
        self.team_file.setPlaceholderText("none (a server without passwords)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_team_file)
        team_row = QHBoxLayout()
        team_row.addWidget(self.team_file)
        team_row.addWidget(browse)
        intro = QLabel(
            f"Workspace {workspace_root}. Leave a field empty for the workspace's own files, or "
            "paste what <tt>netyard server</tt> printed: a tracking server "
            "(<tt>http://HOST:5000</tt>) and an Optuna storage (<tt>postgresql…://…</tt>) that "
            "workers on other machines share, or choose the team file it wrote (it holds "
            "both, and their passwords)."
        )
        intro.setWordWrap(True)
        self.message = QLabel()
        self.message.setObjectName("storesMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("MLflow tracking URI", self.tracking)
        form.addRow("Optuna storage", self.storage)
        form.addRow("Team file", team_row)
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
        return Stores(self.tracking.text().strip(), self.storage.text().strip(),
                      self.team_file.text().strip())  # fmt: skip

    def _browse_team_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Team file", "", "Team file (*.json)")
        if path:
            self.team_file.setText(path)

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
