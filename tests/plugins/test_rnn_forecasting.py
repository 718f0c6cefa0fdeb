"""The RNN's forecasting baselines, defaults and early stopping, on real data and runs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import torch
from mlflow.tracking import MlflowClient
from netyard_test_support import tracking_uri

from engine.data import load_dataset
from engine.events import EvalMetrics
from engine.runner import RunConfig, execute_run, prepare_run
from engine.testing import train_tiny
from engine.tracking import SUMMARY_HEADING
from plugins.rnn import RNNPlugin
from plugins.rnn._baselines import fit_linear, seasonal_naive_forecast


def write_series(folder: Path, values: np.ndarray, name: str = "series.csv") -> Path:
    path = folder / name
    path.write_text("value\n" + "\n".join(f"{v:.6f}" for v in values) + "\n")
    return path


def ar2_series(length: int = 400, seed: int = 0) -> np.ndarray:
    """y[t] = 1.2 y[t-1] - 0.5 y[t-2] + noise: a known linear process."""
    rng = np.random.default_rng(seed)
    series = np.zeros(length)
    for t in range(2, length):
        series[t] = 1.2 * series[t - 1] - 0.5 * series[t - 2] + rng.standard_normal()
    return series


def forecasting_plugin(dataset, **hparams) -> RNNPlugin:
    resolved = RNNPlugin.full_schema().resolve(
        {"hidden_size": 4, "amp": False, "monitor": "val_mse_ratio", **hparams}
    )
    return RNNPlugin(resolved, dataset.spec)


def ar2_forecaster(folder: Path, **hparams):
    """An AR(2) series in 8-step windows, and a forecasting plugin set up on it (its
    baselines fitted)."""
    path = write_series(folder, ar2_series())
    dataset = load_dataset(f"csv:{path}?window=8", folder, val_fraction=0.1)
    plugin = forecasting_plugin(dataset, **hparams)
    plugin.setup(dataset)
    return dataset, plugin


def fast_forecaster_hparams(**hparams) -> dict:
    """A small forecaster trained fast, its early stopping on ``val_mse_ratio``."""
    return RNNPlugin.full_schema().resolve(
        {"hidden_size": 8, "amp": False, "monitor": "val_mse_ratio", "lr": 0.05,
         "lr_schedule": "none", "restore_best": True, **hparams}
    )  # fmt: skip


# -- baselines -----------------------------------------------------------------------------------
def test_the_linear_baseline_recovers_a_linear_process(tmp_path):
    path = write_series(tmp_path, ar2_series())
    dataset = load_dataset(f"csv:{path}?window=4", tmp_path, val_fraction=0.1)
    baseline = fit_linear(dataset.train)
    # AICc on the training windows picks the process's order out of the window's four lags.
    assert baseline.lags == 2
    # Standardisation scales inputs and target alike: the lag weights are the process's own.
    assert baseline.weight[0, -2:] == pytest.approx([-0.5, 1.2], abs=0.15)
    assert baseline.weight[0, :2] == pytest.approx([0.0, 0.0])


def test_the_linear_baseline_does_not_spend_a_short_series_on_lags(tmp_path):
    """90 points, 32-step windows: plain AIC (and BIC) chose 30 lags on the 33 training
    windows, where the fit turns exact; AICc the process's own 2."""
    path = write_series(tmp_path, ar2_series(90, seed=3))
    dataset = load_dataset(f"csv:{path}?window=32", tmp_path, val_fraction=0.1)
    assert fit_linear(dataset.train).lags == 2


def test_the_linear_baseline_is_fitted_on_the_training_part_only(tmp_path):
    series = ar2_series()
    changed = series.copy()
    test_start = load_dataset(
        f"csv:{write_series(tmp_path, series)}?window=8", tmp_path, val_fraction=0.1
    ).spec.extra["boundaries"][1]
    changed[test_start:] = 100.0 + 5 * np.random.default_rng(1).standard_normal(
        len(series) - test_start
    )
    fitted = []
    for name, values in (("a.csv", series), ("b.csv", changed)):
        dataset = load_dataset(
            f"csv:{write_series(tmp_path, values, name)}?window=8", tmp_path, val_fraction=0.1
        )
        plugin = forecasting_plugin(dataset)
        plugin.setup(dataset)
        fitted.append((plugin.linear_baseline, dataset))
    (first, first_data), (second, second_data) = fitted
    assert not torch.equal(first_data.test.y, second_data.test.y)  # the test parts differ
    np.testing.assert_array_equal(first.weight, second.weight)
    np.testing.assert_array_equal(first.bias, second.bias)


