"""The learning-rate range test (Smith 2017; Lightning's ``Tuner.lr_find``) on the plugin
contract: build a fresh model, configure its optimizers, and train with the rate growing
exponentially each step, recording the loss, until the ramp ends or the loss diverges.

Nothing global is restored afterwards because nothing global is touched: each ramp's model
and optimizers are new and thrown away, and the random state is forked (``fork_rng``), so a
caller's own seeding is as it was.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch

from engine.data import BatchSampler, Dataset
from engine.errors import UsageError
from engine.lr_finder._suggest import (
    ADAPTIVE_SAFETY,
    SGD_SAFETY,
    DivergenceWatch,
    LrFinding,
    Ramp,
    combine,
    ramp_rates,
)
from engine.training import StepOptimization

Progress = Callable[[int, int, int], None]  # (ramp, step, steps per ramp)


def check_applies(plugin_cls: type) -> None:
    """``UsageError`` for a plugin the range test cannot serve, in one sentence."""
    if not plugin_cls.automatic_optimization:
        raise UsageError(
            f"the learning-rate finder does not apply to plugin {plugin_cls.id!r}: it steps "
            "its own optimizers against each other (an adversarial game), so its losses do "
            "not fall as a good rate learns; tune its rates with a sweep instead"
        )
    if "lr" not in plugin_cls.full_schema():
        raise UsageError(
            f"the learning-rate finder does not apply to plugin {plugin_cls.id!r}: "
            "it declares no 'lr' hyperparameter"
        )


def find_lr(
    plugin_cls: type,
    hparams: Mapping[str, Any],
    dataset: Dataset,
    device: torch.device,
    *,
    dataset_id: str = "",
    seed: int = 0,
    steps: int = 100,
    ramps: int = 3,
    start_lr: float = 1e-7,
    end_lr: float = 1.0,
    progress: Progress | None = None,
) -> LrFinding:
    """Run ``ramps`` range tests of ``steps`` steps (seeds ``seed``, ``seed+1``...) and
    combine them (``engine.lr_finder._suggest``). ``dataset`` is already on ``device``."""
    check_applies(plugin_cls)
    if not 0 < start_lr < end_lr:
        raise UsageError(f"the ramp must rise from a positive rate: got {start_lr:g} to {end_lr:g}")
    if steps < 10:
        raise UsageError(f"steps per ramp must be at least 10, got {steps}")
    done = [_ramp(plugin_cls, hparams, dataset, device, seed + index, steps, start_lr,
                  end_lr, lambda step, i=index: progress and progress(i, step, steps))
            for index in range(ramps)]  # fmt: skip
    trained = [ramp for ramp in done if ramp.lrs]
    if not trained:
        raise UsageError(
            f"the loss of plugin {plugin_cls.id!r} was not finite from the first step at "
            f"rate {start_lr:g}; check the data and the other hyperparameters"
        )
    lr_param = plugin_cls.full_schema()["lr"]
    return combine(plugin_cls.id, dataset_id, trained, lr_param.low, lr_param.high)


def _ramp(
    plugin_cls: type,
    hparams: Mapping[str, Any],
    dataset: Dataset,
    device: torch.device,
    seed: int,
    steps: int,
    start_lr: float,
    end_lr: float,
    tick: Callable[[int], Any],
) -> Ramp:
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        plugin = plugin_cls(dict(hparams), dataset.spec)
        plugin.setup(dataset)
        model = plugin.build_model().to(device)
        optimizers = plugin.configure_optimizers(model)
        if isinstance(optimizers, torch.optim.Optimizer):
            optimizers = [optimizers]
        # A plugin may give its parameter groups rates relative to ``lr``: keep the ratios.
        base = float(hparams["lr"])
        ratios = [[group["lr"] / base for group in opt.param_groups] for opt in optimizers]
        optimization = StepOptimization(
            optimizers, device, bool(hparams.get("amp", False)), float(hparams["grad_clip"])
        )
        sampler = BatchSampler(dataset.train, int(hparams["batch_size"]), seed)
        watch = DivergenceWatch()
        lrs: list[float] = []
        losses: list[float] = []
        model.train()
        for step, lr in enumerate(ramp_rates(start_lr, end_lr, steps), start=1):
            for optimizer, group_ratios in zip(optimizers, ratios, strict=True):
                for group, ratio in zip(optimizer.param_groups, group_ratios, strict=True):
                    group["lr"] = float(lr) * ratio
            with optimization.autocast():
                loss = plugin.training_step(model, sampler.next(), step)["loss"]
            value = float(loss.detach())
            if not math.isfinite(value):
                break
            lrs.append(float(lr))
            losses.append(value)
            if watch.diverged(value):
                break
            optimization.backward(loss)
            for optimizer in optimizers:
                optimization.step(optimizer)
            optimization.end_step()
            tick(step)
    return Ramp(seed, lrs, losses, safety_for(optimizers))


def safety_for(optimizers) -> float:
    """The suggestion's safety factor for these optimizers (``_suggest`` says why): an
    adaptive optimizer's, unless one of them is plain SGD."""
    plain = any(type(opt) is torch.optim.SGD for opt in optimizers)
    return SGD_SAFETY if plain else ADAPTIVE_SAFETY
