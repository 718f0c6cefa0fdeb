"""What a dataset is to a plugin: a spec to build from and three tensor splits."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:  # annotations only: importing engine.data (listing) needs no torch
    import torch


@dataclass(frozen=True)
class DataSpec:
    """Everything a plugin needs to know to build a model for a dataset.

    ``kind`` is the data kind plugins declare they accept (``sequence``, ``image``...);
    ``task`` what is learnt (``classification``...); ``input_shape`` is per sample.
    """

    kind: str
    task: str
    input_shape: tuple[int, ...]
    num_classes: int | None = None
    class_names: tuple[str, ...] | None = None
    vocab_size: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "task": self.task,
            "input_shape": list(self.input_shape),
            "num_classes": self.num_classes,
            "class_names": list(self.class_names) if self.class_names else None,
            "vocab_size": self.vocab_size,
            "extra": dict(self.extra),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataSpec:
        """The spec ``to_dict`` wrote (a run's ``config.json``)."""
        names = data.get("class_names")
        return cls(
            kind=data["kind"], task=data["task"], input_shape=tuple(data["input_shape"]),
            num_classes=data.get("num_classes"), class_names=tuple(names) if names else None,
            vocab_size=data.get("vocab_size"), extra=dict(data.get("extra") or {}),
        )  # fmt: skip


class Batch(NamedTuple):
    """One mini-batch: inputs and (for supervised tasks) targets."""

    x: torch.Tensor
    y: torch.Tensor | None


@dataclass(frozen=True)
class Split:
    """One split, held whole in memory (or memory-mapped from the workspace) as tensors.

    ``stored_x`` and ``stored_y`` hold the samples. With ``rows``, the split is the rows
    ``rows`` of a ``stored_x``/``stored_y`` that the dataset's other splits share: an index
    view, so splitting copies nothing. Images are stored as uint8 (a quarter of float32: a
    50 000-image 32x32 RGB folder holds 150 MB, not 600 MB) and become float32 in [0, 1] only
    for the rows taken; ``inputs``, ``take`` and ``x`` always give what a model takes.

    ``x`` and ``y`` are the whole split's inputs and targets (a copy for a view, so code
    that needs a few rows asks ``inputs(rows)``, ``take(rows)`` or ``part(rows)``).
    """

    stored_x: torch.Tensor
    stored_y: torch.Tensor | None = None
    rows: torch.Tensor | None = None

    def __len__(self) -> int:
        return int(self.rows.shape[0]) if self.rows is not None else int(self.stored_x.shape[0])

    @property
    def device(self) -> torch.device:
        return self.stored_x.device

    @property
    def x(self) -> torch.Tensor:
        return self.inputs()

    @property
    def y(self) -> torch.Tensor | None:
        return self.targets()

    def _positions(self, index: torch.Tensor | slice | None) -> torch.Tensor | slice | None:
        if self.rows is None:
            return index
        return self.rows if index is None else self.rows[index]

    def inputs(self, index: torch.Tensor | slice | None = None) -> torch.Tensor:
        """The inputs of the split's rows ``index`` (all by default), as a model takes them."""
        import torch  # loaded already: tensors are at hand

        positions = self._positions(index)
        x = self.stored_x if positions is None else self.stored_x[positions]
        if x.dtype == torch.uint8:  # image pixels: 0..255 become [0, 1] as they are taken
            return x.float().div_(255.0)
        return x

    def targets(self, index: torch.Tensor | slice | None = None) -> torch.Tensor | None:
        if self.stored_y is None:
            return None
        positions = self._positions(index)
        return self.stored_y if positions is None else self.stored_y[positions]

    def take(self, index: torch.Tensor | slice) -> Batch:
        return Batch(self.inputs(index), self.targets(index))

    def part(self, index: torch.Tensor | slice) -> Split:
        """The rows ``index`` of this split as a split of their own (a view of the same store)."""
        import torch

        if isinstance(index, slice):
            index = torch.arange(len(self), device=self.device)[index]
        return Split(self.stored_x, self.stored_y, self._positions(index))

    def to(self, device: torch.device | str, moved: dict[int, torch.Tensor] | None = None) -> Split:
        """This split on ``device``; ``moved`` (shared by a dataset's splits) moves a store the
        splits share once, so views stay views there too."""
        moved = {} if moved is None else moved

        def move(tensor: torch.Tensor | None) -> torch.Tensor | None:
            if tensor is None:
                return None
            if id(tensor) not in moved:
                moved[id(tensor)] = tensor.to(device)
            return moved[id(tensor)]

        return Split(move(self.stored_x), move(self.stored_y), move(self.rows))


@dataclass(frozen=True)
class Dataset:
    """A dataset ready for training: its id, spec and the three splits."""

    id: str
    spec: DataSpec
    train: Split
    val: Split
    test: Split

    def to(self, device: torch.device | str) -> Dataset:
        moved: dict[int, torch.Tensor] = {}  # a store the splits share moves once
        return replace(
            self,
            train=self.train.to(device, moved),
            val=self.val.to(device, moved),
            test=self.test.to(device, moved),
        )

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}
