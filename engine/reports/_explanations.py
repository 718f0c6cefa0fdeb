"""Explanations for the HTML report: each run's trained model explained on the first test
samples of its own test part, by one method, as a gallery (``engine.explain.gallery``).

A run that cannot be explained (no trained model, a generator, a method that does not apply
to its kind of model) gets one sentence saying why in its section; the other runs' galleries
are still written. Models are loaded one at a time and dropped, so memory stays one model's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.errors import UsageError

DEFAULT_SAMPLES = 8


@dataclass(frozen=True)
class RunExplanation:
    """A run's gallery (an HTML fragment), or why there is none."""

    method: str
    samples: int
    html: str | None = None
    reason: str | None = None


def check_explain_options(method: str | None, samples: int) -> None:
    """One sentence for a bad method or sample count, before anything is loaded."""
    from engine.explain import METHODS

    if method is not None and method not in METHODS:
        raise UsageError(f"unknown explanation method {method!r}: expected one of "
                         f"{', '.join(METHODS)}")  # fmt: skip
    if not 1 <= samples <= 64:
        raise UsageError(f"invalid number of samples to explain {samples}: expected 1 to 64")


def explain_runs(
    client, run_ids: Iterable[str], method: str, samples: int, datasets_dir: Path
) -> dict[str, RunExplanation]:
    """``{run id: RunExplanation}`` for each run, by ``method`` on ``samples`` test samples."""
    from engine.explain import check_method, explain, first_test_samples, gallery
    from engine.models import load_run_model

    explained = {}
    for run_id in dict.fromkeys(run_ids):
        try:
            trained, _run = load_run_model(client, run_id)
            check_method(trained, method)
            inputs, labels = first_test_samples(trained, datasets_dir, samples)
            explanation = explain(trained, inputs, method, labels)
            html = gallery(explanation, trained.plugin.spec)
            explained[run_id] = RunExplanation(method, len(inputs), html=html)
        except UsageError as error:
            explained[run_id] = RunExplanation(method, samples, reason=str(error))
    return explained
