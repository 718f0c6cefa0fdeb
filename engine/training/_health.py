"""Gradient health at an evaluation: the global gradient norm, the update-to-weight ratio and
the gradient norm of each layer group (a top-level child of the model).

Measured on one optimizer step only, the one an evaluation follows, so it costs a few norms
per evaluation rather than per step (the loop's overhead budget is 2 %). The probe sits in
``StepOptimization.step``, where the gradients exist in both optimisation modes (a plugin
that optimizes by hand steps through it too), before clipping: an exploding gradient shows
as it is, not as the clip left it.
"""

from __future__ import annotations

import torch

PREFIX = "health/"
GRAD_NORM = "health/grad_norm"
UPDATE_RATIO = "health/update_ratio"
GENERALIZATION_GAP = "health/generalization_gap"  # val_loss - train_loss (since the last eval)


def layer_groups(model: torch.nn.Module) -> dict[torch.nn.Parameter, str]:
    """Each parameter's group: the top-level child module holding it (a ``Sequential``'s
    numbered child gets its class name too: ``1_Linear``), or the parameter's own name."""
    children = dict(model.named_children())
    groups = {}
    for name, parameter in model.named_parameters():
        top = name.split(".", 1)[0]
        child = children.get(top)
        if child is not None and top.isdigit():
            top = f"{top}_{type(child).__name__}"
        groups[parameter] = top
    return groups


class HealthProbe:
    """Collects one step's gradients and updates; ``metrics()`` gives the figures."""

    def __init__(self, groups: dict[torch.nn.Parameter, str]) -> None:
        self.groups = groups
        # By parameter: an optimizer stepped twice in one step (a GAN's critic) counts once,
        # with its last gradient and its whole update.
        self.grad_squares: dict[torch.nn.Parameter, torch.Tensor] = {}
        self.before: dict[torch.nn.Parameter, torch.Tensor] = {}

    def before_step(self, optimizer: torch.optim.Optimizer) -> None:
        """Gradients (already unscaled) and weights as the optimizer is about to step."""
        for group in optimizer.param_groups:
            for parameter in group["params"]:
                if parameter.grad is None:
                    continue
                self.grad_squares[parameter] = parameter.grad.detach().float().square().sum()
                self.before.setdefault(parameter, parameter.detach().float().clone())

    def metrics(self) -> dict[str, float]:
        """The figures, read once the step is over (one transfer from the device)."""
        if not self.grad_squares:
            return {}
        names = sorted(set(self.groups.get(p, "other") for p in self.grad_squares))
        by_group = {name: [] for name in names}
        for parameter, square in self.grad_squares.items():
            by_group[self.groups.get(parameter, "other")].append(square)
        group_squares = torch.stack([torch.stack(by_group[name]).sum() for name in names])
        update = torch.stack([(p.detach().float() - w).square().sum()
                              for p, w in self.before.items()]).sum()  # fmt: skip
        weight = torch.stack([w.square().sum() for w in self.before.values()]).sum()
        values = torch.cat([group_squares, torch.stack([update, weight])]).sqrt().cpu().tolist()
        *group_norms, update_norm, weight_norm = values
        metrics = {GRAD_NORM: sum(n * n for n in group_norms) ** 0.5}
        metrics[UPDATE_RATIO] = update_norm / weight_norm if weight_norm > 0 else 0.0
        if len(names) > 1:  # one group would only repeat the global norm
            for name, norm in zip(names, group_norms, strict=True):
                metrics[f"{GRAD_NORM}/{name}"] = norm
        return metrics
