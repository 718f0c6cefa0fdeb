"""The CNN plugin's declaration. No torch import here: listing plugins stays cheap."""

from __future__ import annotations

from typing import Any, ClassVar

from engine.errors import UsageError
from engine.plugin import ClassifierPlugin, optimizer_params
from engine.schema import Bool, Choice, Float, Int, Schema

PADDINGS = ("same", "0", "1", "2", "3")


# The MNIST-1D paper's ConvBase, spelled in this plugin's hyperparameters (a test checks the
# model it builds; the overhead benchmarks train it).
CONVBASE: dict[str, Any] = {
    "channels": 25,
    "depth": 3,
    "first_kernel": 5,
    "kernel_size": 3,
    "stride": 2,
    "padding": "1",
    "pooling": "none",
    "head": "flatten",
    "batch_norm": False,
    "dropout": 0.0,
    "optimizer": "adam",
    "lr": 0.01,
    "weight_decay": 0.0,
    "lr_schedule": "none",
    "batch_size": 100,
}


class CNNPlugin(ClassifierPlugin):
    """Stacked convolutions then a linear classifier.

    With ``CONVBASE`` (``channels=25 depth=3 first_kernel=5 kernel_size=3 stride=2 padding=1
    pooling=none head=flatten batch_norm=false dropout=0 optimizer=adam lr=0.01
    batch_size=100``) this is exactly the MNIST-1D paper's ConvBase.
    """

    id = "cnn"
    name = "Convolutional network"
    description = (
        "Stacked convolutions (1-D for sequences, 2-D for images) and a linear classifier."
    )
    data_kinds = ("sequence", "image")
    icon = "cnn"
    schema = Schema(
        Int("channels", 64, low=1, high=1024, log=True, help="Feature maps in every conv layer."),
        Int("depth", 4, low=1, high=12, help="Number of convolution layers."),
        Int("first_kernel", 5, low=1, high=31, help="Kernel size of the first conv layer."),
        Int("kernel_size", 3, low=1, high=31, help="Kernel size of the other conv layers."),
        Int("stride", 1, low=1, high=4, help="Stride of every conv layer."),
        Choice(
            "padding",
            "same",
            choices=PADDINGS,
            help="Zero padding of every conv layer (same = kernel // 2).",
        ),
        Choice(
            "pooling",
            "max",
            choices=("none", "max", "avg"),
            help="Pooling by 2 after conv layers 2, 4, ... (while the input is long enough).",
        ),
        Choice(
            "head",
            "flatten",
            choices=("flatten", "avg"),
            help="Flatten all features into the classifier, or average them over positions.",
        ),
        Bool("batch_norm", True, help="Batch normalisation after each convolution."),
        Float("dropout", 0.1, low=0.0, high=0.9, help="Dropout before the classifier."),
        Choice("activation", "relu", choices=("relu", "gelu", "silu"), help="Nonlinearity."),
        *optimizer_params("adamw", lr=3e-3, weight_decay=1e-2),
    )
    # 1500 steps: 98-99 % test accuracy on MNIST-1D over seeds 0-2 (the paper's ConvBase gets
    # 94 % in 6000) in well under a minute on two CPU cores; see docs/benchmarks.md.
    training_defaults: ClassVar = {"batch_size": 100, "steps": 1500, "lr_schedule": "cosine"}

    def check(self) -> None:
        from plugins.cnn._model import output_extent

        extent = output_extent(self.spec.input_shape, self.hparams)
        if extent < 1:
            raise UsageError(
                f"the CNN's {self.hparams['depth']} layers (stride {self.hparams['stride']}, "
                f"pooling {self.hparams['pooling']}) shrink input of shape "
                f"{tuple(self.spec.input_shape)} to nothing; use fewer layers or less striding"
            )

    def build_model(self):
        from plugins.cnn._model import ConvNet

        return ConvNet(self.spec.input_shape, self.spec.num_classes, self.hparams)
