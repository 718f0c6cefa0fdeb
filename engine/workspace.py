"""The workspace: one folder that holds all of a user's Netyard data.

``mlflow.db`` (MLflow's SQLite backend), ``artifacts/`` (the artifact root), ``checkpoints/``,
``datasets/`` (generated-data caches) and, for sweeps, the Optuna storage. The MLflow UI
opens this store as it is.
"""

from __future__ import annotations

import errno
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from engine.errors import NoSpaceLeft

ENV_VAR = "NETYARD_WORKSPACE"
STORE_FILE = "mlflow.db"  # MLflow's SQLite store
# Room a run or sweep needs before it starts: a new MLflow store is ~1 MB once migrated, and
# the first checkpoints, artifacts and journal appends come on top.
MIN_FREE_BYTES = 20 * 2**20
# Room held back for the last writes of a run or sweep that fills the disk: its FAILED status
# and reason in MLflow, its trials' FAIL in the journal. Without it, a disk that another
# program filled leaves nothing to write them with, and runs stay RUNNING until a later
# reconcile. A process that meets a full disk frees it (``release_space_reserve``); the next
# ``ensure`` on a disk with room holds it again.
SPACE_RESERVE_FILE = ".netyard-space-reserve"
SPACE_RESERVE_BYTES = 2 * 2**20


def default_root() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("netyard", appauthor=False))


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def resolve(cls, path: str | os.PathLike[str] | None = None) -> Workspace:
        """An explicit path, else ``$NETYARD_WORKSPACE``, else the user data dir."""
        chosen = path or os.environ.get(ENV_VAR) or default_root()
        return cls(Path(chosen).expanduser().resolve())

    def ensure(self) -> Workspace:
        """Make the folders; refuse a disk too full to hold a run's store writes and files
        (``NoSpaceLeft``), before anything is written: a store or journal that fills the disk
        half-way through its first write is left unreadable."""
        try:
            for folder in (self.root, self.artifacts_dir, self.checkpoints_dir, self.datasets_dir):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            if error.errno in (errno.ENOSPC, errno.EDQUOT):
                raise NoSpaceLeft(str(self.root), MIN_FREE_BYTES) from None
            raise
        if shutil.disk_usage(self.root).free < MIN_FREE_BYTES:
            raise NoSpaceLeft(str(self.root), MIN_FREE_BYTES)
        self._hold_space_reserve()
        return self

    def _hold_space_reserve(self) -> None:
        reserve = self.root / SPACE_RESERVE_FILE
        if reserve.exists():
            return
        # Written under a temporary name and renamed: a reserve is whole or absent, so a
        # short one never passes for a real reserve.
        temporary = reserve.with_name(f"{SPACE_RESERVE_FILE}.{os.getpid()}.tmp")
        try:
            with open(temporary, "wb") as stream:
                os.posix_fallocate(stream.fileno(), 0, SPACE_RESERVE_BYTES)
            os.replace(temporary, reserve)
        except OSError:  # a file system without fallocate, or a race: go on without one
            temporary.unlink(missing_ok=True)

    def release_space_reserve(self) -> bool:
        """Free the held-back room (a write just met a full disk); ``True`` if there was one."""
        try:
            (self.root / SPACE_RESERVE_FILE).unlink()
        except FileNotFoundError:
            return False
        return True

    @property
    def tracking_uri(self) -> str:
        return f"sqlite:///{self.root / STORE_FILE}"

    @property
    def artifacts_dir(self) -> Path:
        return self.root / "artifacts"

    @property
    def checkpoints_dir(self) -> Path:
        return self.root / "checkpoints"

    @property
    def datasets_dir(self) -> Path:
        return self.root / "datasets"
