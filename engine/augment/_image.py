"""Image augmentations of a float batch (batch, channels, height, width) in [0, 1], each
vectorised over the batch and drawing one random value per image, as torchvision's
RandomCrop(padding), RandomHorizontalFlip, ColorJitter and Cutout (DeVries & Taylor, 2017)
do for one image at a time."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from engine.augment._draws import integers, uniform

# ITU-R 601 luma, the grey torchvision's ColorJitter blends towards.
_LUMA = (0.299, 0.587, 0.114)


def _per_image(values: torch.Tensor) -> torch.Tensor:
    return values.view(-1, 1, 1, 1)


def _grey(x: torch.Tensor) -> torch.Tensor:
    if x.shape[1] != 3:
        return x.mean(dim=1, keepdim=True)
    weights = torch.tensor(_LUMA, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
    return (x * weights).sum(dim=1, keepdim=True)


def crop(x: torch.Tensor, padding: float, generator: torch.Generator) -> torch.Tensor:
    """A random crop of the original size from the image zero-padded by ``padding`` pixels."""
    pad = int(padding)
    batch, channels, height, width = x.shape
    padded = F.pad(x, (pad, pad, pad, pad))
    top = integers(generator, batch, 0, 2 * pad, x)
    left = integers(generator, batch, 0, 2 * pad, x)
    # Rows, then columns, each one gather (twice as fast as one 4-D advanced index).
    rows = top[:, None] + torch.arange(height, device=x.device)  # batch x height
    rows = rows[:, None, :, None].expand(batch, channels, height, width + 2 * pad)
    columns = left[:, None] + torch.arange(width, device=x.device)  # batch x width
    columns = columns[:, None, None, :].expand(batch, channels, height, width)
    return padded.gather(2, rows).gather(3, columns)


def flip(x: torch.Tensor, probability: float, generator: torch.Generator) -> torch.Tensor:
    """Each image mirrored left to right with ``probability``."""
    flipped = uniform(generator, len(x), 0.0, 1.0, x) < probability
    return torch.where(_per_image(flipped), x.flip(-1), x)


def _factors(x: torch.Tensor, strength: float, generator: torch.Generator) -> torch.Tensor:
    return _per_image(uniform(generator, len(x), 1.0 - strength, 1.0 + strength, x))


def brightness(x: torch.Tensor, strength: float, generator: torch.Generator) -> torch.Tensor:
    """Each image times a factor in [1 - strength, 1 + strength]."""
    return (x * _factors(x, strength, generator)).clamp_(0.0, 1.0)


def contrast(x: torch.Tensor, strength: float, generator: torch.Generator) -> torch.Tensor:
    """Each image blended with its mean grey by a factor in [1 - strength, 1 + strength]."""
    mean = _grey(x).mean(dim=(1, 2, 3), keepdim=True)
    return torch.lerp(mean, x, _factors(x, strength, generator)).clamp_(0.0, 1.0)


def saturation(x: torch.Tensor, strength: float, generator: torch.Generator) -> torch.Tensor:
    """Each colour image blended with its own grey by a factor in [1 - strength, 1 + strength]."""
    return torch.lerp(_grey(x), x, _factors(x, strength, generator)).clamp_(0.0, 1.0)


def cutout(x: torch.Tensor, fraction: float, generator: torch.Generator) -> torch.Tensor:
    """A square of side ``fraction`` of the shorter side, centred anywhere in the image (so it
    may be cut by the border, as in the paper), filled with the batch's mean colour: what
    normalisation turns into the zeros of the paper's normalised inputs."""
    batch, _, height, width = x.shape
    side = max(1, round(fraction * min(height, width)))
    top = integers(generator, batch, 0, height - 1, x) - side // 2
    left = integers(generator, batch, 0, width - 1, x) - side // 2
    rows = torch.arange(height, device=x.device)[None, :] - top[:, None]  # batch x height
    columns = torch.arange(width, device=x.device)[None, :] - left[:, None]
    inside = ((rows >= 0) & (rows < side))[:, :, None] & ((columns >= 0) & (columns < side))[
        :, None, :
    ]
    fill = x.mean(dim=(0, 2, 3), keepdim=True)
    return torch.where(inside[:, None], fill, x)


# In the order they are applied: geometry first, then colour, then the hole.
OPERATIONS = {
    "augment_crop": crop,
    "augment_flip": flip,
    "augment_brightness": brightness,
    "augment_contrast": contrast,
    "augment_saturation": saturation,
    "augment_cutout": cutout,
}
