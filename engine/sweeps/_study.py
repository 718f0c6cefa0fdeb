"""Opening a sweep's Optuna study: created, resumed with a moved-on seed, or joined; one
coordinator per study; the spec kept in the study for resumes and joiners."""

from __future__ import annotations

import os
import socket

from engine.errors import UsageError
from engine.sweeps._reconcile import process_alive
from engine.sweeps._spec import ResolvedSweep, SweepSpec

SPEC_ATTR = "netyard.spec"
# The host and pid of the coordinator running the study (None once it has ended).
COORDINATOR_ATTR = "netyard.coordinator"


def resumed_seed(seed: int, trials_in_study: int) -> int:
    """The sampler seed for a sweep resumed on a study that already holds trials."""
    return (seed * 1_000_003 + trials_in_study) % 2**32


def open_study(resolved: ResolvedSweep, storage, join: bool):
    """The study for ``resolved``; a joiner (``join``) loads it, a coordinator creates or
    resumes it and records itself as the study's coordinator."""
    import optuna

    from engine.sweeps._algorithms import make_pruner, make_sampler

    spec = resolved.spec
    # A joining process must not replay the coordinator's random draws.
    seed = (spec.seed + os.getpid()) % 2**32 if join else spec.seed
    sampler = make_sampler(resolved.sampler, seed, resolved.grid)
    pruner = make_pruner(resolved.pruner, resolved.steps, resolved.eval_interval())
    if join:
        return optuna.load_study(
            study_name=resolved.name, storage=storage, sampler=sampler, pruner=pruner
        )
    study = optuna.create_study(
        study_name=resolved.name,
        storage=storage,
        sampler=sampler,
        pruner=pruner,
        directions=resolved.directions,
        load_if_exists=True,
    )
    attrs = study.user_attrs
    done_before = len(study.get_trials(deepcopy=False))
    if done_before:
        # A resumed sweep must not replay the draws its first run already tried: the
        # sampler's seed moves on with the number of trials the study holds.
        study.sampler = make_sampler(
            resolved.sampler, resumed_seed(spec.seed, done_before), resolved.grid
        )
    if SPEC_ATTR in attrs:
        _check_same_sweep(resolved, attrs, [d.name.lower() for d in study.directions])
    _refuse_second_coordinator(resolved.name, attrs.get(COORDINATOR_ATTR))
    study.set_user_attr(COORDINATOR_ATTR, {"host": socket.gethostname(), "pid": os.getpid()})
    if SPEC_ATTR not in attrs:
        study.set_user_attr("netyard.plugin", spec.plugin)
        study.set_user_attr("netyard.dataset", spec.dataset)
        study.set_user_attr("netyard.metrics", resolved.metrics)
    study.set_user_attr(SPEC_ATTR, {**spec.to_dict(), "name": resolved.name})
    return study


def joined_spec(name: str, storage: str) -> SweepSpec:
    """The spec of the study ``name`` in ``storage``, for a process joining it."""
    import optuna

    from engine.sweeps._storage import open_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    opened = open_storage(storage)
    names = [s.study_name for s in opened.get_all_studies()]
    if name not in names:
        raise UsageError(
            f"no sweep named {name!r} in {storage!r}; sweeps there: {', '.join(names) or 'none'}"
        )
    attrs = optuna.load_study(study_name=name, storage=opened).user_attrs
    if SPEC_ATTR not in attrs:
        raise UsageError(f"study {name!r} was not created by netyard sweep; it has no spec")
    return SweepSpec.from_dict(attrs[SPEC_ATTR])


def _refuse_second_coordinator(name: str, coordinator: dict | None) -> None:
    """One coordinator per study: a second one would open a second MLflow parent run and
    draw the same parameters; live ones on this host are refused (another host's cannot be
    checked from here)."""
    if not coordinator or coordinator.get("host") != socket.gethostname():
        return
    pid = int(coordinator.get("pid", 0))
    if pid and pid != os.getpid() and process_alive(pid):
        raise UsageError(
            f"sweep {name!r} is already running (coordinator pid {pid}); add workers to it "
            f"with `netyard worker --study {name} --storage URL`, or give this sweep another --name"
        )


def _check_same_sweep(resolved: ResolvedSweep, attrs: dict, directions: list[str]) -> None:
    spec = resolved.spec
    before = (
        attrs.get("netyard.plugin"),
        attrs.get("netyard.dataset"),
        attrs.get("netyard.metrics"),
    )
    now = (spec.plugin, spec.dataset, resolved.metrics)
    if before != now or directions != resolved.directions:
        raise UsageError(
            f"sweep {resolved.name!r} already exists for plugin {before[0]!r} on "
            f"{before[1]!r} optimising {before[2]}; give another --name to start a new sweep"
        )
