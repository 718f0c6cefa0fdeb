"""The status bar's "Checkpoints: 12.3 MB": what the workspace's checkpoints take on disk.

Walking the folder may take a while on a big workspace or a network disk: it runs on a pool
thread (``LatestTask``: a newer count supersedes an older one), never on the GUI thread. The
window asks again when it opens a workspace and when a job ends (a run writes checkpoints).
``netyard gc`` frees what no run needs; the tooltip says so.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QLabel

from app._tasks import LatestTask
from engine.checkpoint_files import DiskUse, human_size, workspace_checkpoint_use


class CheckpointUseLabel(QLabel):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("checkpointUse")
        self.setContentsMargins(0, 0, 12, 0)  # apart from the workspace's path beside it
        self.task = LatestTask(self)
        self.folder: Path | None = None

    def refresh(self, checkpoints_dir: Path) -> None:
        """Count ``checkpoints_dir`` again, off the GUI thread; the text follows."""
        self.folder = folder = Path(checkpoints_dir)
        self.task.start(lambda: workspace_checkpoint_use(folder), self._show, self._failed)

    def _show(self, use: DiskUse) -> None:
        self.setText(f"Checkpoints: {human_size(use.bytes)}")
        self.setToolTip(
            f"{use.files} checkpoint file{'s' * (use.files != 1)} in {self.folder}.\n"
            "'netyard gc' shows them per experiment and sweep and frees what no run needs."
        )

    def _failed(self, message: str, details: str) -> None:
        self.setText("Checkpoints: ?")
        self.setToolTip(f"Could not measure {self.folder}: {message}")
