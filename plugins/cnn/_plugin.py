"""The CNN plugin's declaration. No torch import here: listing plugins stays cheap."""

from __future__ import annotations

from typing import Any, ClassVar

from engine.augment import IMAGE, SIGNAL, augmentation_params
from engine.errors import UsageError
from engine.plugin import ClassifierPlugin, optimizer_params
from engine.schema import Bool, Choice, Float, Int, Schema

PADDINGS = ("same", "0", "1", "2", "3")
ARCHITECTURES = ("plain", "resnet")


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
    "normalize": False,
    "dropout": 0.0,
    "optimizer": "adam",
    "lr": 0.01,
    "weight_decay": 0.0,
    "lr_schedule": "none",
    "batch_size": 100,
}


class CNNPlugin(ClassifierPlugin):
    """Stacked convolutions (or a residual network) then a linear classifier.

    With ``CONVBASE`` (``channels=25 depth=3 first_kernel=5 kernel_size=3 stride=2 padding=1
    pooling=none head=flatten batch_norm=false normalize=false dropout=0 optimizer=adam
    lr=0.01 batch_size=100``) this is exactly the MNIST-1D paper's ConvBase.

    ``normalize`` is on by default for both images and signals: standardised inputs are what
    convolutions and their initialisation expect on any data (a folder of photos averages
    about 0.45, not 0), it costs one subtraction and division per batch, and the statistics
    travel inside the model. It is a hyperparameter, not always on, so the paper's ConvBase
    stays exact and a sweep can test it.
    """

    id = "cnn"
    name = "Convolutional network"
    description = (
        "Stacked convolutions or a residual network (1-D for sequences, 2-D for images) "
        "and a linear classifier."
    )
    data_kinds = ("sequence", "image")
    icon = "cnn"
    schema = Schema(
        Choice(
            "architecture",
            "plain",
            choices=ARCHITECTURES,
            help="plain: stacked convolutions. resnet: He et al.'s CIFAR ResNet (a conv, then "
            "3 stages of residual blocks, batch norm, global average pooling).",
        ),
        Int(
            "channels",
            64,
            low=1,
            high=1024,
            log=True,
            help="Feature maps in every conv layer (resnet: in its last stage; the stages "
            "have channels/4, channels/2, channels).",
        ),
        Int("depth", 4, low=1, high=12, help="Number of convolution layers (plain)."),
        Int(
            "blocks",
            3,
            low=1,
            high=18,
            help="Residual blocks per stage (resnet): 3 is ResNet-20, 5 ResNet-32, 9 ResNet-56.",
        ),
        Int("first_kernel", 5, low=1, high=31, help="Kernel size of the first conv layer (plain)."),
        Int(
            "kernel_size",
            3,
            low=1,
            high=31,
            help="Kernel size of the other conv layers (resnet: of all; odd).",
        ),
        Int("stride", 1, low=1, high=4, help="Stride of every conv layer (plain)."),
        Choice(
            "padding",
            "same",
            choices=PADDINGS,
            help="Zero padding of every conv layer (plain; same = kernel // 2).",
        ),
        Choice(
            "pooling",
            "max",
            choices=("none", "max", "avg"),
            help="Pooling by 2 after conv layers 2, 4, ... (plain; while the input is long "
            "enough).",
        ),
        Choice(
            "head",
            "flatten",
            choices=("flatten", "avg"),
            help="Flatten all features into the classifier, or average them over positions "
            "(plain; resnet averages).",
        ),
        Bool("batch_norm", True, help="Batch normalisation after each convolution (plain)."),
        Bool(
            "normalize",
            True,
            help="Standardise each input channel by its mean and std on the training split; "
            "the figures are stored in the model, so predictions and exports apply them too.",
        ),
        Float("dropout", 0.1, low=0.0, high=0.9, help="Dropout before the classifier."),
        Choice("activation", "relu", choices=("relu", "gelu", "silu"), help="Nonlinearity."),
        *optimizer_params("adamw", lr=3e-3, weight_decay=1e-2),
        *augmentation_params(IMAGE, SIGNAL),
    )
    # 1500 steps: 98-99 % test accuracy on MNIST-1D over seeds 0-2 (the paper's ConvBase gets
    # 94 % in 6000) in well under a minute on two CPU cores; see docs/benchmarks.md.
    training_defaults: ClassVar = {"batch_size": 100, "steps": 1500, "lr_schedule": "cosine"}

    # Set by ``setup`` from the training split; a model rebuilt for predictions gets its
    # statistics from its weights instead.
    input_statistics: tuple[Any, Any] | None = None

    def setup(self, dataset) -> None:
        """Measure each input channel's mean and std on the training split (never on
        validation or test) for the model's ``Standardize`` layer."""
        if self._normalizes():
            from plugins.cnn._model import network_input_shape
            from plugins.cnn._normalize import channel_statistics

            channels = network_input_shape(self.spec.input_shape)[0]
            self.input_statistics = channel_statistics(dataset.train, channels)

    def _normalizes(self) -> bool:
        # Runs saved before the option existed have no normalize hyperparameter: their
        # models had no normalisation, and are rebuilt without it.
        return bool(self.hparams.get("normalize", False))

    def check(self) -> None:
        if self._architecture() == "resnet":
            self._check_resnet()
        else:
            self._check_plain()

    def _check_resnet(self) -> None:
        from plugins.cnn._resnet import odd_kernel_problem

        problem = odd_kernel_problem(self.hparams)
        if problem:
            raise UsageError(problem)

    def _check_plain(self) -> None:
        from plugins.cnn._model import output_extent

        extent = output_extent(self.spec.input_shape, self.hparams)
        if extent < 1:
            raise UsageError(
                f"the CNN's {self.hparams['depth']} layers (stride {self.hparams['stride']}, "
                f"pooling {self.hparams['pooling']}) shrink input of shape "
                f"{tuple(self.spec.input_shape)} to nothing; use fewer layers or less striding"
            )

    def _architecture(self) -> str:
        return str(self.hparams.get("architecture", "plain"))  # older runs: all plain

    def build_model(self):
        from plugins.cnn._model import ConvNet, network_input_shape
        from plugins.cnn._normalize import Standardize
        from plugins.cnn._resnet import ResNet

        standardize = None
        if self._normalizes():
            channels = network_input_shape(self.spec.input_shape)[0]
            standardize = Standardize(channels, *(self.input_statistics or (None, None)))
        network = ResNet if self._architecture() == "resnet" else ConvNet
        return network(self.spec.input_shape, self.spec.num_classes, self.hparams, standardize)
