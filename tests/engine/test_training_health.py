"""Training's health: gradient figures at each evaluation, rollback on divergence, overfitting."""

from __future__ import annotations

import pytest
from netyard_test_support import TINY_CNN, tracking_uri

from engine.events import EvalMetrics, OverfittingSeen, RolledBack
from engine.runner import RunConfig, run
from engine.training import LossSpike
from engine.training._divergence import SpikeDetector
from engine.training._overfitting import Evaluation, overfitting_since


def client_for(workspace):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=tracking_uri(workspace))


def config(workspace, plugin: str, **hparams) -> RunConfig:
    # No MLflow Model: what these tests read is the run's metrics, tags and summary.
    return RunConfig(plugin=plugin, dataset="digits", hparams=hparams, device="cpu", threads=1,
                     workspace=str(workspace), log_model=False)  # fmt: skip


def history(client, run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in client.get_metric_history(run_id, key)]


def test_gradient_health_is_logged_at_each_evaluation(tracked_workspace):
    events: list = []
    outcome = run(
        config(tracked_workspace, "cnn", **TINY_CNN, steps=4, eval_every=2), events.append
    )
    assert outcome.status == "finished"
    client = client_for(tracked_workspace)
    metrics = client.get_run(outcome.run_id).data.metrics
    layers = sorted(k for k in metrics if k.startswith("health/grad_norm/"))
    assert len(layers) >= 2  # a norm for each of the CNN's layer groups
    for key in ("health/grad_norm", "health/update_ratio", "health/generalization_gap", *layers):
        assert [step for step, _ in history(client, outcome.run_id, key)] == [2, 4], key
    grad_norm = history(client, outcome.run_id, "health/grad_norm")[0][1]
    layer_norms = [history(client, outcome.run_id, key)[0][1] for key in layers]
    assert grad_norm == pytest.approx(sum(n * n for n in layer_norms) ** 0.5, rel=1e-5)
    assert 0 < history(client, outcome.run_id, "health/update_ratio")[0][1] < 1
    # For the plots and MLflow: not among the run's final metrics.
    assert not any(key.startswith("health/") for key in outcome.metrics)
    assert any("health/grad_norm" in e.metrics for e in events if isinstance(e, EvalMetrics))


def test_a_nan_is_rolled_back_with_a_lower_learning_rate(fixture_plugins, tracked_workspace):
    events: list = []
    asked = config(tracked_workspace, "diverges", steps=8, eval_every=4, nan_at_step=5,
                   lr=0.01, stable_lr=0.006, on_divergence="rollback")  # fmt: skip
    outcome = run(asked, events.append)
    assert outcome.status == "finished" and outcome.step == 8
    [rolled] = [e for e in events if isinstance(e, RolledBack)]
    assert (rolled.step, rolled.restored_step, rolled.lr_factor, rolled.number) == (5, 4, 0.5, 1)
    assert "train_loss became nan at step 5" in rolled.message

    client = client_for(tracked_workspace)
    tags = client.get_run(outcome.run_id).data.tags
    assert tags["netyard.rollbacks"] == "1"
    assert tags["netyard.rollback.1"] == rolled.message
    assert rolled.message in tags["mlflow.note.content"]  # the run's summary
    assert history(client, outcome.run_id, "lr") == [(4, 0.01), (8, 0.005)]


def test_rollback_gives_up_after_three_with_the_reason(fixture_plugins, tracked_workspace):
    events: list = []
    asked = config(tracked_workspace, "nan_loss", steps=10, nan_at_step=3, on_divergence="rollback")
    outcome = run(asked, events.append)
    assert outcome.status == "failed"
    assert outcome.error == (
        "train_loss became nan at step 3, after 3 rollbacks (on_divergence=rollback allows 3)"
    )
    rolled = [e for e in events if isinstance(e, RolledBack)]
    assert [(e.number, e.restored_step, e.lr_factor) for e in rolled] == [
        (1, 2, 0.5), (2, 2, 0.25), (3, 2, 0.125)]  # fmt: skip
    tags = client_for(tracked_workspace).get_run(outcome.run_id).data.tags
    assert tags["netyard.rollbacks"] == "3"


def test_a_diverging_run_still_fails_by_default(fixture_plugins, tracked_workspace):
    events: list = []
    outcome = run(config(tracked_workspace, "diverges", steps=8, nan_at_step=5), events.append)
    assert outcome.status == "failed" and outcome.error == "train_loss became nan at step 5"
    assert not any(isinstance(e, RolledBack) for e in events)


def test_a_spike_far_above_the_recent_median_counts_as_divergence():
    detector = SpikeDetector(window=50, factor=10)
    detector.observe("train_loss", range(1, 21), [2.0] + [1.0] * 19)
    detector.observe("train_loss", [21], [9.0])  # high, but under 10x the median
    with pytest.raises(LossSpike, match="train_loss spiked to 12 at step 22"):
        detector.observe("train_loss", [22], [12.0])
    early = SpikeDetector()  # too few steps yet to tell a spike from the start's noise
    early.observe("train_loss", [1, 2, 3], [2.0, 0.1, 5.0])
    lower = SpikeDetector()  # not above the first loss: still coming down from it
    lower.observe("train_loss", range(1, 22), [100.0] + [1.0] * 19 + [50.0])


def evaluations(val: list[float], train: list[float]) -> list[Evaluation]:
    return [Evaluation(10 * (i + 1), v, t) for i, (v, t) in enumerate(zip(val, train, strict=True))]


def test_overfitting_is_validation_loss_rising_three_times_while_training_loss_falls():
    rising = [1.0, 0.8, 0.9, 1.0, 1.1]
    assert overfitting_since(evaluations(rising, [1.0, 0.8, 0.6, 0.5, 0.4])) == 20
    assert overfitting_since(evaluations(rising[:4], [1.0, 0.8, 0.6, 0.5])) is None  # twice
    assert overfitting_since(evaluations(rising, [1.0, 0.8, 0.9, 1.0, 1.1])) is None  # both rose
    dip = [1.0, 0.8, 0.9, 0.85, 1.1]
    assert overfitting_since(evaluations(dip, [1.0, 0.8, 0.6, 0.5, 0.4])) is None
    # A converged run's wandering (three rises of under 2 % in a row) is no overfitting.
    wandering = [0.050, 0.049, 0.0492, 0.0495, 0.0499]
    assert overfitting_since(evaluations(wandering, [1.0, 0.8, 0.6, 0.5, 0.4])) is None


def test_overfitting_is_tagged_and_summarised(fixture_plugins, tracked_workspace):
    events: list = []
    asked = config(tracked_workspace, "overfits", steps=40, eval_every=10, restore_best=True)
    outcome = run(asked, events.append)
    assert outcome.status == "finished"
    [seen] = [e for e in events if isinstance(e, OverfittingSeen)]
    assert (seen.since_step, seen.step) == (10, 40)
    run_data = client_for(tracked_workspace).get_run(outcome.run_id).data
    assert run_data.tags["netyard.overfitting_since"] == "10"
    note = run_data.tags["mlflow.note.content"]
    kept = run_data.tags["netyard.restored_step"]
    assert "validation loss rose from step 10 while training loss fell (seen at step 40)" in note
    assert f"restore_best kept step {kept}" in note
