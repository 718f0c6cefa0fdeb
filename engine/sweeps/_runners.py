"""Which coordinator runs a spec: the sampler-and-pruner ``SweepRunner``, or the one of its
``algorithm`` (population-based training: ``PbtRunner``; successive halving that resumes:
``AshaRunner``)."""

from __future__ import annotations

from collections.abc import Callable

from engine.events import Event
from engine.sweeps._runner import SweepRunner
from engine.sweeps._spec import SweepSpec


def runner_for(spec: SweepSpec, emit: Callable[[Event], None] = lambda event: None) -> SweepRunner:
    """The coordinator of ``spec`` (validated: ``UsageError``)."""
    algorithm = str(spec.algorithm).lower()
    if algorithm == "pbt":
        from engine.sweeps._pbt import PbtRunner

        return PbtRunner(spec, emit)
    if algorithm == "asha":
        from engine.sweeps._asha import AshaRunner

        return AshaRunner(spec, emit)
    return SweepRunner(spec, emit)
