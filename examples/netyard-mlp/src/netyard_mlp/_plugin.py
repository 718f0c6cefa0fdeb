"""The MLP plugin's declaration. No torch import here: listing plugins stays cheap."""

from __future__ import annotations

from typing import ClassVar

from engine.plugin import ClassifierPlugin
from engine.schema import Choice, Float, Int, Schema


class MLPPlugin(ClassifierPlugin):
    """Fully connected layers on the flattened input, then a linear classifier.

    With the defaults (three hidden layers of 100, Adam at 1e-2, batch 100, 6000 steps) this
    is the MNIST-1D paper's MLP baseline (68 % test accuracy published).
    """

    id = "mlp"
    name = "Multilayer perceptron"
    description = "Fully connected layers on the flattened input (sequences and images)."
    data_kinds = ("sequence", "image")
    schema = Schema(
        Int("width", 100, low=1, high=4096, log=True, help="Units in every hidden layer."),
        Int("depth", 3, low=0, high=8, help="Hidden layers (0 = logistic regression)."),
        Choice("activation", "relu", choices=("relu", "gelu", "tanh"), help="Nonlinearity."),
        Float("dropout", 0.0, low=0.0, high=0.9, help="Dropout after every hidden layer."),
        Choice("optimizer", "adam", choices=("adam", "adamw", "sgd"), help="Optimizer."),
        Float("lr", 1e-2, low=1e-6, high=1.0, log=True, help="Learning rate."),
        Float("weight_decay", 0.0, low=0.0, high=1.0, help="Weight decay."),
        Float("momentum", 0.9, low=0.0, high=0.999, help="Momentum (sgd only)."),
    )
    training_defaults: ClassVar = {"batch_size": 100, "steps": 6000}

    def build_model(self):
        from netyard_mlp._model import MLP

        return MLP(self.spec.input_shape, self.spec.num_classes, self.hparams)
