"""The RNN plugin's declaration: one class for sequence classification and forecasting.

The task comes from the dataset's ``DataSpec``: classification datasets (kind ``sequence``)
train with cross-entropy as any ``ClassifierPlugin``; forecasting datasets (kind
``timeseries``) train with mean squared error and are measured against the naive last-value
forecast. No torch import here: listing plugins stays cheap.
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

CLASSIFICATION = "classification"
FORECASTING = "forecasting"
TASK_METRICS = {
    CLASSIFICATION: ("loss", "accuracy"),
    FORECASTING: ("loss", "mse", "naive_mse", "mse_ratio"),
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
    }
    monitor: ClassVar[str] = "accuracy"
    task_metrics: ClassVar[Mapping[str, tuple[str, ...]]] = TASK_METRICS
    task_monitors: ClassVar[Mapping[str, str]] = {FORECASTING: "mse_ratio"}
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
        *optimizer_params("adamw", lr=3e-3, weight_decay=1e-2),
    )
    training_defaults: ClassVar = {
        "steps": 6000,
        "batch_size": 100,
        "lr_schedule": "cosine",
        "grad_clip": 1.0,
    }

    @property
    def forecasting(self) -> bool:
        return self.spec.task == FORECASTING

    def check(self) -> None:
        self.check_task()

    def build_model(self) -> torch.nn.Module:
        from plugins.rnn._model import RecurrentNet

        spec = self.spec
        if self.forecasting:
            from plugins.rnn._forecasting import TARGET_CHANNEL

            residual = TARGET_CHANNEL if self.hparams["residual"] else None
            outputs = int(spec.extra["horizon"])
            return RecurrentNet(spec.kind, spec.input_shape, outputs, self.hparams, residual)
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

        model_sse, naive_sse = squared_errors(model, split, self.eval_batch_size())
        count = len(split) * int(self.spec.extra["horizon"])
        return forecast_metrics(model_sse, naive_sse, count, float(self.spec.extra["target_std"]))

    def write_artifacts(self, model: torch.nn.Module, dataset: Dataset, out_dir: Path) -> None:
        if not self.forecasting:
            return super().write_artifacts(model, dataset, out_dir)
        from plugins.rnn._forecasting import forecast_png, predictions

        predicted, truth = predictions(model, dataset.test, self.spec, self.eval_batch_size())
        forecast_png(predicted, truth, str(self.spec.extra["target"]), out_dir / "forecast.png")

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
