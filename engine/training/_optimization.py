"""Stepping optimizers under the run's precision and clipping, for both optimisation modes."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import torch

from engine.plugin import OptimizationContext
from engine.training._health import HealthProbe


class StepOptimization(OptimizationContext):
    """Mixed precision (bf16, or fp16 with loss scaling) on CUDA; gradient-norm clipping."""

    def __init__(
        self,
        optimizers: Sequence[torch.optim.Optimizer],
        device: torch.device,
        amp: bool,
        grad_clip: float,
    ) -> None:
        self.optimizers = list(optimizers)
        self.grad_clip = grad_clip
        self.dtype: torch.dtype | None = None
        if device.type == "cuda" and amp:
            self.dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        # bf16 keeps fp32's exponent range, so only fp16 needs a loss scaler.
        self.scaler = torch.amp.GradScaler("cuda") if self.dtype is torch.float16 else None
        self._stepped = False
        # Set by the loop for the one step an evaluation follows (engine.training._health).
        self.probe: HealthProbe | None = None

    @property
    def precision(self) -> str:
        return {None: "32", torch.bfloat16: "bf16-mixed", torch.float16: "16-mixed"}[self.dtype]

    def autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast("cuda", dtype=self.dtype)

    def zero_grad(self) -> None:
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=True)

    def backward(self, loss: torch.Tensor) -> None:
        (self.scaler.scale(loss) if self.scaler is not None else loss).backward()

    def step(self, optimizer: torch.optim.Optimizer) -> None:
        if self.scaler is not None and (self.grad_clip > 0 or self.probe is not None):
            self.scaler.unscale_(optimizer)  # once per step; scaler.step then skips it
        if self.probe is not None:
            self.probe.before_step(optimizer)
        if self.grad_clip > 0:
            params = [p for group in optimizer.param_groups for p in group["params"]]
            torch.nn.utils.clip_grad_norm_(params, self.grad_clip)
        if self.scaler is not None:
            self.scaler.step(optimizer)
        else:
            optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        self._stepped = True

    def end_step(self) -> None:
        if self.scaler is not None and self._stepped:
            self.scaler.update()
        self._stepped = False

    def state_dict(self) -> dict:
        return self.scaler.state_dict() if self.scaler is not None else {}

    def load_state_dict(self, state: dict) -> None:
        if self.scaler is not None and state:
            self.scaler.load_state_dict(state)
