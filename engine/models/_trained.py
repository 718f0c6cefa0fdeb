"""A trained model rebuilt from what its run logged: ``config.json`` and ``model.safetensors``.

The plugin builds the network again from the logged hyperparameters and data spec and the
weights are loaded into it (no pickled module anywhere), so a model loads wherever Netyard
and the plugin are installed. ``predict`` takes inputs in the form the plugin declares
(``Plugin.input_shape``, ``network_input``) and gives named columns (``Plugin.outputs``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import UsageError

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
PREDICT_BATCH = 1024


@dataclass
class TrainedModel:
    plugin: Any  # the plugin instance, built for the run's data spec and hyperparameters
    model: Any  # the whole trained torch module (the GAN's holds both networks)
    config: dict[str, Any]

    @property
    def module(self):
        """The network predictions run and exports write (``Plugin.inference_module``)."""
        return self.plugin.inference_module(self.model)

    def check_inputs(self, inputs: Any) -> np.ndarray:
        """``inputs`` as an array of whole inputs; one ``UsageError`` naming the shape
        expected when they are not."""
        array = np.asarray(inputs)
        expected = self.plugin.input_shape()
        if array.shape[1:] != expected and array.shape == expected:
            array = array[None]  # a single input
        if array.ndim == 0 or array.shape[1:] != expected or not len(array):
            raise UsageError(
                f"inputs of shape {tuple(array.shape)} do not fit this model: it takes inputs "
                f"of shape {expected}, as an array of shape (N, {', '.join(map(str, expected))})"
            )
        if not np.issubdtype(array.dtype, np.number):
            raise UsageError(f"inputs must be numbers, not {array.dtype}")
        return array

    def run_dataset(self, datasets_dir: Path):
        """The run's dataset, loaded as the run loaded it (its seed and validation share)."""
        from engine.data import dataset_info

        config = self.config
        val_fraction = float(config["hparams"].get("val_fraction", 0.1))
        return dataset_info(config["dataset"]).load(datasets_dir, int(config["seed"]), val_fraction)

    def example_inputs(self, datasets_dir: Path) -> np.ndarray:
        """The input example: a few of the run's test samples (noise for a generator)."""
        if self.plugin.generative:
            return self.noise(2)
        return self.plugin.example_inputs(self.run_dataset(datasets_dir))

    def noise(self, count: int, seed: int = 0) -> np.ndarray:
        """``count`` standard normal inputs (a generator's latent batch)."""
        rng = np.random.default_rng(seed)
        return rng.standard_normal((count, *self.plugin.input_shape())).astype(np.float32)

    def predict(self, inputs: Any) -> dict[str, np.ndarray]:
        """Named output columns, one row per input; batches of ``PREDICT_BATCH``."""
        import torch

        array = self.check_inputs(inputs)
        module = self.module.eval()
        device = next(module.parameters()).device
        parts: list[dict[str, np.ndarray]] = []
        with torch.no_grad():
            for start in range(0, len(array), PREDICT_BATCH):
                x = self.plugin.network_input(array[start : start + PREDICT_BATCH])
                parts.append(self.plugin.outputs(module(x.to(device))))
        return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}

    def continuations(self, inputs: Any, count: int, seed: int = 0) -> dict[str, np.ndarray]:
        """Each input continued by ``count`` generated steps (``Plugin.continuations``)."""
        if count < 1:
            raise UsageError(f"invalid length {count}: expected a whole number >= 1")
        try:
            return self.plugin.continuations(self.model, self.check_inputs(inputs), count, seed)
        except NotImplementedError as error:
            raise UsageError(str(error)) from None


def read_run_config(folder: Path) -> dict[str, Any]:
    """The run config in ``folder / config.json`` (plugin, hyperparameters, data spec), read
    without torch: what a model takes is known before it is built."""
    from engine.data import DataSpec

    try:
        config = json.loads((folder / CONFIG_FILE).read_text())
        missing = [key for key in ("plugin", "hparams", "data_spec") if key not in config]
        if missing:
            raise KeyError(", ".join(missing))
        DataSpec.from_dict(config["data_spec"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UsageError(f"{folder / CONFIG_FILE} is not a Netyard run config: {error}") from None
    return config


def load_trained(folder: Path) -> TrainedModel:
    """The model in ``folder`` (a run's ``config.json`` and ``model.safetensors``)."""
    from safetensors.torch import load_model

    from engine.data import DataSpec
    from engine.plugin import get_plugin

    config = read_run_config(folder)
    spec = DataSpec.from_dict(config["data_spec"])
    plugin_id, hparams = config["plugin"], config["hparams"]
    plugin = get_plugin(plugin_id)(hparams, spec)
    model = plugin.build_model()
    try:
        load_model(model, str(folder / WEIGHTS_FILE))
    except (OSError, RuntimeError) as error:
        raise UsageError(
            f"cannot load the weights {folder / WEIGHTS_FILE} into plugin {plugin_id!r}'s "
            f"model: {str(error).splitlines()[0]}"
        ) from None
    return TrainedModel(plugin, model.eval(), config)
