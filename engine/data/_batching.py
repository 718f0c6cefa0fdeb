"""Mini-batches by index permutation and slicing of in-memory tensors.

A DataLoader over in-memory tensors costs about 341 µs per batch here against 20 µs for
slicing (17x), so training never goes through one. ``Split.take`` gathers the batch's rows
and turns stored uint8 images into float32 in [0, 1] then, one batch at a time.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from engine.data._spec import Batch, Split


class BatchSampler:
    """Endless shuffled mini-batches, one permutation per epoch, reproducible by its generator.

    Its position (generator state, permutation, offset) is saved in checkpoints so a resumed
    run sees exactly the batches an uninterrupted one would have.
    """

    def __init__(self, split: Split, batch_size: int, seed: int) -> None:
        self.split = split
        self.batch_size = min(batch_size, len(split))
        self.generator = torch.Generator(device="cpu")
        self.generator.manual_seed(seed)
        self._order = self._new_order()
        self._offset = 0

    def _new_order(self) -> torch.Tensor:
        order = torch.randperm(len(self.split), generator=self.generator)
        return order.to(self.split.device)

    def next(self) -> Batch:
        # Drop the last incomplete batch of an epoch, as is usual with shuffled training.
        if self._offset + self.batch_size > len(self._order):
            self._order = self._new_order()
            self._offset = 0
        index = self._order[self._offset : self._offset + self.batch_size]
        self._offset += self.batch_size
        return self.split.take(index)

    def state_dict(self) -> dict[str, torch.Tensor | int]:
        return {
            "generator": self.generator.get_state(),
            "order": self._order.cpu(),
            "offset": self._offset,
        }

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
        self._order = state["order"].to(self.split.device)
        self._offset = int(state["offset"])


def iterate_batches(split: Split, batch_size: int) -> Iterator[Batch]:
    """The split in order, in batches of at most ``batch_size`` (for evaluation)."""
    for start in range(0, len(split), batch_size):
        yield split.take(slice(start, start + batch_size))
