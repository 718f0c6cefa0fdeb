"""Warm starts: a new sweep tries the best configurations of a past study first.

``--warm-start STUDY[:N]`` enqueues (Optuna's ``enqueue_trial``) the N best complete trials
of STUDY, from the new sweep's storage, on the same or another dataset. Only what fits the
new search space goes in: a parameter the new sweep does not search is dropped, a number out
of its range is clipped into it (and onto its step), a choice it no longer offers is left to
the sampler; a searched parameter the past study lacks is drawn by the sampler. One line says
what was enqueued and what was changed; the sweep's first trials are these.
"""

from __future__ import annotations

import math
from typing import Any

from engine.errors import UsageError

DEFAULT_CONFIGS = 5
WARM_START_ATTR = "netyard.warm_start"  # the new study's: the line saying what came from where
FROM_ATTR = "netyard.warm_start_from"  # an enqueued trial's: "STUDY#NUMBER"


def parse_warm_start(text: Any) -> tuple[str, int]:
    """``STUDY[:N]`` as (study, N); N defaults to 5. A study name may hold ``:`` itself:
    only a whole number after the last one is N."""
    if not isinstance(text, str) or not text.strip():
        raise UsageError(f"invalid warm start {text!r}: expected STUDY or STUDY:N")
    name, colon, count = text.strip().rpartition(":")
    if not colon or not count.isdigit():
        return text.strip(), DEFAULT_CONFIGS
    if not name or int(count) < 1:
        raise UsageError(
            f"invalid warm start {text!r}: expected STUDY or STUDY:N with N a whole number >= 1"
        )
    return name, int(count)


def best_configurations(storage, text: str) -> tuple[str, dict[int, dict[str, Any]]]:
    """The past study's name and its N best complete trials' parameters by trial number, best first
    (several objectives: its Pareto front first). One ``UsageError`` lists the studies when
    there is no such study, or says it has no complete trial."""
    name, count = parse_warm_start(text)
    studies = {s.study_name: s for s in storage.get_all_studies()}
    if name not in studies and text.strip() in studies:  # a name that ends in :DIGITS
        name, count = text.strip(), DEFAULT_CONFIGS
    if name not in studies:
        raise UsageError(
            f"cannot warm-start from {name!r}: no such study; studies in this storage: "
            f"{', '.join(sorted(studies)) or 'none'}"
        )
    ranked = _ranked_trials(storage, studies[name])
    if not ranked:
        raise UsageError(f"cannot warm-start from {name!r}: it has no complete trial yet")
    configurations: dict[int, dict[str, Any]] = {}
    for trial in ranked:
        if trial.params not in configurations.values():  # retries repeat parameters
            configurations[trial.number] = dict(trial.params)
        if len(configurations) == count:
            break
    return name, configurations


def _ranked_trials(storage, frozen) -> list:
    import optuna
    from optuna.study import StudyDirection
    from optuna.trial import TrialState

    trials = storage.get_all_trials(frozen._study_id, deepcopy=False, states=(TrialState.COMPLETE,))
    directions = frozen.directions
    sign = -1.0 if directions[0] == StudyDirection.MAXIMIZE else 1.0
    ranked = sorted(trials, key=lambda t: (sign * t.values[0], t.number))
    if len(directions) > 1:
        past = optuna.load_study(study_name=frozen.study_name, storage=storage)
        numbers = {t.number for t in past.best_trials}
        ranked = [t for t in ranked if t.number in numbers] + [
            t for t in ranked if t.number not in numbers
        ]
    return ranked


def fit_to_space(
    configurations: list[dict[str, Any]], distributions: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Each configuration cut to the new search space, and notes on what changed."""
    dropped: set[str] = set()
    clipped: dict[str, int] = {}
    unknown_choice: dict[str, int] = {}
    fitted = []
    for params in configurations:
        kept: dict[str, Any] = {}
        for name, value in params.items():
            if name not in distributions:
                dropped.add(name)
                continue
            fit = _fit(value, distributions[name])
            if fit is _NOT_A_CHOICE:
                unknown_choice[name] = unknown_choice.get(name, 0) + 1
                continue
            if fit != value:
                clipped[name] = clipped.get(name, 0) + 1
            kept[name] = fit
        fitted.append(kept)
    drawn = sorted(set(distributions) - {n for params in configurations for n in params})
    notes = []
    if dropped:
        notes.append(f"dropped {', '.join(sorted(dropped))} (not searched now)")
    for name, times in sorted(clipped.items()):
        notes.append(f"clipped {name} into its range in {times}")
    for name, times in sorted(unknown_choice.items()):
        notes.append(f"drew {name} afresh in {times} (its value is not a choice now)")
    if drawn:
        notes.append(f"{', '.join(drawn)} drawn by the sampler (not in the past study)")
    return fitted, notes


_NOT_A_CHOICE = object()


def _fit(value: Any, distribution) -> Any:
    from optuna.distributions import CategoricalDistribution, IntDistribution

    if isinstance(distribution, CategoricalDistribution):
        return value if value in distribution.choices else _NOT_A_CHOICE
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return _NOT_A_CHOICE
    low, high, step = distribution.low, distribution.high, distribution.step
    fitted = min(max(value, low), high)
    if step is not None:
        fitted = low + round((fitted - low) / step) * step
        fitted = min(fitted, high)
    if isinstance(distribution, IntDistribution):
        return int(round(fitted))
    return float(fitted)


def enqueue_warm_start(study, storage, text: str, distributions: dict[str, Any]) -> str:
    """Enqueue the past study's best configurations in ``study``; the line that says so."""
    name, configurations = best_configurations(storage, text)
    fitted, notes = fit_to_space(list(configurations.values()), distributions)
    enqueued = 0
    for number, params in zip(configurations, fitted, strict=True):
        if not params:
            continue
        attrs = {FROM_ATTR: f"{name}#{number}"}
        study.enqueue_trial(params, user_attrs=attrs, skip_if_exists=True)
        enqueued += 1
    line = f"warm start: {enqueued} configuration(s) of sweep {name!r} run first"
    return line + (f"; {'; '.join(notes)}" if notes else "")
