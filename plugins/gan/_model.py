"""The generator and discriminator MLPs, held in one module so the engine saves them together.

With packing m (PacGAN) the discriminator judges m samples at once: its input is m samples
concatenated, so a batch of n samples becomes n / m packs.

With ``g_ema`` > 0 the module also holds ``generator_ema``, an exponential moving average of
the generator's weights (as in ProGAN/StyleGAN): training moves the generator, sampling for
evaluation, snapshots and artifacts reads the average. Being a submodule, it is saved in
every checkpoint, so a resumed run continues the same average.

Points data comes with its mean and overall std (``DataSpec.extra`` ``center`` and ``scale``):
both networks work in standardised units (grid25 spans +-4, ring8 +-1), the generator's output
is mapped back to data units and the discriminator's input standardised, so a sample is
always in data units outside the module.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn


def mlp(
    inputs: int,
    width: int,
    depth: int,
    outputs: int,
    activation: type[nn.Module],
    batch_norm: bool = False,
) -> nn.Sequential:
    """``depth`` hidden layers of ``width`` units, then a linear output layer."""
    layers: list[nn.Module] = []
    for layer in range(depth):
        layers.append(nn.Linear(inputs if layer == 0 else width, width))
        if batch_norm:
            layers.append(nn.BatchNorm1d(width))
        layers.append(activation())
    layers.append(nn.Linear(width if depth else inputs, outputs))
    return nn.Sequential(*layers)


class LeakyReLU(nn.LeakyReLU):
    """LeakyReLU with the slope GAN discriminators usually take (0.2)."""

    def __init__(self) -> None:
        super().__init__(0.2)


class GAN(nn.Module):
    """A generator from ``latent_dim`` noise to samples of ``data_shape``, and a discriminator.

    Image data lives in [0, 1], so image samples go through a sigmoid; points stay linear.
    """

    def __init__(
        self,
        data_shape: Sequence[int],
        hparams: Mapping[str, Any],
        images: bool,
        center: Sequence[float] | None = None,
        scale: float = 1.0,
    ):
        super().__init__()
        self.data_shape = tuple(int(n) for n in data_shape)
        self.latent_dim = int(hparams["latent_dim"])
        self.packing = int(hparams["packing"])
        self.images = images
        size = math.prod(self.data_shape)
        self.generator = mlp(
            self.latent_dim,
            int(hparams["g_width"]),
            int(hparams["g_depth"]),
            size,
            nn.ReLU,
            bool(hparams["g_batch_norm"]),
        )
        self.discriminator = mlp(
            size * self.packing, int(hparams["d_width"]), int(hparams["d_depth"]), 1, LeakyReLU
        )
        # Buffers, so checkpoints carry them; identity for images and unknown statistics.
        self.register_buffer(
            "center", torch.tensor(center if center is not None else 0.0, dtype=torch.float32)
        )
        self.register_buffer("scale", torch.tensor(float(scale), dtype=torch.float32))
        self.ema_decay = float(hparams["g_ema"])
        self.generator_ema: nn.Sequential | None = None
        if self.ema_decay > 0:
            self.generator_ema = copy.deepcopy(self.generator).requires_grad_(False)

    @torch.no_grad()
    def update_ema(self) -> None:
        """Move the averaged generator towards the trained one (after each generator step)."""
        if self.generator_ema is None:
            return
        for average, current in zip(
            self.generator_ema.parameters(), self.generator.parameters(), strict=True
        ):
            average.lerp_(current, 1.0 - self.ema_decay)
        # Batch-norm statistics are copied, not averaged: they follow the current weights.
        for average, current in zip(
            self.generator_ema.buffers(), self.generator.buffers(), strict=True
        ):
            average.copy_(current)

    def noise(self, count: int, generator: torch.Generator | None = None) -> torch.Tensor:
        device = next(self.parameters()).device
        if generator is None:
            return torch.randn(count, self.latent_dim, device=device)
        # A seeded CPU generator gives the same noise on every device (fixed snapshot noise).
        return torch.randn(count, self.latent_dim, generator=generator).to(device)

    def generate(self, z: torch.Tensor, averaged: bool = False) -> torch.Tensor:
        """Samples from noise ``z``; ``averaged`` reads the weight average when there is one."""
        network = self.generator
        if averaged and self.generator_ema is not None:
            network = self.generator_ema
        x = network(z)
        x = torch.sigmoid(x) if self.images else x * self.scale + self.center
        return x.reshape(z.shape[0], *self.data_shape)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.generate(z)

    def criticize(self, x: torch.Tensor) -> torch.Tensor:
        """Discriminator scores (logits), one per pack of ``packing`` samples."""
        if not self.images:
            x = (x - self.center) / self.scale
        return self.discriminator(self.pack(x)).squeeze(1)

    def pack(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0] // self.packing, -1)

    def sample(self, count: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Samples to look at or score: from the weight average when ``g_ema`` > 0."""
        return self.generate(self.noise(count, generator), averaged=True)


class Sampler(nn.Module):
    """What a trained GAN is used for: noise in, samples out, from the weight average when
    there is one (the samples its run was scored on). Exports write this module."""

    def __init__(self, gan: GAN) -> None:
        super().__init__()
        self.gan = gan

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.gan.generate(z, averaged=True)
