"""Resuming a stopped run from the Runs browser: where its checkpoint is, what it holds, and
the run config that continues it in the same MLflow run (what ``netyard run --resume`` does).

Qt-free; ``find_resume_point`` reads the checkpoint (torch) and the run (MLflow), on a pool
thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from engine.errors import UsageError
from engine.runner import RunConfig
from engine.states import from_mlflow
from engine.tracking import CHECKPOINT_TAG

CHECKPOINT_FILE = "last.ckpt"  # the runner's name for it, in checkpoints/RUN_ID/
RESUMABLE = ("KILLED", "FAILED")


def checkpoint_of(
    run_id: str, tags: Mapping[str, str], checkpoints_dir: Path | None
) -> Path | None:
    """The run's checkpoint file on this machine, or None.

    A stopped run names it in a tag; a failed one does not (it failed, it did not stop), but
    the checkpoint written every ``checkpoint_every`` steps is where the runner keeps them.
    """
    candidates = [tags.get(CHECKPOINT_TAG, "")]
    if checkpoints_dir is not None:
        candidates.append(str(Path(checkpoints_dir) / run_id / CHECKPOINT_FILE))
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


def why_not_resumable(
    run_id: str,
    status: str,
    lifecycle_stage: str,
    tags: Mapping[str, str],
    checkpoints_dir: Path | None,
) -> str | None:
    """Why the run cannot be resumed, in a few words; None when it can."""
    if lifecycle_stage != "active":
        return "the run is archived: restore it first"
    if status not in RESUMABLE:
        return f"only a stopped or failed run can be resumed; this one is {from_mlflow(status)}"
    if checkpoint_of(run_id, tags, checkpoints_dir) is None:
        return "the run has no checkpoint on this machine"
    return None


@dataclass(frozen=True)
class ResumePoint:
    """A stopped run and its checkpoint: what the Resume dialog shows and asks about."""

    run_id: str
    run_name: str
    checkpoint: str
    step: int  # the checkpoint's: training continues after it
    planned_steps: int  # the total the run last aimed at
    plugin: str
    dataset: str
    seed: int
    device: str

    @property
    def default_steps(self) -> int:
        """The planned total when the run stopped short of it, else as many steps again."""
        return (
            self.planned_steps if self.planned_steps > self.step else self.step + self.planned_steps
        )

    def check_steps(self, steps: int) -> None:
        if steps <= self.step:
            raise UsageError(
                f"total steps {steps} is not more than the checkpoint's step {self.step}: "
                f"give {self.step + 1} or more"
            )

    def config(self, steps: int, workspace: str | None, tracking_uri: str) -> RunConfig:
        """The ``RunConfig`` that trains the run on to ``steps`` in total, in the same MLflow
        run; only steps change on a resume."""
        self.check_steps(steps)
        return RunConfig(
            self.plugin, self.dataset, {"steps": steps}, seed=self.seed, device=self.device,
            workspace=workspace, tracking_uri=tracking_uri, resume=self.checkpoint,
        )  # fmt: skip


def find_resume_point(tracking_uri: str, run_id: str, checkpoints_dir: Path | None) -> ResumePoint:
    """The run as it is in the store now and its checkpoint; ``UsageError`` saying why it
    cannot be resumed (still running, archived, no checkpoint, another run's checkpoint)."""
    from engine.tracking import open_client
    from engine.training import load_checkpoint

    run = open_client(tracking_uri).get_run(run_id)
    info, tags = run.info, run.data.tags
    name = info.run_name or run_id
    reason = why_not_resumable(run_id, info.status, info.lifecycle_stage, tags, checkpoints_dir)
    if reason:
        raise UsageError(f"cannot resume run {name}: {reason}")
    path = checkpoint_of(run_id, tags, checkpoints_dir)
    state = load_checkpoint(path)
    if state.get("mlflow_run_id") not in (None, run_id):
        raise UsageError(
            f"cannot resume run {name}: its checkpoint {str(path)!r} belongs to run "
            f"{state['mlflow_run_id']}"
        )
    return ResumePoint(
        run_id=run_id,
        run_name=name,
        checkpoint=str(path),
        step=int(state["step"]),
        planned_steps=int(state["hparams"]["steps"]),
        plugin=str(state["plugin"]),
        dataset=str(state["dataset"]),
        seed=int(state["seed"]),
        device=run.data.params.get("device", "auto"),
    )
