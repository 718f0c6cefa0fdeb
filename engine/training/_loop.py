"""The step loop: train, report, evaluate, stop early, checkpoint, cancel cooperatively;
watch training's health (gradients, divergence, overfitting) and roll back where asked."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.augment import Augmenter
from engine.data import BatchSampler, Dataset, Split
from engine.events import (
    Checkpointed,
    EvalMetrics,
    Event,
    OverfittingSeen,
    RolledBack,
    Snapshot,
    StepMetrics,
)
from engine.plugin import Plugin
from engine.states import State
from engine.training._checkpoint import CheckpointFolder
from engine.training._determinism import deterministic_mode
from engine.training._divergence import (
    LR_FACTOR,
    MAX_ROLLBACKS,
    ROLLBACK,
    GoodState,
    SpikeDetector,
    scale_learning_rates,
)
from engine.training._early_stopping import BestWeights
from engine.training._errors import NonFiniteLoss
from engine.training._health import GENERALIZATION_GAP, HealthProbe, layer_groups
from engine.training._optimization import StepOptimization
from engine.training._overfitting import Evaluation, OverfittingWatch
from engine.training._schedule import lr_multiplier
from engine.training._threads import ThreadGovernor

Emit = Callable[[Event], None]
FLUSH_STEPS = 100
FLUSH_SECONDS = 0.2
EVALUATIONS_PER_RUN = 20


@dataclass
class TrainResult:
    status: State  # finished, or stopped (by ``should_stop``)
    step: int
    metrics: dict[str, float] = field(default_factory=dict)
    stopped_early: bool = False
    checkpoint: Path | None = None
    model: torch.nn.Module | None = None
    restored_step: int | None = None  # the evaluation whose weights ended the run
    notes: list[str] = field(default_factory=list)  # health lines for the run's summary
    settled: bool = False  # the plugin changed the model after training (``Plugin.settle``)


class Trainer:
    """Trains one plugin on one in-memory dataset, on one device."""

    def __init__(
        self,
        plugin: Plugin,
        dataset: Dataset,
        device: torch.device,
        seed: int,
        emit: Emit,
        should_stop: Callable[[], bool] = lambda: False,
        checkpoint_path: Path | None = None,
        checkpoint_extra: dict[str, Any] | None = None,
        threads: ThreadGovernor | None = None,
        measure_health: bool = True,
        pause_at: int | None = None,
        retune: bool = False,
    ) -> None:
        """``threads``: sized to the idle cores when training begins and followed every step
        (``ThreadGovernor``); None leaves torch's thread count as it is. ``measure_health``:
        gradient health at each evaluation (off only to measure what it costs).
        ``pause_at``: evaluate, checkpoint and stop (``State.STOPPED``) at that step, a
        segment of a population-based training or a successive halving's rung. ``retune``:
        a resumed state keeps this plugin's optimizer settings (lr, weight decay...) and
        learning-rate schedule bases, not the checkpoint's (an exploit's explored values)."""
        self.plugin = plugin
        self.threads = threads
        self.dataset = dataset
        self.device = device
        self.seed = seed
        self.emit = emit
        self.should_stop = should_stop
        self.checkpoint_path = checkpoint_path
        self.checkpoint_extra = dict(checkpoint_extra or {})
        hp = plugin.hparams
        self.checkpoints = (
            CheckpointFolder(checkpoint_path, int(hp.get("keep_checkpoints", 1)))
            if checkpoint_path is not None
            else None
        )
        self.total_steps = int(hp["steps"])
        self.eval_every = int(hp["eval_every"]) or max(1, self.total_steps // EVALUATIONS_PER_RUN)
        self.monitor = str(hp["monitor"])
        self.monitor_sign = 1.0 if plugin.metric_direction(self.monitor) == "max" else -1.0
        self.patience = int(hp["patience"])
        self.best: float | None = None
        self.best_step: int | None = None  # the evaluation that set ``best``
        self.bad_evaluations = 0
        self.restore_best = bool(hp.get("restore_best", False))
        self.best_weights = BestWeights()
        self.measure_health = measure_health
        self.pause_at = pause_at
        self.retune = retune
        self.health: dict[str, float] = {}  # the step before the next evaluation's figures
        self.window_losses: list[float] = []  # train_loss since the last evaluation
        self.overfitting = OverfittingWatch()
        self.roll_back = hp.get("on_divergence", "fail") == ROLLBACK
        self.rollbacks = 0
        self.lr_scale = 1.0  # the learning rates' factor after the rollbacks so far
        self.good_state = GoodState()
        self.spikes = SpikeDetector()
        self.notes: list[str] = []

    # -- set-up -----------------------------------------------------------------------------
    def _seed_everything(self) -> None:
        random.seed(self.seed)
        np.random.seed(self.seed % 2**32)
        torch.manual_seed(self.seed)

    def _build(self) -> None:
        self._seed_everything()
        hp = self.plugin.hparams
        self.plugin.setup(self.dataset)
        self.model = self.plugin.build_model().to(self.device)
        optimizers = self.plugin.configure_optimizers(self.model)
        if isinstance(optimizers, torch.optim.Optimizer):
            optimizers = [optimizers]
        self.optimization = StepOptimization(
            optimizers, self.device, bool(hp["amp"]), float(hp["grad_clip"])
        )
        self.schedulers = []
        if hp["lr_schedule"] != "none" or hp["warmup_steps"]:
            multiplier = lr_multiplier(hp["lr_schedule"], self.total_steps, hp["warmup_steps"])
            self.schedulers = [
                torch.optim.lr_scheduler.LambdaLR(opt, multiplier) for opt in optimizers
            ]
        self.sampler = BatchSampler(self.dataset.train, int(hp["batch_size"]), self.seed)
        # Training batches only: evaluation, test and predictions see the data as it is.
        self.augmenter = Augmenter.for_run(hp, self.dataset.spec, self.seed, self.device)
        self.layer_groups = layer_groups(self.model)

    # -- checkpoints ------------------------------------------------------------------------
    def state_dict(self, step: int) -> dict[str, Any]:
        rng = {"torch": torch.get_rng_state()}
        if self.device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(self.device)
        return {
            **self.checkpoint_extra,
            "plugin": self.plugin.id,
            "hparams": self.plugin.hparams,
            "seed": self.seed,
            "step": step,
            "model": self.model.state_dict(),
            "optimizers": [opt.state_dict() for opt in self.optimization.optimizers],
            "schedulers": [s.state_dict() for s in self.schedulers],
            "scaler": self.optimization.state_dict(),
            "sampler": self.sampler.state_dict(),
            "augmenter": self.augmenter.state_dict() if self.augmenter else None,
            "rng": rng,
            "divergence": {"rollbacks": self.rollbacks, "lr_scale": self.lr_scale},
            "early_stopping": {
                "best": self.best if self.best is not None else float("nan"),
                "best_step": -1 if self.best_step is None else self.best_step,
                "bad_evaluations": self.bad_evaluations,
                "best_weights": self.best_weights.state_dict(),
            },
        }

    def _restore(self, state: dict[str, Any], retune: bool = False) -> int:
        self.model.load_state_dict(state["model"])
        # The settings this plugin's hyperparameters gave its optimizers, before the saved
        # state overwrites them (a retuned resume puts them back: the moments stay).
        settings = [
            [{k: v for k, v in group.items() if k != "params"} for group in opt.param_groups]
            for opt in self.optimization.optimizers
        ]
        for optimizer, saved in zip(self.optimization.optimizers, state["optimizers"], strict=True):
            optimizer.load_state_dict(saved)
        for scheduler, saved in zip(self.schedulers, state["schedulers"], strict=False):
            scheduler.load_state_dict(saved)
        if retune:
            _retune(self.optimization.optimizers, settings, self.schedulers)
        self.optimization.load_state_dict(state["scaler"])
        self.sampler.load_state_dict(state["sampler"])
        if self.augmenter is not None and state.get("augmenter"):
            self.augmenter.load_state_dict(state["augmenter"])
        torch.set_rng_state(state["rng"]["torch"])
        if "cuda" in state["rng"] and self.device.type == "cuda":
            torch.cuda.set_rng_state(state["rng"]["cuda"], self.device)
        best = float(state["early_stopping"]["best"])
        self.best = None if math.isnan(best) else best
        best_step = int(state["early_stopping"].get("best_step", -1))
        self.best_step = None if best_step < 0 else best_step
        self.bad_evaluations = int(state["early_stopping"]["bad_evaluations"])
        self.best_weights.load_state_dict(state["early_stopping"].get("best_weights"))
        return int(state["step"])

    def _checkpoint(self, step: int) -> Path | None:
        """Save the last checkpoint; it is the best too where this step's evaluation set the
        best value (a trial checkpoints at every evaluation, so its best is exact)."""
        if self.checkpoints is None:
            return None
        self.checkpoints.save(self.state_dict(step), step, best=step == self.best_step)
        self.emit(Checkpointed(step=step, path=str(self.checkpoint_path)))
        return self.checkpoint_path

    # -- evaluation -------------------------------------------------------------------------
    def evaluate(self, split: Split, prefix: str) -> dict[str, float]:
        self.model.eval()
        with torch.no_grad(), self.optimization.autocast():
            metrics = self.plugin.evaluate(self.model, split)
        self.model.train()
        return {f"{prefix}_{key}": float(value) for key, value in metrics.items()}

    def _snapshot(self, step: int) -> None:
        self.model.eval()
        with torch.no_grad(), self.optimization.autocast():
            data = self.plugin.snapshot(self.model, self.dataset)
        self.model.train()
        if data:
            self.emit(Snapshot(step=step, data=data))

    def _validate(self, step: int, candidate: bool = True) -> dict[str, float]:
        """Evaluate on the validation split, report it and, for a ``candidate`` model, update
        early stopping's state."""
        metrics = self.evaluate(self.dataset.val, "val")
        metrics["lr"] = self.optimization.optimizers[0].param_groups[0]["lr"]
        health = self._health_metrics(step, metrics)
        everything = {**metrics, **health}
        self.emit(EvalMetrics(step=step, metrics=everything, total_steps=self.total_steps))
        self._snapshot(step)
        if not candidate:
            return metrics
        if self._improved(metrics):
            self.best_step = step
            self.bad_evaluations = 0
            if self.restore_best:
                self.best_weights.keep(self.model, step, metrics)
        else:
            self.bad_evaluations += 1
        return metrics

    def _health_metrics(self, step: int, metrics: dict[str, float]) -> dict[str, float]:
        """The gradient health measured on the step before, the generalisation gap, and the
        overfitting watch told of this evaluation (an event the first time it sees it)."""
        health, self.health = self.health, {}
        val_loss = metrics.get("val_loss")
        if val_loss is not None and self.window_losses:
            train_loss = sum(self.window_losses) / len(self.window_losses)
            health[GENERALIZATION_GAP] = val_loss - train_loss
            if self.overfitting.add(Evaluation(step, val_loss, train_loss)) is not None:
                self.emit(OverfittingSeen(step=step, since_step=self.overfitting.since))
        self.window_losses = []
        return health

    def _improved(self, metrics: dict[str, float]) -> bool:
        value = metrics.get(self.monitor)
        if value is None or not math.isfinite(value):
            return False
        if self.best is None or self.monitor_sign * (value - self.best) > 0:
            self.best = value
            return True
        return False

    # -- the loop ---------------------------------------------------------------------------
    def fit(self, resume_state: dict[str, Any] | None = None) -> TrainResult:
        with deterministic_mode(bool(self.plugin.hparams["deterministic"]), self.device):
            return self._fit(resume_state)

    def _fit(self, resume_state: dict[str, Any] | None) -> TrainResult:
        self._build()
        step = self._restore(resume_state, self.retune) if resume_state else 0
        if self.checkpoints is not None and resume_state:
            self.checkpoints.last_step = step
        divergence = (resume_state or {}).get("divergence", {})
        self.rollbacks = int(divergence.get("rollbacks", 0))
        self.lr_scale = float(divergence.get("lr_scale", 1.0))
        pending_steps: list[int] = []
        pending: dict[str, list[Any]] = {}
        last_flush = time.monotonic()
        stopped_early = False
        last_eval: dict[str, float] = {}
        self.model.train()
        if self.restore_best and step == 0:
            # The untrained model is a candidate too, unless the plugin says otherwise: one
            # that starts as a baseline (a forecaster's last value) then ends no worse than it
            # on validation. Evaluated either way: the curves start at step 0.
            last_eval = self._validate(step, self.plugin.untrained_is_a_candidate())
        self._keep_good_state(step)

        if self.threads is not None:
            self.threads.begin()
        while step < self.total_steps:
            if self.threads is not None:
                self.threads.tick()
            if self.pause_at is not None and step >= self.pause_at:
                # Resumed at its pause step already (a coordinator killed before it knew).
                return self._pause(step, pending_steps, pending, last_eval)
            if self.should_stop():
                self._flush(pending_steps, pending)
                checkpoint = self._checkpoint(step)
                return TrainResult(State.STOPPED, step, last_eval, checkpoint=checkpoint)
            step += 1
            self.step = step  # read by the runner to say where a failed run stopped
            evaluate_now = (
                step % self.eval_every == 0 or step == self.total_steps or step == self.pause_at
            )
            if evaluate_now and self.measure_health:
                self.optimization.probe = HealthProbe(self.layer_groups)
            outputs = self._train_step(step)
            if self.optimization.probe is not None:
                self.health, self.optimization.probe = self.optimization.probe.metrics(), None
            pending_steps.append(step)
            for key, value in outputs.items():
                pending.setdefault(key, []).append(
                    value.detach() if isinstance(value, torch.Tensor) else value
                )
            now = time.monotonic()
            if (
                len(pending_steps) >= FLUSH_STEPS
                or now - last_flush >= FLUSH_SECONDS
                or evaluate_now
            ):
                try:
                    self._flush(pending_steps, pending)
                except NonFiniteLoss as error:
                    if not self.roll_back:
                        raise
                    step = self._roll_back(error)
                    pending_steps, pending, last_flush = [], {}, time.monotonic()
                    continue
                pending_steps, pending, last_flush = [], {}, now

            if evaluate_now:
                last_eval = self._validate(step)
                self._keep_good_state(step)
                if self.patience and self.bad_evaluations >= self.patience:
                    stopped_early = True
                    break
            if self.pause_at is not None and step >= self.pause_at and step < self.total_steps:
                return self._pause(step, pending_steps, pending, last_eval)
            checkpoint_every = int(self.plugin.hparams["checkpoint_every"])
            if checkpoint_every and step % checkpoint_every == 0 and step < self.total_steps:
                self._checkpoint(step)

        return self._result(step, last_eval, stopped_early, save_checkpoint=True)

    def _pause(self, step: int, pending_steps, pending, last_eval) -> TrainResult:
        """The end of a segment: evaluated (once), checkpointed, stopped to be resumed."""
        self._flush(pending_steps, pending)
        if not last_eval:
            last_eval = self._validate(step)
        checkpoint = self._checkpoint(step)
        return TrainResult(State.STOPPED, step, last_eval, checkpoint=checkpoint)

    # -- divergence -------------------------------------------------------------------------
    def _keep_good_state(self, step: int) -> None:
        """This evaluation's state, the one a rollback goes back to (rollback runs only)."""
        if self.roll_back:
            self.good_state.keep(self.state_dict(step), self.lr_scale)

    def _roll_back(self, error: NonFiniteLoss) -> int:
        """Back to the last good state with the learning rates lowered; the step it was at.
        Past the rollbacks allowed, ``error`` again, saying so."""
        if self.rollbacks >= MAX_ROLLBACKS:
            raise type(error)(
                f"{error}, after {self.rollbacks} rollbacks (on_divergence=rollback allows "
                f"{MAX_ROLLBACKS})",
                error.step,
            ) from error
        assert self.good_state.state is not None
        restored = self._restore(self.good_state.state)
        lr_scale = self.lr_scale * LR_FACTOR
        scale_learning_rates(
            self.optimization.optimizers, self.schedulers, lr_scale / self.good_state.lr_scale
        )
        self.rollbacks, self.lr_scale = self.rollbacks + 1, lr_scale
        self.health, self.window_losses = {}, []
        event = RolledBack(
            step=error.step,
            reason=str(error),
            restored_step=restored,
            lr_factor=lr_scale,
            number=self.rollbacks,
            allowed=MAX_ROLLBACKS,
        )
        self.notes.append(event.message)
        self.emit(event)
        self.step = restored
        return restored

    def _train_step(self, step: int) -> dict[str, Any]:
        """One optimizer step (the plugin's own steps where it optimizes manually) and the
        schedulers'; the step's outputs."""
        optimization, batch = self.optimization, self.sampler.next()
        if self.augmenter is not None:
            batch = batch._replace(x=self.augmenter(batch.x))
        if self.plugin.automatic_optimization:
            # No zero_grad first: optimization.step clears the gradients after every update,
            # so they are already None here (a second clear cost ~1 % of a step).
            with optimization.autocast():
                outputs = self.plugin.training_step(self.model, batch, step)
            optimization.backward(outputs["loss"])
            for optimizer in optimization.optimizers:
                optimization.step(optimizer)
        else:
            # A manual step may leave an optimizer unstepped (and its gradients set).
            optimization.zero_grad()
            outputs = self.plugin.training_step(self.model, batch, step, optimization)
        optimization.end_step()
        for scheduler in self.schedulers:
            scheduler.step()
        return outputs

    def finish(self, resume_state: dict[str, Any]) -> TrainResult:
        """The result of a run whose checkpoint holds its training done (``training_done``)
        but which was stopped before it saved what it trained: the model as training left it,
        its final metrics evaluated again. No step is trained and no checkpoint written."""
        with deterministic_mode(bool(self.plugin.hparams["deterministic"]), self.device):
            self._build()
            step = self.step = self._restore(resume_state)
            last_eval = self.evaluate(self.dataset.val, "val")
            stopped_early = bool(self.patience) and self.bad_evaluations >= self.patience
            return self._result(step, last_eval, stopped_early, save_checkpoint=False)

    def _result(
        self, step: int, last_eval: dict[str, float], stopped_early: bool, save_checkpoint: bool
    ) -> TrainResult:
        """The end of training: the best weights back where asked, the final metrics, and
        the last checkpoint (saved with those weights, or the one already there)."""
        restored = self.restore_best and self.best_weights.restore(self.model)
        final = dict(self.best_weights.metrics if restored else last_eval)
        settled = self.plugin.settle(self.model, self.dataset)
        if settled:
            final.update(self.evaluate(self.dataset.val, "val"))
        final.pop("lr", None)
        final.update(self.evaluate(self.dataset.test, "test"))
        if save_checkpoint:
            checkpoint = self._checkpoint(step)
        else:
            path = self.checkpoint_path
            checkpoint = path if path is not None and path.exists() else None
        restored_step = self.best_weights.step if restored else None
        notes = self.plugin.summary_notes() + list(self.notes)
        if self.overfitting.since is not None:
            kept = f"; restore_best kept step {restored_step}" if restored else ""
            notes.append(
                f"Overfitting: validation loss rose from step {self.overfitting.since} while "
                f"training loss fell (seen at step {self.overfitting.seen_at}){kept}."
            )
        return TrainResult(
            State.FINISHED, step, final, stopped_early, checkpoint, self.model, restored_step,
            notes, settled,
        )  # fmt: skip

    def _flush(self, steps: list[int], pending: dict[str, list[Any]]) -> None:
        if not steps:
            return
        series: dict[str, list[float]] = {}
        for key, values in pending.items():
            if all(isinstance(v, torch.Tensor) for v in values):
                numbers = torch.stack([v.float() for v in values]).cpu().tolist()
            else:
                numbers = [float(v) for v in values]
            for step, number in zip(steps, numbers, strict=True):
                if not math.isfinite(number):
                    raise NonFiniteLoss(f"train_{key} became {number} at step {step}", step)
            series[f"train_{key}"] = numbers
        losses = series.get("train_loss")
        if losses is not None:
            if self.roll_back:
                self.spikes.observe("train_loss", steps, losses)
            self.window_losses.extend(losses)
        self.emit(StepMetrics(steps=list(steps), metrics=series, total_steps=self.total_steps))


def _retune(optimizers, settings, schedulers) -> None:
    """Give resumed ``optimizers`` the ``settings`` (their param groups' lr, weight decay...)
    they were built with; a schedule's bases follow, at the step it had reached."""
    for optimizer, groups in zip(optimizers, settings, strict=True):
        for group, wanted in zip(optimizer.param_groups, groups, strict=True):
            group.update(wanted)
    for scheduler in schedulers:
        groups = scheduler.optimizer.param_groups
        scheduler.base_lrs = [group.get("initial_lr", group["lr"]) for group in groups]
        lambdas = getattr(scheduler, "lr_lambdas", None)
        if lambdas is not None:
            for group, base, factor in zip(groups, scheduler.base_lrs, lambdas, strict=True):
                group["lr"] = base * factor(scheduler.last_epoch)
