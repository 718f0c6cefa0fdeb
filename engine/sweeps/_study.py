"""Opening a sweep's Optuna study: created, resumed with a moved-on seed, or joined; one
coordinator per study; the spec kept in the study for resumes and joiners, and where the
trials' runs go (tracking URI, parent run), which a joiner waits for."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable

from engine.database_urls import hide_password
from engine.errors import UsageError
from engine.sweeps._spec import ResolvedSweep, SweepSpec
from engine.sweeps._storage import (  # the attributes a listing shows, beside StudyInfo
    DATASET_ATTR,
    METRICS_ATTR,
    PARENT_RUN_ATTR,
    PLUGIN_ATTR,
    TRACKING_URI_ATTR,
    open_storage,
)
from engine.tracking import process_alive

SPEC_ATTR = "netyard.spec"
# The host and pid of the coordinator running the study (None once it has ended).
COORDINATOR_ATTR = "netyard.coordinator"
EXPERIMENT_ATTR = "netyard.experiment"
JOIN_POLL_SECONDS = 1.0


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
    if spec.warm_start:  # a study to start from that is not there stops us before ours is made
        from engine.sweeps._warm_start import best_configurations

        best_configurations(storage, spec.warm_start)
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
        study.set_user_attr(PLUGIN_ATTR, spec.plugin)
        study.set_user_attr(DATASET_ATTR, spec.dataset)
        study.set_user_attr(METRICS_ATTR, resolved.metrics)
    study.set_user_attr(SPEC_ATTR, {**spec.to_shareable_dict(), "name": resolved.name})
    if spec.warm_start and not done_before:  # once, when the study is new
        from engine.sweeps._warm_start import WARM_START_ATTR, enqueue_warm_start

        line = enqueue_warm_start(study, storage, spec.warm_start, resolved.distributions)
        study.set_user_attr(WARM_START_ATTR, line)
    return study


def joined_spec(
    name: str,
    storage: str,
    wait_seconds: float = 0.0,
    on_wait: Callable[[str], None] = lambda text: None,
) -> SweepSpec:
    """The spec of the study ``name`` in ``storage``, for a process joining it, once its
    coordinator has said where the trials' runs go (tracking URI, parent run): without that a
    joiner's trials would go to its own disk, lost to the team. A worker started before the
    coordinator waits up to ``wait_seconds``, saying why once through ``on_wait``; then it is
    a ``UsageError`` naming what is missing."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    opened = open_storage(storage)
    deadline = time.monotonic() + wait_seconds
    told = False
    while True:
        attrs, missing = _join_state(name, opened, hide_password(storage))
        if missing is None:
            return SweepSpec.from_dict(attrs[SPEC_ATTR])
        if time.monotonic() >= deadline:
            waited = f" (waited {wait_seconds:.0f} s)" if wait_seconds else ""
            raise UsageError(f"{missing}{waited}")
        if not told:
            on_wait(f"waiting up to {wait_seconds:.0f} s for sweep {name!r}: {missing}")
            told = True
        time.sleep(JOIN_POLL_SECONDS)


def _join_state(name: str, storage, printable: str) -> tuple[dict, str | None]:
    """The study's attributes, and why it cannot be joined yet (None once it can)."""
    studies = {s.study_name: s for s in storage.get_all_studies()}
    if name not in studies:
        return {}, (
            f"no sweep named {name!r} in {printable} (sweeps there: "
            f"{', '.join(studies) or 'none'}); start it with netyard sweep ... --name {name}"
        )
    attrs = studies[name].user_attrs
    if SPEC_ATTR not in attrs:
        return attrs, f"study {name!r} was not created by netyard sweep; it has no spec"
    if not attrs.get(PARENT_RUN_ATTR) or not attrs.get(TRACKING_URI_ATTR):
        return attrs, (
            f"sweep {name!r} has no MLflow parent run yet: its coordinator (netyard sweep "
            f"... --name {name}) has not started it, and trials run now would not reach the "
            f"sweep's tracking server"
        )
    return attrs, None


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
            f"with `netyard worker --study {name} --storage URL` (or --team-file PATH), or give "
            f"this sweep another --name"
        )


def _check_same_sweep(resolved: ResolvedSweep, attrs: dict, directions: list[str]) -> None:
    spec = resolved.spec
    before = (attrs.get(PLUGIN_ATTR), attrs.get(DATASET_ATTR), attrs.get(METRICS_ATTR))
    now = (spec.plugin, spec.dataset, resolved.metrics)
    if before != now or directions != resolved.directions:
        raise UsageError(
            f"sweep {resolved.name!r} already exists for plugin {before[0]!r} on "
            f"{before[1]!r} optimising {before[2]}; give another --name to start a new sweep"
        )
