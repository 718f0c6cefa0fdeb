"""The augmentations a run asked for, applied to its training batches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from engine.augment import _image, _signal
from engine.augment._params import IMAGE, SIGNAL, check_augmentation, settings

_OPERATIONS = {IMAGE: _image.OPERATIONS, SIGNAL: _signal.OPERATIONS}
# Keeps the augmenter's random stream apart from the batch sampler's, seeded with the same
# run seed: the same seed must not pair each batch with a draw tied to its own order.
_STREAM = 0xA06


class Augmenter:
    """Random transforms of float training batches of one data kind, from one generator.

    ``strengths`` maps augmentation names to their strengths (all above 0); the generator
    lives on ``device`` and is seeded from ``seed``, so the same seed gives the same
    augmented batches; its state goes into checkpoints, so a resumed run sees exactly the
    batches an uninterrupted one would have. Evaluation never goes through it.
    """

    def __init__(
        self, strengths: Mapping[str, float], kind: str, seed: int, device: torch.device | str
    ) -> None:
        known = _OPERATIONS.get(kind, {})
        unknown = sorted(set(strengths) - set(known))
        if unknown:
            raise ValueError(f"no {unknown} augmentations for {kind!r} data")
        # The declared order, not the caller's: the same settings, the same transforms.
        self.steps = [(known[name], float(strengths[name])) for name in known if name in strengths]
        self.strengths = {name: float(strengths[name]) for name in known if name in strengths}
        self.generator = torch.Generator(device=device)
        self.generator.manual_seed(_stream_seed(seed))

    @classmethod
    def for_run(
        cls, hparams: Mapping[str, Any], spec: Any, seed: int, device: torch.device | str
    ) -> Augmenter | None:
        """The augmenter ``hparams`` ask for on ``spec``'s data, or None when none is on;
        ``UsageError`` for one that cannot apply (``check_augmentation``)."""
        check_augmentation(hparams, spec)
        strengths = settings(hparams)
        return cls(strengths, spec.kind, seed, device) if strengths else None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """The batch ``x`` augmented: a new tensor of the same shape, dtype and device."""
        if not x.is_floating_point():
            raise TypeError(f"augmentation needs a float batch, not {x.dtype}")
        with torch.no_grad():
            for operation, strength in self.steps:
                x = operation(x, strength, self.generator)
        return x

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: Mapping[str, torch.Tensor]) -> None:
        self.generator.set_state(state["generator"])


def _stream_seed(seed: int) -> int:
    return int(np.random.SeedSequence((int(seed), _STREAM)).generate_state(1, np.uint64)[0] >> 1)
