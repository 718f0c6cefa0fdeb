"""Manual optimisation: two optimizers stepped by the plugin through the OptimizationContext.

The plugin (tests/fixtures/netyard_fixture_plugins.py) is installed through a real entry
point and found by ``get_plugin``, like any third-party plugin.
"""

from __future__ import annotations

import json

import pytest
import torch
from netyard_test_support import tracking_uri

from engine.data import load_dataset
from engine.events import Snapshot, StepMetrics
from engine.plugin import get_plugin
from engine.runner import RunConfig, run
from engine.training import Trainer

STEPS = 6


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    return load_dataset("digits", tmp_path_factory.mktemp("datasets"), seed=0)


def train(digits, **overrides):
    plugin_class = get_plugin("two_optimizers")
    hparams = plugin_class.full_schema().resolve({"steps": STEPS, "eval_every": 3, **overrides})
    plugin = plugin_class(hparams, digits.spec)
    events: list = []
    trainer = Trainer(plugin, digits, torch.device("cpu"), 0, events.append)
    result = trainer.fit()
    assert result.status == "finished" and result.step == STEPS
    return plugin, trainer, result, events


def test_both_parts_learn_each_with_its_own_optimizer(fixture_plugins, digits):
    plugin, trainer, result, events = train(digits)
    body, head = trainer.optimization.optimizers
    model = result.model
    assert {id(p) for g in body.param_groups for p in g["params"]} == {
        id(p) for p in model.body.parameters()
    }
    assert {id(p) for g in head.param_groups for p in g["params"]} == {
        id(p) for p in model.head.parameters()
    }
    # Each optimizer stepped once per training step (Adam counts its steps per parameter).
    for optimizer in (body, head):
        for group in optimizer.param_groups:
            for parameter in group["params"]:
                assert int(optimizer.state[parameter]["step"]) == STEPS
    assert len(plugin.grad_norms["body"]) == len(plugin.grad_norms["head"]) == STEPS

    final = model.state_dict()
    for key, before in plugin.initial_state.items():
        assert not torch.equal(final[key], before), f"{key} did not change"

    series = [e for e in events if isinstance(e, StepMetrics)]
    assert [s for e in series for s in e.steps] == list(range(1, STEPS + 1))
    assert {"train_loss", "train_head_loss"} <= set(series[0].metrics)
    assert [e.step for e in events if isinstance(e, Snapshot)] == [3, 6]


def test_gradient_clipping_applies_to_each_optimizer(fixture_plugins, digits):
    unclipped, *_ = train(digits)
    # A bound below every gradient norm the unclipped run saw, so every step is clipped.
    bound = 0.5 * min(min(norms) for norms in unclipped.grad_norms.values())
    assert bound > 0
    clipped, *_ = train(digits, grad_clip=bound)
    for part in ("body", "head"):
        assert all(norm <= bound * (1 + 1e-4) for norm in clipped.grad_norms[part]), part
        # The first step starts from the same weights and batch: the same gradient, scaled
        # down to exactly the bound.
        assert clipped.grad_norms[part][0] == pytest.approx(bound, rel=1e-3)
        assert unclipped.grad_norms[part][0] > 2 * bound * 0.999


def test_a_manual_run_through_execute_run_into_mlflow(fixture_plugins, tracked_workspace, tmp_path):
    config = RunConfig(
        plugin="two_optimizers",
        dataset="digits",
        hparams={"steps": STEPS, "eval_every": 3, "grad_clip": 0.5, "head_lr": 0.02},
        device="cpu",
        threads=1,
        workspace=str(tracked_workspace),
    )
    outcome = run(config)
    assert outcome.status == "finished", outcome.error
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri(tracked_workspace))
    mlflow_run = client.get_run(outcome.run_id)
    assert mlflow_run.info.status == "FINISHED"
    assert client.get_experiment(mlflow_run.info.experiment_id).name == "two_optimizers-digits"
    params = mlflow_run.data.params
    assert params["grad_clip"] == "0.5" and params["head_lr"] == "0.02"
    assert params["body_lr"] == "0.01" and params["optimizer"] == "adam"
    for key in ("train_loss", "train_head_loss"):
        history = client.get_metric_history(outcome.run_id, key)
        assert sorted(m.step for m in history) == list(range(1, STEPS + 1)), key
    assert [m.step for m in client.get_metric_history(outcome.run_id, "val_accuracy")] == [3, 6]

    snapshots = {a.path for a in client.list_artifacts(outcome.run_id, "snapshots")}
    assert snapshots == {"snapshots/step_0000003.json", "snapshots/step_0000006.json"}
    local = client.download_artifacts(outcome.run_id, "snapshots/step_0000006.json", str(tmp_path))
    with open(local) as stream:
        assert json.load(stream)["head_weight_norm"] > 0

    from engine.training import load_checkpoint

    saved = load_checkpoint(outcome.checkpoint)
    assert len(saved["optimizers"]) == 2
    assert all(state["state"] for state in saved["optimizers"])
