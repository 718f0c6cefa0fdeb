"""Hyperparameter sweeps with Optuna: spec, validation, the coordinator, storage, events.

The public surface, all plain data or plain calls, for the CLI and the app:

- ``SweepSpec`` (with ``SearchParam``, ``Objective``): what to search; ``SweepSpec.load`` /
  ``save`` read and write YAML; ``resolve_spec`` validates without running anything.
- ``SweepRunner(spec, emit)``: ``run()`` blocks until the sweep ends; ``stop()`` and
  ``cancel_trial()`` may be called from another thread. ``join_sweep`` makes a runner that
  joins a study another machine started (``netyard worker``); ``RemoteTrials`` tells the
  trials other machines run in a study as the same events, polled.
- ``runner_for(spec, emit)``: the ``SweepRunner`` of the spec's ``algorithm`` (``pbt``:
  population-based training, ``PbtRunner``), or the plain one.
- ``list_studies(storage)``: every study with trial counts by state and the best value.
- ``SweepSpec.seeds_per_config`` (each configuration trained with k seeds, their mean
  optimised) and ``SweepSpec.warm_start`` (``STUDY[:N]``, N defaults to
  ``WARM_START_CONFIGS``): the past study's best configurations run first.
- Events: ``SweepStarted``, ``TrialStarted``, ``TrialProgress``, ``TrialFinished``,
  ``TrialPruned``, ``TrialStopped``, ``TrialFailed``, ``BestChanged``, ``SweepFinished``.

The search syntax is documented in docs/sweeps.md.
"""

from engine.sweeps._algorithms import ALGORITHMS, PRUNERS, SAMPLERS
from engine.sweeps._dashboard import dashboard_server
from engine.sweeps._events import (
    BestChanged,
    SweepFinished,
    SweepStarted,
    TrialFailed,
    TrialFinished,
    TrialProgress,
    TrialPruned,
    TrialStarted,
    TrialStopped,
)
from engine.sweeps._pbt_history import Population, read_population
from engine.sweeps._remote import REMOTE_SLOT, RemoteTrials
from engine.sweeps._runner import SweepRunner, join_sweep
from engine.sweeps._runners import runner_for
from engine.sweeps._search import SearchParam, parse_search
from engine.sweeps._slots import visible_gpus
from engine.sweeps._spec import Objective, ResolvedSweep, SweepSpec, resolve_spec, valid_metrics
from engine.sweeps._storage import StudyInfo, default_storage_url, list_studies, open_storage
from engine.sweeps._warm_start import DEFAULT_CONFIGS as WARM_START_CONFIGS

__all__ = [
    "Population",
    "read_population",
    "ALGORITHMS",
    "visible_gpus",
    "BestChanged",
    "Objective",
    "PRUNERS",
    "REMOTE_SLOT",
    "RemoteTrials",
    "ResolvedSweep",
    "SAMPLERS",
    "SearchParam",
    "StudyInfo",
    "SweepFinished",
    "SweepRunner",
    "SweepSpec",
    "SweepStarted",
    "TrialFailed",
    "TrialStopped",
    "TrialFinished",
    "TrialProgress",
    "TrialPruned",
    "TrialStarted",
    "WARM_START_CONFIGS",
    "dashboard_server",
    "default_storage_url",
    "join_sweep",
    "list_studies",
    "open_storage",
    "parse_search",
    "resolve_spec",
    "runner_for",
    "valid_metrics",
]
