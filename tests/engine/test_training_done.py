"""When a checkpoint holds a training that is over (``training_done``): what ``netyard run
--resume`` of a run killed while it saved its model finishes instead of training on."""

from __future__ import annotations

import pytest

from engine.training import training_done


def state(step: int, steps: int = 60, patience: int = 0, bad_evaluations: int = 0) -> dict:
    return {
        "step": step,
        "hparams": {"steps": steps, "patience": patience},
        "early_stopping": {"bad_evaluations": bad_evaluations},
    }


@pytest.mark.parametrize(
    ("checkpoint", "asked_steps", "done"),
    [
        (state(60), 60, True),  # its last step
        (state(60), 80, False),  # more steps asked: it trains on
        (state(40), 60, False),  # killed half-way
        (state(40, patience=3, bad_evaluations=3), 60, True),  # stopped early
        (state(40, patience=3, bad_evaluations=3), 80, False),  # stopped early, more asked
        (state(40, patience=3, bad_evaluations=2), 60, False),
    ],
)
def test_training_done(checkpoint, asked_steps, done):
    assert training_done(checkpoint, asked_steps) is done
