"""Trials that survive a crash, and the checkpoints a trial keeps once it has ended.

A trial checkpoints at every evaluation (the coordinator sets ``checkpoint_every`` to the
sweep's evaluation interval). When its worker dies (kill -9, the kernel's out-of-memory
killer, a segfault), the coordinator starts a new worker in the same slot with the same
``RunConfig`` plus ``resume``: the runner's own resume (``netyard run --resume``) continues
the same MLflow run, whose metric writer drops the steps the dead worker had logged already,
and the coordinator keeps the same Optuna trial, skipping the intermediate values it has.
Only after ``SweepSpec.trial_retries`` resumes (Determined's fault-tolerant trials; its
``max_restarts``) is the trial FAIL, with a reason that says so.

What an ended trial keeps (``engine.checkpoint_files.beyond_retention``): a finished one its
best checkpoint (what is used or promoted), a pruned one its last (what a promotion would
resume from); stopped and failed ones keep their whole retention (they may be resumed).
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

from engine.sweeps._outcomes import RunningTrial


def may_resume(running: RunningTrial, retries: int, stopping: bool) -> bool:
    """Whether a trial whose worker died goes on from its checkpoint: it has one, the spec's
    retries are not used up, and neither the user nor the pruner was stopping it."""
    return (
        not stopping
        and not running.cancelled
        and running.pruned_step is None
        and running.resumes < retries
        and bool(running.checkpoint)
        and Path(running.checkpoint or "").is_file()
    )


# How long a resume waits for the dead worker's helpers (its metric writer writes what it
# was sent, a finisher ends an earlier trial's run) before it reads what the run has logged.
HELPERS_GRACE_SECONDS = 10.0


def wait_for_helpers(worker_pid: int, timeout: float = HELPERS_GRACE_SECONDS) -> bool:
    """Wait until no process of the dead worker's session is left (a worker runs in a
    session of its own, its forked helpers with it); False if some still run at ``timeout``.

    The resumed run reads the last step of each metric in the store to log each step once:
    read while the dead worker's metric writer still writes, a step would appear twice."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(worker_pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        time.sleep(0.02)
    return False


def failure_after_crash(running: RunningTrial, reason: str, retries: int) -> str:
    """The FAIL reason of a trial whose worker died and is not resumed: why not."""
    if running.resumes and running.resumes >= retries:
        times = "once" if running.resumes == 1 else f"{running.resumes} times"
        return (
            f"{reason}; it was resumed from its checkpoint {times}, all that --trial-retries "
            f"{retries} allows"
        )
    if retries and not running.checkpoint and not running.cancelled:
        return f"{reason}; it had written no checkpoint to resume from"
    return reason


def retain_checkpoints(checkpoint: str | None, only: str) -> list[Path]:
    """Delete the files of an ended trial's checkpoint folder that ``only`` (``BEST`` or
    ``LAST``) does not need; the files deleted. Best effort: a file that cannot be deleted
    now is one ``netyard gc`` frees later."""
    from engine.checkpoint_files import beyond_retention

    if not checkpoint:
        return []
    removed = []
    for path in beyond_retention(Path(checkpoint).parent, keep=1, only=only):
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed
