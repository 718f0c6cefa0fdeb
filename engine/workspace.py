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
# Room a run or sweep needs before it starts: a new MLflow store is ~1 MB once migrated, and
# the first checkpoints, artifacts and journal appends come on top.
MIN_FREE_BYTES = 20 * 2**20


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
        return self

    @property
    def tracking_uri(self) -> str:
        return f"sqlite:///{self.root / 'mlflow.db'}"

    @property
    def artifacts_dir(self) -> Path:
        return self.root / "artifacts"

    @property
    def checkpoints_dir(self) -> Path:
        return self.root / "checkpoints"

    @property
    def datasets_dir(self) -> Path:
        return self.root / "datasets"