def test_linear_metrics_sit_beside_the_naive_ones(tmp_path):
    dataset, plugin = ar2_forecaster(tmp_path)
    model = plugin.build_model().eval()
    with torch.no_grad():
        metrics = plugin.evaluate(model, dataset.test)
    assert metrics["mse_ratio_linear"] == pytest.approx(metrics["mse"] / metrics["linear_mse"])
    # On a linear process the least-squares fit beats repeating the last value.
    assert metrics["linear_mse"] < 0.8 * metrics["naive_mse"]
    assert "seasonal_naive_mse" not in metrics  # no season given


def test_a_network_that_never_learned_leaves_the_linear_fit(tmp_path):
    """Untrained (early stopping kept its start), the network is the last-value forecast, a
    baseline: settling leaves the forecast to the linear path alone."""
    dataset, plugin = ar2_forecaster(tmp_path)
    model = plugin.build_model().eval()
    with torch.no_grad():  # while it trains the forecast is the network's own
        torch.testing.assert_close(model(dataset.test.x), dataset.test.x[:, -1, :1])
    assert plugin.settle(model, dataset)
    with torch.no_grad():
        forecast = model(dataset.test.x)
        metrics = plugin.evaluate(model, dataset.val)
    torch.testing.assert_close(forecast, plugin.linear_baseline.predict(dataset.test.x))
    assert metrics["mse_ratio_linear"] == pytest.approx(1.0, abs=1e-9)
    assert plugin.summary_notes()[-1].startswith("The network is untrained (it forecasts the last")
    assert RNNPlugin.run_notes({"test_mse_ratio_linear": 1.0})[0].startswith(
        "The forecast on test is the linear AR model's"
    )


def test_the_network_trains_on_its_own_and_the_linear_path_stays_frozen(tmp_path):
    path = write_series(tmp_path, ar2_series(200))
    dataset = load_dataset(f"csv:{path}?window=8", tmp_path, val_fraction=0.1)
    plugin = forecasting_plugin(dataset)
    plugin.setup(dataset)
    model = plugin.build_model()
    frozen = model.linear_weight.clone(), model.linear_bias.clone()
    (optimizer,) = [plugin.configure_optimizers(model)]
    batch = next(iter(__import__("engine.data", fromlist=["iterate_batches"]).iterate_batches(
        dataset.train, 32)))  # fmt: skip
    plugin.training_step(model, batch, 1)["loss"].backward()
    optimizer.step()
    model.eval()
    with torch.no_grad():
        forecast, network = model.parts(dataset.test.x)
    torch.testing.assert_close(forecast, network)  # the share is 1 until settled
    assert not torch.equal(network, dataset.test.x[:, -1, :1])  # it moved off the last value
    assert torch.equal(model.linear_weight, frozen[0]) and torch.equal(model.linear_bias, frozen[1])


def test_the_evidence_is_the_paired_t_statistic_of_window_errors():
    from plugins.rnn._forecasting import correction_evidence

    rng = np.random.default_rng(0)
    linear = rng.uniform(1.0, 2.0, 200)
    assert correction_evidence(linear * 0.5, linear) < -10  # better on every window
    assert correction_evidence(linear * 2.0, linear) > 10
    noise = linear + rng.normal(0.0, 0.5, 200)  # better here, worse there: no evidence
    assert abs(correction_evidence(noise, linear)) < 2
    assert correction_evidence(linear, linear) == 0.0


def test_a_combination_that_does_not_beat_the_linear_path_on_validation_is_dropped(tmp_path):
    dataset, plugin = ar2_forecaster(tmp_path)
    model = plugin.build_model()
    # A network far off on the side the linear path already errs to on validation: even its
    # capped difference only adds error.
    residual = dataset.val.y - plugin.linear_baseline.predict(dataset.val.x)
    with torch.no_grad():
        model.head.bias.fill_(-50.0 if float(residual.mean()) >= 0 else 50.0)
    assert plugin.settle(model, dataset)
    assert float(model.blend.abs().max()) == 0.0
    with torch.no_grad():
        torch.testing.assert_close(model(dataset.val.x),
                                   plugin.linear_baseline.predict(dataset.val.x))  # fmt: skip
    note = plugin.summary_notes()[-1]
    assert note.startswith("The network's 25% share was dropped: ")
    assert "worse than" in note


