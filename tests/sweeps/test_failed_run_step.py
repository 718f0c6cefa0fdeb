"""A run that fails on a non-finite loss says the step where the loss went bad: the loop
checks a few steps at once, so it may have gone on a little before it found out."""

from __future__ import annotations

from engine.events import RunFailed
from engine.runner import RunConfig, execute_run, prepare_run
from tests.sweeps.conftest import Recorder


def test_a_non_finite_loss_fails_the_run_at_the_step_it_happened(trap_plugin, tmp_path):
    hparams = {"trap": "nan", "steps": 40, "depth": 1, "channels": 4, "batch_size": 16}
    config = RunConfig(trap_plugin, "mnist1d", hparams, workspace=str(tmp_path), threads=1,
                       track=False)  # fmt: skip
    events = Recorder()
    outcome = execute_run(prepare_run(config), events)
    assert outcome.status == "failed"
    assert outcome.error == "train_loss became nan at step 3"
    assert outcome.step == 3 and events.of(RunFailed)[0].step == 3
