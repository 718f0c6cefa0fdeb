"""Same seed on the CPU, same run; another seed, another run."""

from __future__ import annotations

from netyard_test_support import TINY_CNN, step_losses

from engine.events import EvalMetrics
from engine.runner import RunConfig, run


def train(workspace, seed: int) -> list:
    events: list = []
    config = RunConfig(
        plugin="cnn",
        dataset="digits",
        hparams={**TINY_CNN, "steps": 8, "eval_every": 4},
        seed=seed,
        device="cpu",
        threads=1,
        workspace=str(workspace),
        track=False,
    )
    assert run(config, events.append).status == "FINISHED"
    return events


def test_same_seed_same_curve_other_seed_other_curve(workspace):
    first, again, other = (train(workspace, seed) for seed in (7, 7, 8))
    curve = step_losses(first)
    assert [step for step, _ in curve] == list(range(1, 9))
    assert step_losses(again) == curve  # exactly, not approximately

    def evaluations(events):
        return [e.metrics for e in events if isinstance(e, EvalMetrics)]

    assert evaluations(again) == evaluations(first)
    other_curve = step_losses(other)
    assert [step for step, _ in other_curve] == list(range(1, 9))
    assert all(a != b for (_, a), (_, b) in zip(curve, other_curve, strict=True))
