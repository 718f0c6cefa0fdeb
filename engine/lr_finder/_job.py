"""One finder job from a ``RunConfig`` (the CLI's and the app's way in), and the worker
program ``python -m engine.lr_finder`` that runs one such job for the app, off its GUI thread
and out of its process (a crash or a kill cannot touch the app).

The program reads one command line, ``{"command": "lr_find", "config": RunConfig.to_dict(),
"steps": N, "ramps": R}``, prints ``LrFindProgress`` events then ``LrFound`` (or
``UsageProblem`` / ``RunFailed``) as JSON lines, and exits. Its parent cancels it by killing
it: it writes nothing, so there is nothing to save.
"""

from __future__ import annotations

import sys
import traceback
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.lr_finder._ramp import Progress
    from engine.lr_finder._suggest import LrFinding
    from engine.runner import RunConfig

DEFAULT_STEPS = 100
DEFAULT_RAMPS = 3


def find_lr_for(
    config: RunConfig,
    *,
    steps: int = DEFAULT_STEPS,
    ramps: int = DEFAULT_RAMPS,
    start_lr: float = 1e-7,
    end_lr: float = 1.0,
    progress: Progress | None = None,
) -> LrFinding:
    """Check ``config`` as ``netyard run`` would (``UsageError`` for bad input), load its
    data, and find the rate. Nothing is tracked and no checkpoint is written."""
    import dataclasses

    from engine.lr_finder._ramp import check_applies, find_lr
    from engine.plugin import get_plugin
    from engine.runner import prepare_run

    check_applies(get_plugin(config.plugin))  # before the data is loaded: a quick answer
    prepared = prepare_run(dataclasses.replace(config, track=False, resume=None))
    return find_lr(
        prepared.plugin_cls,
        prepared.hparams,
        prepared.dataset.to(prepared.device),
        prepared.device,
        dataset_id=config.dataset,
        seed=config.seed,
        steps=steps,
        ramps=ramps,
        start_lr=start_lr,
        end_lr=end_lr,
        progress=progress,
    )


def main(stdin=sys.stdin, stdout=sys.stdout) -> int:
    from engine.errors import UsageError
    from engine.events import RunFailed
    from engine.lr_finder._events import LrFindProgress, LrFound
    from engine.runner import RunConfig
    from engine.worker import JsonLines, UsageProblem, die_with_parent, read_command

    die_with_parent()
    emit = JsonLines(stdout)
    fields: dict[str, Any] = read_command(stdin.readline()) or {}
    if fields.get("command") != "lr_find":
        emit(UsageProblem(message="expected an lr_find command"))
        return 0
    ramps = int(fields.get("ramps", DEFAULT_RAMPS))

    def progress(ramp: int, step: int, steps: int) -> None:
        emit(LrFindProgress(ramp=ramp, ramps=ramps, step=step, steps=steps))

    try:
        config = RunConfig.from_dict(fields["config"])
        steps = int(fields.get("steps", DEFAULT_STEPS))
        finding = find_lr_for(config, steps=steps, ramps=ramps, progress=progress)
    except (UsageError, TypeError) as error:
        emit(UsageProblem(message=str(error)))
        return 0
    except Exception as error:  # noqa: BLE001 - reported to the parent, which shows it
        emit(RunFailed(None, 0, f"{type(error).__name__}: {error}", traceback.format_exc()))
        return 0
    emit(LrFound(finding=finding.to_dict()))
    return 0
