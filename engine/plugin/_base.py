"""The plugin contract, after Lightning's LightningModule: a few required methods, every other
hook an empty default.

Importing this module does not import torch, so listing plugins stays cheap; torch is only
needed once a plugin builds a model.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from engine.options import TRAINING_SCHEMA
from engine.schema import Choice, Schema

if TYPE_CHECKING:
    import torch

    from engine.data import Batch, Dataset, DataSpec, Split

_DIRECTIONS = ("min", "max")
EXAMPLE_INPUTS = 2
_REQUIRED = ("name", "description", "data_kinds", "schema", "metrics", "monitor")


class OptimizationContext(ABC):
    """What a plugin with manual optimisation uses to step its optimizers.

    It applies the engine's mixed precision (loss scaling) and gradient clipping, so a GAN's
    generator and discriminator steps get them exactly like an automatic step.
    """

    optimizers: Sequence[torch.optim.Optimizer]

    @abstractmethod
    def backward(self, loss: torch.Tensor) -> None:
        """Back-propagate ``loss`` (scaled when fp16 mixed precision is on)."""

    @abstractmethod
    def step(self, optimizer: torch.optim.Optimizer) -> None:
        """Clip, step and zero the gradients of one optimizer."""

    @abstractmethod
    def autocast(self) -> Any:
        """A context manager for the forward pass under the run's precision."""