def test_a_combination_that_beats_the_linear_path_on_validation_is_kept(tmp_path):
    """A weak linear path (the mean) and a network that repeats the last value of a
    persistent process: their combination beats the linear path, so the forecast is it."""
    from plugins.rnn._baselines import LinearBaseline
    from plugins.rnn._model import COMBINED_SHARE

    path = write_series(tmp_path, ar2_series())
    dataset = load_dataset(f"csv:{path}?window=8", tmp_path, val_fraction=0.1)
    plugin = forecasting_plugin(dataset)
    plugin.linear_baseline = LinearBaseline(weight=np.zeros((1, 8)), bias=np.zeros(1), lags=1)
    model = plugin.build_model()
    with torch.no_grad():  # trained, as far as settling can tell: the last value, nearly
        model.head.bias.fill_(1e-6)
    assert plugin.settle(model, dataset)
    assert model.blend.tolist() == [COMBINED_SHARE]
    with torch.no_grad():
        forecast, network = model.parts(dataset.val.x)
    torch.testing.assert_close(forecast, COMBINED_SHARE * network)  # the linear path is 0
    assert plugin.summary_notes()[-1].startswith(
        "The forecast is the linear path plus 25% of the network's difference from it: "
    )


def test_the_network_moves_the_kept_forecast_only_a_little_off_the_linear_one(tmp_path):
    """However far the network's own forecast strays, the combined forecast (as ``settle``
    sets it) stays within the share of the limit (in the linear fit's training error) of the
    linear one."""
    from plugins.rnn._model import COMBINED_SHARE, DIFFERENCE_LIMIT

    dataset, plugin = ar2_forecaster(tmp_path)
    model = plugin.build_model()
    with torch.no_grad():  # the last value, pushed far off
        model.head.bias.fill_(50.0)
    model.set_share(COMBINED_SHARE, DIFFERENCE_LIMIT * plugin.linear_baseline.residual_rms)
    with torch.no_grad():
        forecast, network = model.parts(dataset.test.x)
    linear = plugin.linear_baseline.predict(dataset.test.x)
    bound = COMBINED_SHARE * DIFFERENCE_LIMIT * float(plugin.linear_baseline.residual_rms[0])
    assert float((network - linear).min()) > 40  # the network alone is far off
    torch.testing.assert_close(forecast, linear + bound)
    # The bound is a fraction of the fit's own training error, recomputed here.
    residuals = dataset.train.y - plugin.linear_baseline.predict(dataset.train.x)
    assert bound == pytest.approx(
        COMBINED_SHARE * DIFFERENCE_LIMIT * float(residuals.pow(2).mean().sqrt()), rel=1e-4
    )


def test_runs_saved_with_a_learned_share_load_with_the_same_forecast(tmp_path):
    """Runs saved before the share was fixed hold ``blend_parameter`` (share 0.5 tanh)."""
    dataset, plugin = ar2_forecaster(tmp_path)
    model = plugin.build_model()
    state = {k: v for k, v in model.state_dict().items() if k != "blend"}
    state["blend_parameter"] = torch.tensor([0.3])
    del state["difference_limit"]
    model.load_state_dict(state)
    assert model.blend.tolist() == pytest.approx([0.5 * np.tanh(0.3)])
    assert model.difference_limit.tolist() == [float("inf")]  # they had no limit


def test_linear_head_off_builds_the_network_alone(tmp_path):
    dataset, plugin = ar2_forecaster(tmp_path, linear_head=False)  # the baseline still fitted
    model = plugin.build_model().eval()
    assert not model.linear and not hasattr(model, "blend")
    with torch.no_grad():
        # Its zero-free head makes it neither the linear nor the last-value forecast.
        forecast = model(dataset.test.x)
    assert not torch.allclose(forecast, plugin.linear_baseline.predict(dataset.test.x))
    assert "linear AR baseline uses lag" in plugin.summary_notes()[0]


