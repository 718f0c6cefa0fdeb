"""The adversarial losses: non-saturating (Goodfellow et al.), hinge, WGAN-GP.

Each takes discriminator logits; the gradient penalty of WGAN-GP needs the model and the
real and fake samples, so ``discriminator_loss`` receives them all.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from plugins.gan._loss_names import LOSSES


def discriminator_loss(
    loss: str, model, real: torch.Tensor, fake: torch.Tensor, gp_weight: float
) -> torch.Tensor:
    real_score, fake_score = model.criticize(real), model.criticize(fake)
    if loss == "nonsaturating":
        return F.softplus(-real_score).mean() + F.softplus(fake_score).mean()
    if loss == "hinge":
        return F.relu(1 - real_score).mean() + F.relu(1 + fake_score).mean()
    if loss == "wgan-gp":
        penalty = gradient_penalty(model, real, fake)
        return fake_score.mean() - real_score.mean() + gp_weight * penalty
    raise ValueError(f"unknown loss {loss!r}; valid: {', '.join(LOSSES)}")


def generator_loss(loss: str, fake_score: torch.Tensor) -> torch.Tensor:
    if loss == "nonsaturating":
        return F.softplus(-fake_score).mean()
    return -fake_score.mean()  # hinge and WGAN alike


def gradient_penalty(model, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """(||grad D(x)|| - 1)^2 at random points between real and fake packs (Gulrajani et al.)."""
    real_packs, fake_packs = model.pack(real), model.pack(fake)
    mix = torch.rand(real_packs.shape[0], 1, device=real.device, dtype=real_packs.dtype)
    between = (mix * real_packs + (1 - mix) * fake_packs).requires_grad_(True)
    score = model.discriminator(between)
    (gradient,) = torch.autograd.grad(score.sum(), between, create_graph=True)
    return ((gradient.float().norm(dim=1) - 1) ** 2).mean()
