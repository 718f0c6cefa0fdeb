"""The RNN plugin's declaration: one class for sequence classification and forecasting.

The task comes from the dataset's ``DataSpec``: classification datasets (kind ``sequence``)
train with cross-entropy as any ``ClassifierPlugin``; forecasting datasets (kind
``timeseries``) train with mean squared error and are measured against the naive last-value
forecast, the seasonal-naive one (with a ``season``) and a linear AR model fitted on the
training windows (``setup``); that same fit is the forecaster's linear path
(``linear_head``): the trained network's forecast is combined with it where the combination
beats it on validation (``settle``), so the forecaster falls back to the linear model.
Forecasting runs stop early by default and end with the best validation weights. No torch
import here: listing plugins stays cheap.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from engine.plugin import ClassifierPlugin, OptimizationContext, optimizer_params
from engine.schema import Bool, Choice, Float, Int, Schema

if TYPE_CHECKING:
    import torch

    from engine.data import Batch, Dataset, Split
    from plugins.rnn._baselines import LinearBaseline

CLASSIFICATION = "classification"
FORECASTING = "forecasting"
TASK_METRICS = {
    CLASSIFICATION: ("loss", "accuracy"),
    FORECASTING: ("loss", "mse", "naive_mse", "mse_ratio", "linear_mse", "mse_ratio_linear"),
}


# Chosen by measurement on short real series (docs/benchmarks.md, benchmarks/bench_rnn.py):
# a 100-700 point series overfits a wide network within a few hundred steps, so forecasting
# reads the last state of a small, strongly dropped-out GRU, evaluates every 50 steps, stops
# after 10 evaluations without a better validation ratio and ends with the best weights.
FORECASTING_DEFAULTS = {
    "hidden_size": 16,
    "readout": "last",
    "dropout": 0.3,
    "eval_every": 50,
    "patience": 10,
    "restore_best": True,
}


class RNNPlugin(ClassifierPlugin):
    """A GRU or LSTM stack read out by its last state, the mean of its states, or all of them.

    Classifies sequences (MNIST-1D) and forecasts time series (``sines``, ``csv:`` files).
    """

    id = "rnn"
    name = "Recurrent network"
    description = (
        "GRU or LSTM layers and a linear head: classifies sequences, forecasts time series."
    )
    data_kinds = ("sequence", "timeseries")
    icon = "rnn"
    metrics: ClassVar[Mapping[str, str]] = {
        "loss": "min",
        "accuracy": "max",
        "mse": "min",
        "naive_mse": "min",
        "mse_ratio": "min",
        "linear_mse": "min",
        "mse_ratio_linear": "min",
        # Reported only on datasets with a season (csv: ...&season=52).
        "seasonal_naive_mse": "min",
    }
    monitor: ClassVar[str] = "accuracy"
    task_metrics: ClassVar[Mapping[str, tuple[str, ...]]] = TASK_METRICS
    task_monitors: ClassVar[Mapping[str, str]] = {FORECASTING: "mse_ratio"}
    task_defaults: ClassVar[Mapping[str, Mapping[str, Any]]] = {FORECASTING: FORECASTING_DEFAULTS}
    schema = Schema(
        Choice("cell", "gru", choices=("gru", "lstm"), help="Recurrent cell type."),
        Int("hidden_size", 64, low=1, high=2048, log=True, help="Hidden units per direction."),
        Int("layers", 1, low=1, high=8, help="Stacked recurrent layers."),
        Bool("bidirectional", True, help="Also read each sequence backwards."),
        Choice(
            "readout",
            "flatten",
            choices=("last", "mean", "flatten"),
            help="What the head sees: the final states, the mean over time, or every state.",
        ),
        Float(
            "dropout", 0.1, low=0.0, high=0.9, help="Dropout between layers and before the head."
        ),
        Bool(
            "residual", True, help="Forecasting: predict the change from the last observed value."
        ),
        Bool(
            "linear_head",
            True,
            help="Forecasting: a linear AR path beside the network (least squares on the "
            "training windows, order and seasonal lags by AICc); the forecast is the linear "
            "path plus a quarter of the network's (capped) difference from it where that "
            "beats the linear path on validation, else the linear path's.",
        ),
        Bool(
            "season_features",
            True,
            help="Forecasting with a season: each step also reads the sine and cosine of its "
            "seasonal position, estimated from the window.",
        ),
        *optimizer_params("adamw", lr=3e-3, weight_decay=1e-2),
    )
    training_defaults: ClassVar = {
        "steps": 6000,
        "batch_size": 100,
        "lr_schedule": "cosine",
        "grad_clip": 1.0,
    }

    linear_baseline: LinearBaseline | None = None
    profile: np.ndarray | None = None  # the training part's seasonal profile (with a season)
    settled: str | None = None  # what ``settle`` decided, for the run's summary

    @property
    def forecasting(self) -> bool:
        return self.spec.task == FORECASTING

    @property
    def season(self) -> int | None:
        return self.spec.extra.get("season") or None

    def setup(self, dataset: Dataset) -> None:
        """Fit the linear AR baseline (also the linear path) and the seasonal profile on the
        training windows (never on validation or test)."""
        if self.forecasting:
            from plugins.rnn._baselines import fit_linear, seasonal_profile

            self.linear_baseline = fit_linear(dataset.train, self.season)
            if self.season and self.season >= 2:
                self.profile = seasonal_profile(dataset.train, self.season)

    def summary_notes(self) -> list[str]:
        """Which season the forecaster used, how it was chosen, and the linear path's lags."""
        if not self.forecasting:
            return []
        source = self.spec.extra.get("season_source")
        if self.season:
            how = "given" if source == "given" else source
            season = f"Season: {self.season} rows ({how})"
        else:
            season = f"Season: none ({source})" if source else "Season: none given or detected"
        if self.linear_baseline is None:
            return [season + "."]
        path = "linear path" if self.hparams.get("linear_head") else "linear AR baseline"
        notes = [f"{season}; the {path} uses {self.linear_baseline.describe()}."]
        return notes + ([self.settled] if self.settled else [])

    def settle(self, model: torch.nn.Module, dataset: Dataset) -> bool:
        """The forecast after training: the linear path with a share (``COMBINED_SHARE``) of
        the network's difference from it (limited to ``DIFFERENCE_LIMIT`` of the linear fit's
        training error) where that beats the linear path on validation, else the linear path
        alone.

        The network trained and stopped early on its own (share 1; its untrained start, the
        last-value forecast, is no candidate: ``untrained_is_a_candidate``). Its combination
        with the linear path is kept only if the combination's validation error is below the
        linear path's; an untrained network (no steps) is never combined.
        """
        import torch

        from plugins.rnn._forecasting import correction_evidence, window_errors
        from plugins.rnn._model import COMBINED_SHARE, DIFFERENCE_LIMIT

        if not self.forecasting or not getattr(model, "linear", False):
            return False
        if self.linear_baseline is None:
            return False
        if not any(bool(p.detach().abs().max() > 0) for p in model.head.parameters()):
            model.set_share(0.0)
            start = "the last value" if model.residual_channel is not None else "the mean"
            self.settled = (
                f"The network is untrained (it forecasts {start}); the forecast is the linear "
                "path's."
            )
            return True
        rms = self.linear_baseline.residual_rms
        model.set_share(COMBINED_SHARE, math.inf if rms is None else DIFFERENCE_LIMIT * rms)
        training = model.training
        model.eval()
        with torch.no_grad():
            errors = window_errors(model, dataset.val, self.eval_batch_size(),
                                   self.linear_baseline)  # fmt: skip
        model.train(training)
        gain = 1.0 - float(errors[0].sum()) / max(float(errors[1].sum()), 1e-300)
        how = (f"{abs(gain):.1%} {'better' if gain > 0 else 'worse'} than the linear path on "
               f"validation (t = {correction_evidence(*errors):.2f} over {len(errors[0])} "
               "windows)")  # fmt: skip
        if gain > 0:
            capped = "" if rms is None else (
                f" (that difference capped at {DIFFERENCE_LIMIT:g}x the linear fit's training "
                "RMS error)"
            )  # fmt: skip
            self.settled = (
                f"The forecast is the linear path plus {COMBINED_SHARE:.0%} of the network's "
                f"difference from it{capped}: {how}."
            )
            return True
        model.set_share(0.0)
        self.settled = (
            f"The network's {COMBINED_SHARE:.0%} share was dropped: {how}; the forecast is "
            "the linear path's."
        )
        return True

    def untrained_is_a_candidate(self) -> bool:
        """Not with the linear path: the untrained network is the last-value forecast, a
        baseline, and ``settle`` needs the best trained network to judge against the linear
        path. (A candidate, it won wherever the last value led on validation, and the
        network was dropped unjudged: US treasury bill rates, where the trained network's
        share then beat the linear model on test by 5 %.)"""
        return not (self.forecasting and self.hparams.get("linear_head", False))

    def check(self) -> None:
        self.check_task()

    def build_model(self) -> torch.nn.Module:
        from plugins.rnn._model import RecurrentNet

        spec = self.spec
        if self.forecasting:
            from plugins.rnn._baselines import MAX_LINEAR_FEATURES, TARGET_CHANNEL, linear_features

            residual = TARGET_CHANNEL if self.hparams["residual"] else None
            outputs = int(spec.extra["horizon"])
            features = linear_features(*spec.input_shape)
            # Runs saved before these existed lack the hyperparameters: built as they were.
            linear = self.hparams.get("linear_head", False) and features <= MAX_LINEAR_FEATURES
            phase = self.hparams.get("season_features", False)
            model = RecurrentNet(
                spec.kind,
                spec.input_shape,
                outputs,
                self.hparams,
                residual,
                linear_features=features if linear else None,
                season=self.season if phase else None,
            )
            if linear and self.linear_baseline is not None:
                model.set_linear(self.linear_baseline.weight, self.linear_baseline.bias)
            if model.phase is not None and self.profile is not None:
                model.phase.set_profile(self.profile)
            return model
        return RecurrentNet(spec.kind, spec.input_shape, int(spec.num_classes), self.hparams)

    def training_step(
        self,
        model: torch.nn.Module,
        batch: Batch,
        step: int,
        context: OptimizationContext | None = None,
    ) -> Mapping[str, Any]:
        if not self.forecasting:
            return super().training_step(model, batch, step, context)
        import torch.nn.functional as F

        # The network learns the target on its own, whatever its share of the forecast (the
        # linear path is frozen): ``settle`` combines the two once it is trained.
        forecast, network = model.parts(batch.x)
        return {"loss": F.mse_loss((forecast if network is None else network).float(), batch.y)}

    def evaluate(self, model: torch.nn.Module, split: Split) -> dict[str, float]:
        if not self.forecasting:
            return super().evaluate(model, split)
        from plugins.rnn._forecasting import forecast_metrics, squared_errors

        sums = squared_errors(
            model, split, self.eval_batch_size(), self.linear_baseline, self.season
        )
        count = len(split) * int(self.spec.extra["horizon"])
        return forecast_metrics(sums, count, float(self.spec.extra["target_std"]))

    def write_artifacts(self, model: torch.nn.Module, dataset: Dataset, out_dir: Path) -> None:
        if not self.forecasting:
            return super().write_artifacts(model, dataset, out_dir)
        from plugins.rnn._forecasting import forecast_png, predictions, verdict

        if self.linear_baseline is None:
            self.setup(dataset)
        columns = predictions(
            model, dataset.test, self.spec, self.eval_batch_size(), self.linear_baseline
        )
        mse = {
            f"test_{name}": float(np.mean((columns[name] - columns["actual"]) ** 2))
            for name in ("forecast", "linear")
            if name in columns
        }
        if "test_linear" in mse and mse["test_linear"] > 0:
            mse["test_mse_ratio_linear"] = mse["test_forecast"] / mse["test_linear"]
        note = verdict(mse)
        note = note[0].upper() + note[1:] if note else None
        gaps = self.spec.extra.get("irregular_dates")
        if gaps:
            note = f"{note}\nDates: {gaps}" if note else f"Dates: {gaps}"
        forecast_png(
            columns,
            str(self.spec.extra["target"]),
            out_dir / "forecast.png",
            dates=self.spec.extra.get("test_dates"),
            note=note,
        )

    @classmethod
    def run_notes(cls, metrics: Mapping[str, float]) -> list[str]:
        from plugins.rnn._forecasting import verdict

        note = verdict(metrics)
        return [note[0].upper() + note[1:] + "."] if note else []

    # -- using the trained model: forecasts take and give the series' own units ------------
    def _scale(self) -> tuple[np.ndarray, np.ndarray]:
        extra = self.spec.extra
        return np.asarray(extra["channel_means"]), np.asarray(extra["channel_stds"])

    def example_inputs(self, dataset: Dataset) -> np.ndarray:
        inputs = super().example_inputs(dataset)
        if not self.forecasting:
            return inputs
        mean, std = self._scale()
        return (inputs * std + mean).astype(np.float32)

    def network_input(self, inputs: np.ndarray) -> torch.Tensor:
        if self.forecasting:
            mean, std = self._scale()
            inputs = ((np.asarray(inputs, dtype=np.float64) - mean) / std).astype(np.float32)
        return super().network_input(inputs)

    def outputs(self, result: torch.Tensor) -> dict[str, np.ndarray]:
        if not self.forecasting:
            return super().outputs(result)
        extra = self.spec.extra
        forecast = result.float().cpu().numpy() * extra["target_std"] + extra["target_mean"]
        return {f"{extra['target']}_t+{h + 1}": forecast[:, h] for h in range(forecast.shape[1])}