def seasonal_series(length: int = 480, season: int = 12, seed: int = 0) -> np.ndarray:
    """A seasonal AR process, y[t] = 0.9 y[t - season] + noise: lag ``season`` predicts."""
    rng = np.random.default_rng(seed)
    series = rng.normal(0.0, 2.0, length)
    for t in range(season, length):
        series[t] = 0.9 * series[t - season] + 0.3 * rng.standard_normal()
    return series


def test_a_season_puts_its_lags_in_the_linear_path(tmp_path):
    path = write_series(tmp_path, seasonal_series())
    dataset = load_dataset(f"csv:{path}?window=16&season=12", tmp_path, val_fraction=0.1)
    plain = fit_linear(dataset.train)
    seasonal = fit_linear(dataset.train, season=12)
    assert plain.seasonal_lags == () and 12 in seasonal.seasonal_lags
    assert seasonal.lags < 12  # the season came from its own lags, not a 12-step order
    plugin = forecasting_plugin(dataset)
    plugin.setup(dataset)
    with torch.no_grad():
        metrics = plugin.evaluate(plugin.build_model().eval(), dataset.test)
    assert metrics["linear_mse"] < metrics["seasonal_naive_mse"]


def test_the_seasonal_phase_is_read_off_the_window():
    from plugins.rnn._model import SeasonalPhase

    season, window = 12, 24
    profile = np.sin(2 * np.pi * np.arange(season) / season)
    phase = SeasonalPhase(season, window)
    phase.set_profile(profile)
    starts = torch.tensor([0, 5, 7])  # the profile position of each window's first step
    steps = (starts[:, None] + torch.arange(window)) % season
    windows = torch.as_tensor(profile, dtype=torch.float32)[steps]
    features = phase(windows)
    angle = 2 * np.pi * steps.float() / season
    torch.testing.assert_close(features, torch.stack([angle.sin(), angle.cos()], dim=2))


def test_seasonal_naive_looks_whole_seasons_back():
    x = torch.arange(10, dtype=torch.float32).reshape(1, 10, 1)  # times 0..9, forecast 10..
    forecast = seasonal_naive_forecast(x, horizon=5, season=3)
    # Times 10, 11, 12 repeat 7, 8, 9; times 13, 14 go two seasons back to 7, 8.
    assert forecast.tolist() == [[7.0, 8.0, 9.0, 7.0, 8.0]]


def test_a_season_adds_the_seasonal_naive_baseline(tmp_path):
    values = np.tile([0.0, 5.0, 1.0, 7.0], 60) + 0.01 * np.arange(240)
    path = write_series(tmp_path, values)
    dataset = load_dataset(f"csv:{path}?window=8&season=4", tmp_path, val_fraction=0.1)
    plugin = forecasting_plugin(dataset)
    plugin.setup(dataset)
    with torch.no_grad():
        metrics = plugin.evaluate(plugin.build_model().eval(), dataset.test)
    assert metrics["seasonal_naive_mse"] == pytest.approx(0.04**2, rel=1e-2)


def test_the_summary_says_which_model_wins():
    wins = RNNPlugin.run_notes({"test_mse_ratio_linear": 0.8})
    loses = RNNPlugin.run_notes({"test_mse_ratio_linear": 1.25})
    assert wins == ["The network beats the linear AR baseline on test (its MSE is 0.80x the "
                    "linear model's)."]  # fmt: skip
    assert "prefer the linear model" in loses[0] and "1.25x" in loses[0]
    assert RNNPlugin.run_notes({"test_accuracy": 0.9}) == []


def test_the_forecast_plots_title_wraps_its_note_to_fit_the_plot():
    from plugins.rnn._forecasting import TITLE_CHARS, plot_title

    note = RNNPlugin.run_notes({"test_mse_ratio_linear": 1.25})[0] + "\nDates: 2 gaps"
    lines = plot_title(note).splitlines()
    assert lines[0] == "Test forecasts, one step ahead" and lines[-1] == "Dates: 2 gaps"
    assert len(lines) == 4 and max(len(line) for line in lines) <= TITLE_CHARS
    assert " ".join(lines[1:3]) == note.splitlines()[0]
    assert plot_title(None) == "Test forecasts, one step ahead"


