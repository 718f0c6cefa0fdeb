"""The RNN plugin's declaration: one class for sequence classification and forecasting.

The task comes from the dataset's ``DataSpec``: classification datasets (kind ``sequence``)
train with cross-entropy as any ``ClassifierPlugin``; forecasting datasets (kind
``timeseries``) train with mean squared error and are measured against the naive last-value
forecast, the seasonal-naive one (with a ``season``) and a linear AR model fitted on the
training windows (``setup``). Forecasting runs stop early by default and end with the best
validation weights. No torch import here: listing plugins stays cheap.
"""

from __future__ import annotations

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
            False,
            help="Forecasting: add the least-squares linear AR fit of the training windows; "
            "the network learns its residual (and starts as the linear model). Off by default: "
            "on short series the fit over a whole window overfits.",
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

    @property
    def forecasting(self) -> bool:
        return self.spec.task == FORECASTING

    @property
    def season(self) -> int | None:
        return self.spec.extra.get("season") or None

    def setup(self, dataset: Dataset) -> None:
        """Fit the linear AR baseline on the training windows (never on validation or test)."""
        if self.forecasting:
            from plugins.rnn._baselines import fit_linear

            self.linear_baseline = fit_linear(dataset.train)

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
            # Runs saved before the linear head existed have no linear_head hyperparameter.
            linear = self.hparams.get("linear_head", False) and features <= MAX_LINEAR_FEATURES
            model = RecurrentNet(
                spec.kind,
                spec.input_shape,
                outputs,
                self.hparams,
                residual,
                linear_features=features if linear else None,
            )
            if linear and self.linear_baseline is not None:
                model.set_linear(self.linear_baseline.weight, self.linear_baseline.bias)
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

        return {"loss": F.mse_loss(model(batch.x).float(), batch.y)}

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
