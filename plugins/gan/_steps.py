"""One adversarial training step: ``d_steps`` discriminator updates, then one generator update.

Each discriminator update reuses the step's real batch with fresh generator samples (the
engine hands a plugin one batch per step). The discriminator's weights are frozen during the
generator update, as Lightning's ``toggle_optimizer`` does, so no gradient is wasted on them.
After the generator update the averaged generator (``g_ema``) follows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from engine.data import Batch
from engine.plugin import OptimizationContext
from plugins.gan._losses import discriminator_loss, generator_loss
from plugins.gan._model import GAN


def adversarial_step(
    model: GAN, batch: Batch, context: OptimizationContext, hparams: Mapping[str, Any]
) -> dict[str, torch.Tensor]:
    generator_optimizer, discriminator_optimizer = context.optimizers
    loss, gp_weight = str(hparams["loss"]), float(hparams["gp_weight"])
    # Whole packs only: the batch is trimmed to a multiple of the packing degree.
    count = batch.x.shape[0] - batch.x.shape[0] % model.packing
    real = batch.x[:count]
    for _ in range(int(hparams["d_steps"])):
        with context.autocast():
            with torch.no_grad():
                fake = model.generate(model.noise(count))
            d_loss = discriminator_loss(loss, model, real, fake, gp_weight)
        context.backward(d_loss)
        context.step(discriminator_optimizer)

    model.discriminator.requires_grad_(False)
    try:
        with context.autocast():
            g_loss = generator_loss(loss, model.criticize(model.generate(model.noise(count))))
        context.backward(g_loss)
        context.step(generator_optimizer)
        model.update_ema()
    finally:
        model.discriminator.requires_grad_(True)
    return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}