# -- early stopping and the forecasting defaults ------------------------------------------------
def test_early_stopping_restores_the_best_weights(tmp_path):
    path = write_series(tmp_path, ar2_series(300))
    dataset = load_dataset(f"csv:{path}?window=8", tmp_path, val_fraction=0.2)
    # Without the linear path, whose settling after the restore would change the metrics.
    hparams = fast_forecaster_hparams(steps=60, eval_every=5, linear_head=False)
    run = train_tiny(RNNPlugin, hparams, dataset)
    evaluations = [e for e in run.events if isinstance(e, EvalMetrics)]
    assert evaluations[0].step == 0  # the untrained model is a candidate as well
    ratios = [e.metrics["val_mse_ratio"] for e in evaluations]
    best = int(np.argmin(ratios))
    assert best != len(ratios) - 1, "the last evaluation was the best: nothing to restore"
    assert run.result.restored_step == evaluations[best].step
    assert run.result.metrics["val_mse_ratio"] == ratios[best]
    # The model the run ends with is the best one, not the last one.
    with torch.no_grad():
        again = run.trainer.plugin.evaluate(run.model.eval(), run.trainer.dataset.val)
    assert again["mse_ratio"] == pytest.approx(ratios[best], rel=1e-5)


def test_with_the_linear_path_the_untrained_network_is_no_candidate(tmp_path):
    """On a random walk the last value is the best forecast, and a network trained this fast
    never beats it: alone (no linear path) it ends as its untrained start; beside the linear
    path it ends as its best trained state, the one its combination with the linear path is
    judged by."""
    walk = np.cumsum(np.random.default_rng(5).standard_normal(300))
    dataset = load_dataset(f"csv:{write_series(tmp_path, walk)}?window=8", tmp_path,
                           val_fraction=0.2)  # fmt: skip
    restored = {}
    for linear_head in (False, True):
        hparams = fast_forecaster_hparams(lr=0.3, steps=40, eval_every=10,
                                          linear_head=linear_head)  # fmt: skip
        run = train_tiny(RNNPlugin, hparams, dataset)
        assert [e.step for e in run.events if isinstance(e, EvalMetrics)][0] == 0  # drawn
        restored[linear_head] = run.result.restored_step
    assert restored[False] == 0
    assert restored[True] in (10, 20, 30, 40)


def test_a_run_that_restores_its_best_weights_shows_their_metrics_in_mlflow(
    tracked_workspace, tmp_path
):
    """MLflow's value of a metric is its last point: with restore_best that must be the
    restored model's, which the CLI prints, not the last evaluation's."""
    path = write_series(tmp_path, ar2_series(300))
    # Without the linear path, whose settling after the restore would change the metrics.
    hparams = {"hidden_size": 8, "amp": False, "monitor": "val_mse_ratio", "lr": 0.05,
               "lr_schedule": "none", "steps": 60, "eval_every": 5, "restore_best": True,
               "patience": 0, "linear_head": False}  # fmt: skip
    config = RunConfig("rnn", f"csv:{path}?window=8", hparams,
                       workspace=str(tracked_workspace), threads=1, log_model=False)  # fmt: skip
    outcome = execute_run(prepare_run(config))
    client = MlflowClient(outcome.tracking_uri)
    run = client.get_run(outcome.run_id)
    restored = int(run.data.tags["netyard.restored_step"])
    assert restored != outcome.step, "the last evaluation was the best: nothing to restore"
    for key in ("val_mse_ratio", "val_mse"):
        assert run.data.metrics[key] == pytest.approx(outcome.metrics[key], rel=1e-6)
        at_restored = [m for m in client.get_metric_history(run.info.run_id, key)
                       if m.step == restored]  # fmt: skip
        assert at_restored[0].value == pytest.approx(outcome.metrics[key], rel=1e-6)


