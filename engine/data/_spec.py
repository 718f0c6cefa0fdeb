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
    """One split held whole in memory as tensors."""

    x: torch.Tensor
    y: torch.Tensor | None = None

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def to(self, device: torch.device | str) -> Split:
        y = self.y.to(device) if self.y is not None else None
        return Split(self.x.to(device), y)

    def take(self, index: torch.Tensor | slice) -> Batch:
        return Batch(self.x[index], self.y[index] if self.y is not None else None)


@dataclass(frozen=True)
class Dataset:
    """A dataset ready for training: its id, spec and the three splits."""

    id: str
    spec: DataSpec
    train: Split
    val: Split
    test: Split

    def to(self, device: torch.device | str) -> Dataset:
        return replace(
            self, train=self.train.to(device), val=self.val.to(device), test=self.test.to(device)
        )

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}
