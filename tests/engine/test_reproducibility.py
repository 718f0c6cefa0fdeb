"""Same seed on the CPU, same run; another seed, another run; deterministic mode."""

from __future__ import annotations

import pytest
import torch
from mlflow.tracking import MlflowClient
from netyard_test_support import TINY_CNN, step_losses, tracking_uri

from engine.events import EvalMetrics
from engine.plugin import ClassifierPlugin
from engine.runner import RunConfig, run
from engine.schema import Float, Schema
from engine.testing import tiny_dataset, train_tiny


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
    assert run(config, events.append).status == "finished"
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


# -- deterministic mode (the ``deterministic`` training option) ------------------------------
class DeterminismProbe(ClassifierPlugin):
    """Reports at every step whether PyTorch's deterministic algorithms are on."""

    id = "determinism_probe"
    name = "Determinism probe (test)"
    description = "A linear classifier that reports whether deterministic algorithms are on."
    data_kinds = ("image",)
    schema = Schema(Float("lr", 0.01, low=1e-5, high=1.0, log=True, help="Learning rate."))

    def build_model(self) -> torch.nn.Module:
        inputs = int(torch.tensor(self.spec.input_shape).prod())
        return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(inputs, 10))

    def training_step(self, model, batch, step, context=None):
        on = torch.are_deterministic_algorithms_enabled() and torch.backends.cudnn.deterministic
        return {**super().training_step(model, batch, step), "deterministic": float(on)}


@pytest.mark.parametrize("deterministic", [True, False])
def test_deterministic_mode_is_on_for_the_run_and_off_after_it(deterministic):
    hparams = DeterminismProbe.full_schema().resolve(
        {"steps": 3, "batch_size": 16, "deterministic": deterministic}
    )
    benchmark = torch.backends.cudnn.benchmark
    tiny = train_tiny(DeterminismProbe, hparams, tiny_dataset("image"))
    assert tiny.result.status == "finished"
    assert [value for _, value in step_losses(tiny.events, "train_deterministic")] == [
        float(deterministic)
    ] * 3
    assert not torch.are_deterministic_algorithms_enabled()  # what it was before the run
    assert not torch.backends.cudnn.deterministic
    assert torch.backends.cudnn.benchmark == benchmark


def test_deterministic_is_a_setting_of_every_plugin():
    from engine.plugin import get_plugin

    for plugin in ("cnn", "rnn", "transformer", "gan"):
        schema = get_plugin(plugin).full_schema()
        assert schema["deterministic"].default is False
        assert schema.parse_assignments(["deterministic=true"]) == {"deterministic": True}


@pytest.mark.parametrize(
    ("plugin", "dataset", "hparams"),
    [
        ("cnn", "digits", TINY_CNN),
        ("rnn", "sines", {"hidden_size": 4, "batch_size": 16, "lr_schedule": "none"}),
    ],
)
def test_two_deterministic_runs_log_identical_metric_histories(
    tracked_workspace, plugin, dataset, hparams
):
    def tracked(seed: int) -> tuple[dict, dict]:
        config = RunConfig(
            plugin=plugin,
            dataset=dataset,
            hparams={**hparams, "steps": 6, "eval_every": 3, "deterministic": True},
            seed=seed,
            device="cpu",
            threads=1,
            workspace=str(tracked_workspace),
            log_model=False,
        )
        outcome = run(config)
        assert outcome.status == "finished", outcome.error
        client = MlflowClient(tracking_uri(tracked_workspace))
        logged = client.get_run(outcome.run_id).data
        histories = {
            key: sorted((m.step, m.value) for m in client.get_metric_history(outcome.run_id, key))
            for key in logged.metrics
            if not key.startswith("system/")  # the machine's load, not the run's
        }
        return histories, logged.params

    first, params = tracked(seed=5)
    again, _ = tracked(seed=5)
    assert params["deterministic"] == "True"
    assert {"train_loss", "val_loss", "test_loss"} <= set(first)
    assert [step for step, _ in first["train_loss"]] == list(range(1, 7))
    assert again == first  # exactly, every point of every metric