def test_forecasting_runs_get_the_measured_defaults_unless_set(tracked_workspace):
    prepared = prepare_run(RunConfig("rnn", "sines", {}, workspace=str(tracked_workspace)))
    hparams = prepared.hparams
    assert (hparams["hidden_size"], hparams["readout"], hparams["dropout"]) == (16, "last", 0.3)
    assert (hparams["patience"], hparams["restore_best"], hparams["eval_every"]) == (10, True, 50)
    assert hparams["monitor"] == "val_mse_ratio"
    asked = {"patience": 0, "hidden_size": 64}
    prepared = prepare_run(RunConfig("rnn", "sines", asked, workspace=str(tracked_workspace)))
    assert (prepared.hparams["patience"], prepared.hparams["hidden_size"]) == (0, 64)
    # Classification keeps the plugin's own defaults.
    schema_defaults = RNNPlugin.full_schema().defaults()
    assert (schema_defaults["hidden_size"], schema_defaults["readout"]) == (64, "flatten")


def test_a_dated_series_run_logs_baselines_and_plots_them(tracked_workspace, tmp_path):
    lines = ["month,value"] + [
        f"{2000 + m // 12}-{m % 12 + 1:02d},{v:.5f}" for m, v in enumerate(ar2_series(150))
    ]
    path = tmp_path / "monthly.csv"
    path.write_text("\n".join(lines) + "\n")
    config = RunConfig(
        "rnn",
        f"csv:{path}?target=value&window=12&season=12",
        {"steps": 20, "eval_every": 10, "amp": False},
        workspace=str(tracked_workspace),
        threads=1,
    )
    outcome = execute_run(prepare_run(config))
    client = MlflowClient(outcome.tracking_uri)
    run = client.get_run(outcome.run_id)
    expected = {"test_linear_mse", "test_mse_ratio_linear", "val_linear_mse",
                "test_seasonal_naive_mse", "val_mse_ratio_linear", "test_naive_mse"}  # fmt: skip
    assert expected <= set(run.data.metrics)
    summary = run.data.tags["mlflow.note.content"]
    assert summary.startswith("The ")
    assert "Season: 12 rows (given); the linear path uses lag" in summary
    assert run.data.tags["netyard.restored_step"]
    folder = Path(client.download_artifacts(outcome.run_id, "forecast.csv", str(tmp_path)))
    header, first = folder.read_text().splitlines()[:2]
    assert header == "date,actual,forecast,linear,naive,seasonal_naive"
    assert first.startswith("2010-01-01,")  # the test part: the last 30 of 150 months


def test_the_summary_goes_below_the_note_the_user_wrote(tracked_workspace, tmp_path):
    path = write_series(tmp_path, ar2_series(150))
    dataset = f"csv:{path}?target=value&window=8"

    def config(**fields) -> RunConfig:
        return RunConfig("rnn", dataset, workspace=str(tracked_workspace), threads=1, **fields)

    first = execute_run(prepare_run(config(hparams={"steps": 20, "eval_every": 10})))
    client = MlflowClient(first.tracking_uri)
    summary = client.get_run(first.run_id).data.tags["mlflow.note.content"]
    assert summary.startswith("The ")
    client.set_tag(first.run_id, "mlflow.note.content", "try season=12 next")

    resumed = execute_run(prepare_run(config(resume=first.checkpoint, hparams={"steps": 30})))
    assert resumed.run_id == first.run_id
    note = client.get_run(first.run_id).data.tags["mlflow.note.content"]
    before, heading, after = note.partition(f"\n\n{SUMMARY_HEADING}\n")
    assert (before, heading) == ("try season=12 next", f"\n\n{SUMMARY_HEADING}\n")
    assert after.startswith("The ") and SUMMARY_HEADING not in after


# -- seasons from dates ---------------------------------------------------------------------------
def dated_csv(folder: Path, dates: list[str], name: str) -> Path:
    values = seasonal_series(len(dates), season=7)
    path = folder / name
    path.write_text(
        "day,value\n" + "\n".join(f"{d},{v:.5f}" for d, v in zip(dates, values, strict=True))
    )
    return path