class Plugin(ABC):
    """Base of every architecture plugin.

    Class attributes (checked when a subclass that sets ``id`` is defined):

    - ``id``: the short name users type (``cnn``); ``name``, ``description``: for people.
    - ``data_kinds``: the dataset kinds it can learn from (``sequence``, ``image``...).
    - ``schema``: its hyperparameters; the engine's training options are merged in.
    - ``metrics``: evaluation metrics it reports, each ``"min"`` or ``"max"``; the engine
      prefixes them with ``val_`` and ``test_``. ``monitor`` is the one early stopping and
      sweeps watch by default.
    - ``task_monitors``: optional per-task defaults for ``monitor`` (``{"forecasting":
      "mse_ratio"}``), for a plugin whose metrics depend on the dataset's task; the runner
      uses ``monitor_for(task)`` when the user names no monitor.
    - ``task_metrics``: optional ``{task: (metric, ...)}`` for such a plugin: the metrics it
      reports on data of that task (``metrics_for(task)``); other tasks report all.
    - ``training_defaults``: new defaults for the engine's training options.
    - ``task_defaults``: optional ``{task: {name: default}}`` for hyperparameters and training
      options, applied by the runner on data of that task where the user sets no value
      (forecasting's early stopping and smaller network).
    - ``automatic_optimization``: False for plugins that step their optimizers themselves.
    - ``generative``: True for a generator, whose inputs (``input_shape``) are noise.
    """

    id: ClassVar[str]
    name: ClassVar[str]
    description: ClassVar[str]
    data_kinds: ClassVar[tuple[str, ...]]
    schema: ClassVar[Schema]
    metrics: ClassVar[Mapping[str, str]]
    monitor: ClassVar[str]
    task_monitors: ClassVar[Mapping[str, str]] = {}
    task_metrics: ClassVar[Mapping[str, Sequence[str]]] = {}
    training_defaults: ClassVar[Mapping[str, Any]] = {}
    task_defaults: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    automatic_optimization: ClassVar[bool] = True
    generative: ClassVar[bool] = False  # its inputs are noise: predictions can draw them
    icon: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "id" in cls.__dict__:
            cls._check_declaration()
            cls._full_schema = cls._build_full_schema()
            for defaults in cls.task_defaults.values():
                cls._full_schema.resolve(defaults)  # a typo fails when the class is defined

    @classmethod
    def _check_declaration(cls) -> None:
        missing = [attr for attr in _REQUIRED if not hasattr(cls, attr)]
        if missing:
            raise TypeError(f"plugin {cls.__name__} lacks required attributes: {missing}")
        if not isinstance(cls.id, str) or not cls.id.isidentifier():
            raise TypeError(f"plugin {cls.__name__}: id {cls.id!r} must be an identifier")
        if not isinstance(cls.schema, Schema):
            raise TypeError(f"plugin {cls.id}: schema must be an engine.schema.Schema")
        if not cls.data_kinds or isinstance(cls.data_kinds, str):
            raise TypeError(f"plugin {cls.id}: data_kinds must be a non-empty tuple of kinds")
        bad = {m: d for m, d in cls.metrics.items() if d not in _DIRECTIONS}
        if bad:
            raise TypeError(f"plugin {cls.id}: metric directions must be min or max, got {bad}")
        if cls.monitor not in cls.metrics:
            raise TypeError(f"plugin {cls.id}: monitor {cls.monitor!r} is not in its metrics")
        stray = {t: ms for t, ms in cls.task_metrics.items() if not set(ms) <= set(cls.metrics)}
        if stray:
            raise TypeError(f"plugin {cls.id}: task metrics not in its metrics: {stray}")
        stray = {t: m for t, m in cls.task_monitors.items() if m not in cls.metrics_for(t)}
        if stray:
            raise TypeError(f"plugin {cls.id}: task monitors not among the task's metrics: {stray}")

    @classmethod
    def _build_full_schema(cls) -> Schema:
        monitor = Choice(
            "monitor",
            f"val_{cls.monitor}",
            choices=tuple(f"val_{m}" for m in cls.metrics),
            help="Validation metric that early stopping watches."
            + "".join(f" Default for {t} data: val_{m}." for t, m in cls.task_monitors.items()),
        )
        return cls.schema.merged(TRAINING_SCHEMA, cls.training_defaults).merged(Schema(monitor))

    @classmethod
    def full_schema(cls) -> Schema:
        """The plugin's hyperparameters followed by the engine's training options."""
        return cls._full_schema

    @classmethod
    def metrics_for(cls, task: str) -> dict[str, str]:
        """The metrics (name: direction) this plugin reports on data of ``task``."""
        names = cls.task_metrics.get(task, cls.metrics)
        return {name: cls.metrics[name] for name in names}

    @classmethod
    def monitor_for(cls, task: str) -> str:
        """The metric (without ``val_``) watched by default on a dataset of this task."""
        return cls.task_monitors.get(task, cls.monitor)

    @classmethod
    def metric_direction(cls, metric: str) -> str:
        """``min`` or ``max`` for a metric name with or without its split prefix."""
        for prefix in ("val_", "test_", "train_", ""):
            if metric.startswith(prefix) and metric[len(prefix) :] in cls.metrics:
                return cls.metrics[metric[len(prefix) :]]
        raise KeyError(metric)

    @classmethod
    def accepts(cls, kind: str) -> bool:
        return kind in cls.data_kinds

    @classmethod
    def run_notes(cls, metrics: Mapping[str, float]) -> list[str]:
        """Sentences for the end-of-run summary read from a run's final metrics (say, that a
        baseline beat the model); none by default."""
        return []

    # -- per run ----------------------------------------------------------------------------
    def __init__(self, hparams: Mapping[str, Any], spec: DataSpec) -> None:
        self.hparams = dict(hparams)
        self.spec = spec

    def setup(self, dataset: Dataset) -> None:
        """Called by the trainer with the run's dataset before ``build_model`` (Lightning's
        ``setup``): fit what comes from the training split, such as a baseline. Nothing by
        default; a model built without it (for predictions) gets its state from the weights.
        """
        return None

    def summary_notes(self) -> list[str]:
        """Sentences for the end-of-run summary about this run's own set-up (say, which season a
        forecaster used), read after ``setup``; none by default."""
        return []

    def settle(self, model: torch.nn.Module, dataset: Dataset) -> bool:
        """The plugin's last word on the trained ``model`` (after ``restore_best``, before the
        final metrics), from the training and validation data only: say, a forecaster going
        back to its linear path when its network did not help. Returns whether it changed
        the model (the validation metrics are then measured again). Nothing by default."""
        return False

    def untrained_is_a_candidate(self) -> bool:
        """Whether ``restore_best`` may end the run with its untrained model (the evaluation
        at step 0), so that a model built to start as a baseline ends no worse than it on
        validation. True by default; a plugin whose ``settle`` does that judging itself, and
        needs a trained network to judge, says False."""
        return True

    def check(self) -> None:
        """Raise ``UsageError`` if these hyperparameters cannot work for ``self.spec``.

        Called before anything is tracked, so a model that cannot be built (say, too many
        strided layers for a short input) is reported as bad input, not as a failed run.
        """
        return None

    def check_task(self) -> None:
        """For a plugin with ``task_metrics``: raise ``UsageError`` unless it learns the
        dataset's task and reports the monitored metric on it. Call it from ``check``."""
        from engine.errors import UsageError

        task = self.spec.task
        if self.task_metrics and task not in self.task_metrics:
            raise UsageError(
                f"plugin {self.id!r} cannot learn a {task!r} task; it does: "
                f"{', '.join(self.task_metrics)}"
            )
        reported = [f"val_{metric}" for metric in self.metrics_for(task)]
        if self.hparams["monitor"] not in reported:
            raise UsageError(
                f"monitor {self.hparams['monitor']!r} is not reported on {task} data; "
                f"valid: {', '.join(reported)}"
            )

    @abstractmethod
    def build_model(self) -> torch.nn.Module:
        """The model for ``self.spec`` and ``self.hparams``."""

    def configure_optimizers(
        self, model: torch.nn.Module
    ) -> torch.optim.Optimizer | Sequence[torch.optim.Optimizer]:
        """One optimizer from the usual ``optimizer``, ``lr``, ``weight_decay`` hyperparameters."""
        from engine.plugin._optim import make_optimizer

        return make_optimizer(model.parameters(), self.hparams)

    @abstractmethod
    def training_step(
        self,
        model: torch.nn.Module,
        batch: Batch,
        step: int,
        context: OptimizationContext | None = None,
    ) -> Mapping[str, Any]:
        """One step. Returns metrics as tensors or numbers.

        With automatic optimisation the mapping must hold ``loss``, which the engine
        back-propagates and steps; ``context`` is None. With manual optimisation the plugin
        calls ``context.backward`` and ``context.step`` itself.
        """

    def validation_step(self, model: torch.nn.Module, batch: Batch) -> Mapping[str, Any]:
        """Metric sums for one evaluation batch (averaged by ``evaluate``)."""
        raise NotImplementedError(f"plugin {self.id} must implement validation_step or evaluate")

    def evaluate(self, model: torch.nn.Module, split: Split) -> dict[str, float]:
        """Metrics over a whole split (model in eval mode, no gradients)."""
        from engine.data import iterate_batches

        totals: dict[str, float] = {}
        for batch in iterate_batches(split, self.eval_batch_size()):
            for key, value in self.validation_step(model, batch).items():
                totals[key] = totals.get(key, 0.0) + float(value)
        return {key: total / len(split) for key, total in totals.items()}

    def eval_batch_size(self) -> int:
        return max(256, int(self.hparams.get("batch_size", 256)))

    def snapshot(self, model: torch.nn.Module, dataset: Dataset) -> dict[str, Any] | None:
        """Small JSON-able data to show live at each evaluation (samples, attention maps...).

        The engine emits it as a ``Snapshot`` event (the app draws it) and logs it as the
        artifact ``snapshots/step_NNNNNNN.json``. Keep it small: a few hundred points or one
        small matrix. Called in eval mode under ``torch.no_grad``; None (default) for nothing.
        """
        return None

    def write_artifacts(
        self, model: torch.nn.Module, dataset: Dataset, out_dir: Path
    ) -> Mapping[str, float] | None:
        """Write end-of-run artifacts (plots, samples) into ``out_dir``; nothing by default.

        Metrics found along the way (a classifier's per-class scores) may be returned: the
        run logs them at its last step."""
        return None

    # -- using a trained model (engine.models: MLflow Model, predict, export) ----------------
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one input that ``predict`` takes."""
        return tuple(int(n) for n in self.spec.input_shape)

    def example_inputs(self, dataset: Dataset) -> np.ndarray:
        """A few inputs, as ``predict`` takes them: the input example of the MLflow Model."""
        return dataset.test.inputs(slice(0, EXAMPLE_INPUTS)).cpu().numpy()

    def inference_module(self, model: torch.nn.Module) -> torch.nn.Module:
        """The network that predictions run and exports write (``model`` by default)."""
        return model

    def network_input(self, inputs: np.ndarray) -> torch.Tensor:
        """``inputs`` (what ``predict`` takes) as the inference module takes them."""
        import torch

        dtype = torch.long if self.spec.vocab_size else torch.float32  # codes or values
        return torch.as_tensor(np.ascontiguousarray(inputs)).to(dtype)

    def outputs(self, result: torch.Tensor) -> dict[str, np.ndarray]:
        """The inference module's result as named columns, one row per input."""
        raise NotImplementedError(f"plugin {self.id} does not say what its outputs are")

    def continuations(self, model: torch.nn.Module, inputs: np.ndarray, count: int, seed: int = 0):
        """Each input continued by ``count`` generated steps, as columns (a sequence model's
        text); plugins that cannot continue their inputs say so."""
        raise NotImplementedError(f"plugin {self.id} does not continue its inputs")
