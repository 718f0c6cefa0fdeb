"""The augmentation hyperparameters, by the kind of data they transform, and the check that
each one set applies to the run's data.

All default to 0 (off): an augmentation states something about the data (a mirrored digit
or a shifted peak is still the same class) that only the user knows to be true, so nothing
changes a user's data unless asked, and runs stay comparable with those made before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from engine.errors import UsageError
from engine.schema import Float, Int, Param

if TYPE_CHECKING:
    from engine.data import DataSpec

PREFIX = "augment_"
IMAGE = "image"
SIGNAL = "sequence"  # 1-D signals: the data kind of MNIST-1D and of CSV series

_DECLARED: dict[str, tuple[Param, ...]] = {
    IMAGE: (
        Int(
            "augment_crop",
            0,
            low=0,
            high=16,
            help="Images: a random crop after zero padding this many pixels on each side (0 = off; "
            "4 is usual for 32x32 images).",
        ),
        Float(
            "augment_flip",
            0.0,
            low=0.0,
            high=1.0,
            help="Images: the probability of a horizontal flip (0 = off; 0.5 for photos, wrong for "
            "digits and text).",
        ),
        Float(
            "augment_brightness",
            0.0,
            low=0.0,
            high=1.0,
            help="Images: brightness jitter, each image times a factor in [1-b, 1+b] (0 = off).",
        ),
        Float(
            "augment_contrast",
            0.0,
            low=0.0,
            high=1.0,
            help="Images: contrast jitter, each image pulled from or towards its mean grey by a "
            "factor in [1-c, 1+c] (0 = off).",
        ),
        Float(
            "augment_saturation",
            0.0,
            low=0.0,
            high=1.0,
            help="Colour images: saturation jitter, each pulled from or towards their grey by "
            "a factor in [1-s, 1+s] (0 = off).",
        ),
        Float(
            "augment_cutout",
            0.0,
            low=0.0,
            high=1.0,
            help="Images: cutout, a square of this fraction of the image's side, at a random "
            "place, filled with the batch's mean colour (0 = off; 0.5 for 32x32 images).",
        ),
    ),
    SIGNAL: (
        Float(
            "augment_jitter",
            0.0,
            low=0.0,
            high=2.0,
            help="1-D signals: jitter, Gaussian noise with this fraction of the batch's standard "
            "deviation added to every value (0 = off).",
        ),
        Float(
            "augment_scaling",
            0.0,
            low=0.0,
            high=1.0,
            help="1-D signals: scaling, each signal times a factor in [1-s, 1+s] (0 = off).",
        ),
        Float(
            "augment_shift",
            0.0,
            low=0.0,
            high=0.5,
            help="1-D signals: each shifted by up to this fraction of its length either way, its "
            "end values repeated (0 = off).",
        ),
    ),
}
_KIND_OF = {param.name: kind for kind, params in _DECLARED.items() for param in params}
_KIND_WORDS = {IMAGE: "images", SIGNAL: "1-D signals"}


def augmentation_params(*kinds: str) -> tuple[Param, ...]:
    """The declarations of the augmentations of each data kind in ``kinds`` (``"image"``,
    ``"sequence"``), to spread into a plugin's ``Schema(...)``."""
    unknown = [kind for kind in kinds if kind not in _DECLARED]
    if unknown:
        raise ValueError(f"no augmentations for data kinds {unknown}; valid: {list(_DECLARED)}")
    return tuple(param for kind in kinds for param in _DECLARED[kind])


def settings(hparams: Mapping[str, Any]) -> dict[str, float]:
    """The augmentations switched on in ``hparams`` (strength above 0), by name."""
    return {
        name: float(value)
        for name, value in hparams.items()
        if name in _KIND_OF and value is not None and float(value) > 0
    }


def check_augmentation(hparams: Mapping[str, Any], spec: DataSpec) -> None:
    """``UsageError`` for an augmentation switched on that cannot apply to ``spec``'s data
    (an image flip asked of 1-D signals, saturation of grey images): it would do nothing,
    and a run that silently ignores a setting misleads whoever compares runs by it."""
    for name, value in settings(hparams).items():
        kind = _KIND_OF[name]
        if kind != spec.kind:
            valid = [p.name for p in _DECLARED.get(spec.kind, ())]
            choices = f"; for them use {', '.join(valid)}" if valid else ""
            raise UsageError(
                f"{name}={value:g} augments {_KIND_WORDS[kind]}, but this dataset holds "
                f"{_KIND_WORDS.get(spec.kind, spec.kind + ' data')}{choices} (0 turns it off)"
            )
        channels = spec.input_shape[0] if len(spec.input_shape) == 3 else 1
        if name == "augment_saturation" and channels != 3:
            raise UsageError(
                f"augment_saturation={value:g} needs colour (RGB) images, but these have "
                f"{channels} channel{'s' * (channels != 1)} (0 turns it off)"
            )
