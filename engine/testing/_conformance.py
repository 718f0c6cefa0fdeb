"""The conformance suite every plugin's tests run, after Optuna's ``pytest_samplers``.

A plugin's test module subclasses ``PluginConformance`` and names its plugin::

    class TestMyPluginConformance(PluginConformance):
        plugin_class = MyPlugin
        hparams = {"width": 16}          # tiny sizes, so each test takes a fraction of a second

Every test then runs for each data kind the plugin claims, on a tiny in-memory dataset of
that kind, through the engine's real ``Trainer``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest
import torch

from engine.data import Dataset
from engine.events import Snapshot
from engine.plugin import Plugin, contract_problem, get_plugin
from engine.states import State
from engine.testing._harness import TinyRun, assert_same_state, model_state, one_thread, train_tiny
from engine.testing._tiny import TinyFactory, made_once, tiny_dataset
from engine.training import load_checkpoint

# Set by the suite whatever the plugin's defaults: small batches, no early stopping, fp32.
_SUITE_DEFAULTS = {"batch_size": 16, "amp": False, "patience": 0}


def _as_text(value: Any) -> str:
    """A default as a user would type it after ``--set name=``."""
    return str(value).lower() if isinstance(value, bool) else str(value)


class PluginConformance:
    """Base class of a plugin's conformance tests (pytest collects the ``Test*`` subclass).

    Class attributes a subclass sets:

    - ``plugin_class``: the plugin under test (required).
    - ``hparams``: hyperparameter overrides that make it tiny, for every kind.
    - ``kind_hparams``: further overrides per data kind, e.g. ``{"image": {"depth": 1}}``.
    - ``tiny_datasets``: ``{kind: factory(seed) -> Dataset}`` for kinds the engine has no tiny
      dataset for, or to replace its choice (``engine.testing.from_registered`` makes one).
    - ``train_steps``: steps per short run; raise it for plugins that step some optimizers
      only every few steps (the checkpoint test trains twice as many).
    - ``registered``: False for a plugin that is not installed under its entry point.
    """

    plugin_class: ClassVar[type[Plugin]]
    hparams: ClassVar[Mapping[str, Any]] = {}
    kind_hparams: ClassVar[Mapping[str, Mapping[str, Any]]] = {}
    tiny_datasets: ClassVar[Mapping[str, TinyFactory]] = {}
    train_steps: ClassVar[int] = 2
    seed: ClassVar[int] = 0
    device: ClassVar[str] = "cpu"
    registered: ClassVar[bool] = True

    @pytest.fixture(autouse=True)
    def _one_torch_thread(self) -> Iterator[None]:
        with one_thread():  # also for the plugin's own tests in the subclass
            yield

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        # pytest calls this hook on test classes too: one test per claimed data kind.
        if "kind" in metafunc.fixturenames:
            plugin = getattr(type(self), "plugin_class", None)
            if plugin is None:
                raise TypeError(f"{type(self).__name__} must set plugin_class")
            kinds = list(plugin.data_kinds)
            metafunc.parametrize("kind", kinds, ids=kinds)

    # -- helpers a subclass may use in its own tests ---------------------------------------
    def dataset(self, kind: str) -> Dataset:
        """The tiny dataset this plugin is tested on for ``kind``."""
        factory = self.tiny_datasets.get(kind)
        dataset = made_once(factory, 0) if factory else tiny_dataset(kind)
        assert dataset.spec.kind == kind, (
            f"the tiny dataset for kind {kind!r} is of kind {dataset.spec.kind!r}"
        )
        return dataset

    def resolved_hparams(self, kind: str, steps: int | None = None) -> dict[str, Any]:
        """Full hyperparameters for a short run: defaults, tiny overrides, the suite's steps."""
        overrides = {
            **_SUITE_DEFAULTS,
            **self.hparams,
            **self.kind_hparams.get(kind, {}),
            "steps": steps or self.train_steps,
            "eval_every": self.train_steps,
            "checkpoint_every": 0,
        }
        if "monitor" not in overrides:  # as the runner does: the task's default monitor
            task = self.dataset(kind).spec.task
            overrides["monitor"] = f"val_{self.plugin_class.monitor_for(task)}"
        return self.plugin_class.full_schema().resolve(overrides)

    def reported_metrics(self, kind: str) -> list[str]:
        """The metrics the plugin must report on this kind's tiny dataset."""
        # All its metrics, or those it declares for the task (``task_metrics``).
        return list(self.plugin_class.metrics_for(self.dataset(kind).spec.task))

    def train(self, kind: str, steps: int | None = None, **options: Any) -> TinyRun:
        """A short real training run (options as for ``engine.testing.train_tiny``)."""
        options.setdefault("seed", self.seed)
        return train_tiny(
            self.plugin_class,
            self.resolved_hparams(kind, steps),
            self.dataset(kind),
            device=self.device,
            **options,
        )

    # -- declaration and schema -------------------------------------------------------------
    def test_declaration_passes_discovery_checks(self) -> None:
        cls = self.plugin_class
        problem = contract_problem(cls.id, cls)
        assert problem is None, problem
        assert all(isinstance(kind, str) and kind for kind in cls.data_kinds), cls.data_kinds
        assert cls.name and cls.description, "a plugin needs a name and a description"

    def test_registered_under_its_entry_point(self) -> None:
        if not self.registered:
            pytest.skip("the test class says this plugin is not installed (registered=False)")
        assert get_plugin(self.plugin_class.id) is self.plugin_class, (
            f"the netyard.plugins entry point {self.plugin_class.id!r} loads another class"
        )

    def test_schema_is_valid(self) -> None:
        schema = self.plugin_class.full_schema()
        schema.resolve()  # every default is valid
        json.dumps(schema.to_dicts())  # the app's form and the docs read this
        for param in schema:
            assert param.help, f"hyperparameter {param.name!r} has no help text"
            typed = param.parse(_as_text(param.default))
            assert typed == param.default, (
                f"--set {param.name}={_as_text(param.default)} gives {typed!r}, "
                f"not the default {param.default!r}"
            )
        for kind in self.plugin_class.data_kinds:
            self.resolved_hparams(kind)  # the tiny overrides name real, valid hyperparameters

    # -- per data kind ---------------------------------------------------------------------
    def test_builds_for_each_kind(self, kind: str) -> None:
        assert self.plugin_class.accepts(kind)
        dataset = self.dataset(kind)
        plugin = self.plugin_class(self.resolved_hparams(kind), dataset.spec)
        plugin.check()
        model = plugin.build_model()
        assert isinstance(model, torch.nn.Module), "build_model must return a torch.nn.Module"
        trainable = [p for p in model.parameters() if p.requires_grad]
        assert trainable, "the model has no trainable parameters"
        optimizers = plugin.configure_optimizers(model)
        if isinstance(optimizers, torch.optim.Optimizer):
            optimizers = [optimizers]
        assert optimizers, "configure_optimizers returned no optimizer"
        # Parameters outside the model would be missing from checkpoints.
        owned = {id(p) for p in model.parameters()}
        for optimizer in optimizers:
            assert isinstance(optimizer, torch.optim.Optimizer), optimizer
            for group in optimizer.param_groups:
                assert all(id(p) in owned for p in group["params"]), (
                    "an optimizer steps parameters that are not in the model"
                )

    def test_one_training_step(self, kind: str) -> None:
        dataset = self.dataset(kind)
        hparams = self.resolved_hparams(kind)
        if self.plugin_class.automatic_optimization:
            plugin = self.plugin_class(hparams, dataset.spec)
            torch.manual_seed(self.seed)
            model = plugin.build_model()
            batch = dataset.train.take(slice(0, int(hparams["batch_size"])))
            outputs = plugin.training_step(model, batch, 1)
            loss = outputs.get("loss")
            assert isinstance(loss, torch.Tensor) and loss.dim() == 0, (
                "with automatic optimisation training_step must return a scalar tensor 'loss'"
            )
            assert loss.requires_grad, "the returned loss is not connected to the parameters"
        run = self.train(kind)
        assert run.result.status == State.FINISHED and run.result.step == self.train_steps
        series = run.train_metrics()
        assert series, "training_step reported no metrics"
        for key, values in series.items():
            assert len(values) == self.train_steps, f"{key} was not reported every step"
        unchanged = run.optimizers_left_unchanged()
        assert not unchanged, (
            f"optimizer(s) {unchanged} never changed their parameters in {self.train_steps} "
            "steps (manual optimisation must call context.backward and context.step; "
            "raise train_steps if some step only every few steps)"
        )

    def test_evaluation(self, kind: str, tmp_path: Path) -> None:
        run = self.train(kind)
        evaluations = run.evaluations()
        assert evaluations, "no evaluation ran"
        for prefix, metrics in (("val", evaluations[-1].metrics), ("test", run.result.metrics)):
            for metric in self.reported_metrics(kind):
                value = metrics.get(f"{prefix}_{metric}")
                assert value is not None, f"evaluation did not report {prefix}_{metric}"
                assert math.isfinite(value), f"{prefix}_{metric} is {value}"
        monitor = run.trainer.monitor
        assert monitor in evaluations[-1].metrics, f"the monitored {monitor} is not reported"
        for event in run.events:
            if isinstance(event, Snapshot):
                json.loads(event.to_json())  # snapshots travel as JSON lines and artifacts
        # As the runner does at the end of a run: the trained model, the whole dataset.
        run.trainer.plugin.write_artifacts(run.model, run.trainer.dataset, tmp_path)

    def test_deterministic_under_a_seed(self, kind: str) -> None:
        first, second = self.train(kind), self.train(kind)
        assert_same_state(
            model_state(first.model), model_state(second.model), "two runs with one seed"
        )
        first_series, second_series = first.train_metrics(), second.train_metrics()
        assert list(first_series) == list(second_series)
        for key, values in first_series.items():
            assert values == pytest.approx(second_series[key]), f"{key} differs between runs"
        assert first.result.metrics == pytest.approx(second.result.metrics, nan_ok=True)

    def test_checkpoint_round_trip(self, kind: str, tmp_path: Path) -> None:
        steps = 2 * self.train_steps
        uninterrupted = self.train(kind, steps)
        path = tmp_path / "last.ckpt"
        stopped = self.train(kind, steps, stop_after=self.train_steps, checkpoint_path=path)
        assert stopped.result.status == State.STOPPED and stopped.result.step == self.train_steps
        state = load_checkpoint(path)  # weights_only: plain tensors and containers only
        resumed = self.train(kind, steps, resume_state=state)
        assert resumed.result.step == steps
        assert_same_state(
            model_state(uninterrupted.model),
            model_state(resumed.model),
            "stopping, saving and resuming changed the training",
        )
        assert resumed.result.metrics == pytest.approx(uninterrupted.result.metrics, nan_ok=True)