def test_a_season_is_detected_from_daily_and_weekly_dates(tmp_path):
    days = [str(d) for d in np.arange("2020-01-01", "2020-09-01", dtype="datetime64[D]")]
    daily = load_dataset(f"csv:{dated_csv(tmp_path, days, 'd.csv')}", tmp_path, val_fraction=0.1)
    assert daily.spec.extra["season"] == 7
    assert daily.spec.extra["season_source"] == "detected from daily dates"

    weeks = [str(d) for d in np.arange("2000-01-03", "2008-01-03", 7, dtype="datetime64[D]")]
    path = dated_csv(tmp_path, weeks, "w.csv")
    weekly = load_dataset(f"csv:{path}?window=52", tmp_path, val_fraction=0.1)
    assert weekly.spec.extra["season"] == 52
    # A detected season longer than the window is not used; the summary says how to use it.
    short = load_dataset(f"csv:{path}?window=20", tmp_path, val_fraction=0.1)
    assert "season" not in short.spec.extra
    plugin = forecasting_plugin(short)
    plugin.setup(short)
    assert plugin.summary_notes()[0].startswith(
        "Season: none (weekly dates suggest a season of 52 rows, longer than the window 20, "
        "so none was used; give season=52 to use it)"
    )
    # Given, a season wins over the dates (season=1: none, the detection switched off).
    given = load_dataset(f"csv:{path}?window=20&season=1", tmp_path, val_fraction=0.1)
    assert (given.spec.extra["season"], given.spec.extra["season_source"]) == (1, "given")


def test_the_summary_names_a_detected_season(tracked_workspace, tmp_path):
    days = [str(d) for d in np.arange("2021-01-01", "2021-06-01", dtype="datetime64[D]")]
    config = RunConfig(
        "rnn",
        f"csv:{dated_csv(tmp_path, days, 'daily.csv')}?window=14",
        {"steps": 2, "eval_every": 1, "amp": False, "hidden_size": 4},
        workspace=str(tracked_workspace),
        threads=1,
        log_model=False,
    )
    outcome = execute_run(prepare_run(config))
    summary = MlflowClient(outcome.tracking_uri).get_run(outcome.run_id).data.tags
    assert (
        "Season: 7 rows (detected from daily dates); the linear path uses lag"
        in (summary["mlflow.note.content"])
    )


def test_a_dropped_combination_shows_in_mlflow_and_the_summary(tracked_workspace, tmp_path):
    """On a linear process a barely trained network does not help the linear path: the run
    ends as the linear path, and MLflow's values of the val metrics are that model's."""
    path = write_series(tmp_path, ar2_series(300))
    hparams = {"hidden_size": 8, "amp": False, "lr": 0.05, "steps": 20, "eval_every": 10,
               "restore_best": False, "patience": 0}  # fmt: skip
    config = RunConfig("rnn", f"csv:{path}?window=8", hparams,
                       workspace=str(tracked_workspace), threads=1, log_model=False)  # fmt: skip
    outcome = execute_run(prepare_run(config))
    run = MlflowClient(outcome.tracking_uri).get_run(outcome.run_id)
    assert "The network's 25% share was dropped: " in (run.data.tags["mlflow.note.content"])
    assert outcome.metrics["val_mse_ratio_linear"] == pytest.approx(1.0, abs=1e-6)
    assert run.data.metrics["val_mse_ratio_linear"] == pytest.approx(1.0, abs=1e-6)
    assert outcome.metrics["test_mse_ratio_linear"] == pytest.approx(1.0, abs=1e-6)


def test_netyard_run_prints_the_whole_summary_of_a_forecast(tracked_workspace, tmp_path, capsys):
    """What the run's MLflow description says (the verdict, the season and lags, what became
    of the network's share), ``netyard run`` prints as Note lines; small MSEs stay readable."""
    from engine.cli import main

    path = write_series(tmp_path, 1e-3 * ar2_series(150))  # MSEs of about 1e-06
    argv = ["run", "rnn", "--dataset", f"csv:{path}?window=8", "--workspace",
            str(tracked_workspace), "--set", "steps=20", "--set", "eval_every=10",
            "--set", "hidden_size=4", "--threads", "1"]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    notes = [line.removeprefix("Note: ") for line in out.splitlines() if line.startswith("Note: ")]
    run_id = re.search(r"MLflow run: ([0-9a-f]{32})", out).group(1)
    description = MlflowClient(tracking_uri(tracked_workspace)).get_run(run_id).data.tags
    assert notes == description["mlflow.note.content"].splitlines()
    assert any(note.startswith("Season: none") for note in notes)
    assert any(note.startswith(("The network's", "The network is untrained", "The forecast is"))
               for note in notes)  # fmt: skip
    test_mse = re.search(r" test_mse (\S+)", out).group(1)
    assert float(test_mse) > 0 and "e-" in test_mse  # not 0.0000
