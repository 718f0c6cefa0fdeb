"""The Transformer plugin's declaration: one class for three tasks, chosen by the dataset.

- ``classification`` (kind ``sequence``, MNIST-1D): mean over positions, cross-entropy.
- ``sort`` (kind ``tokens``): one prediction per position, scored by exact match.
- ``language_modeling`` (kind ``text``): causal attention, next-character cross-entropy,
  perplexity, and generated text as an artifact.

No torch import here: listing plugins stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from engine.data import character_name
from engine.errors import UsageError
from engine.plugin import ClassifierPlugin, OptimizationContext, optimizer_params
from engine.schema import Choice, Float, Int, Schema

if TYPE_CHECKING:
    import torch

    from engine.data import Batch, Dataset, Split

CLASSIFICATION = "classification"
SORT = "sort"
LANGUAGE_MODELING = "language_modeling"
TASK_METRICS = {
    CLASSIFICATION: ("loss", "accuracy"),
    SORT: ("loss", "exact_match", "token_accuracy"),
    LANGUAGE_MODELING: ("loss", "perplexity"),
}
GENERATED_CHARACTERS = 600
SNAPSHOT_CHARACTERS = 120


class TransformerPlugin(ClassifierPlugin):
    """A stack of pre-norm self-attention blocks with learned or sinusoidal positions."""

    id = "transformer"
    name = "Transformer"
    description = (
        "Self-attention layers: classifies sequences, sorts tokens, models text by character."
    )
    data_kinds = ("sequence", "tokens", "text")
    icon = "transformer"
    metrics: ClassVar[Mapping[str, str]] = {
        "loss": "min",
        "accuracy": "max",
        "exact_match": "max",
        "token_accuracy": "max",
        "perplexity": "min",
    }
    task_metrics: ClassVar[Mapping[str, tuple[str, ...]]] = TASK_METRICS
    monitor: ClassVar[str] = "accuracy"
    task_monitors: ClassVar[Mapping[str, str]] = {SORT: "exact_match", LANGUAGE_MODELING: "loss"}
    schema = Schema(
        Choice(
            "positions",
            "learned",
            choices=("learned", "sinusoidal"),
            help="Position codes: learned vectors, or fixed sines and cosines.",
        ),
        Int("layers", 3, low=1, high=24, help="Attention blocks."),
        Int("heads", 4, low=1, high=32, help="Attention heads per block (divides d_model)."),
        Int("d_model", 64, low=8, high=2048, log=True, help="Model width."),
        Int("d_ff", 256, low=8, high=8192, log=True, help="Feed-forward width in each block."),
        Float("dropout", 0.1, low=0.0, high=0.9, help="Dropout on embeddings and residuals."),
        Int(
            "input_kernel",
            5,
            low=1,
            high=15,
            help="Signals only: each token embeds this many neighbouring values (1 = one).",
        ),
        Float(
            "temperature",
            0.8,
            low=0.0,
            high=5.0,
            help="Text only: sampling temperature of the generated text (0 = greedy).",
        ),
        *optimizer_params("adamw", lr=1e-3, weight_decay=1e-2, lr_help="Peak learning rate."),
    )
    # Transformers train badly without warm-up: the first Adam steps are too large.
    training_defaults: ClassVar = {
        "steps": 5000,
        "batch_size": 64,
        "lr_schedule": "cosine",
        "warmup_steps": 200,
        "grad_clip": 1.0,
    }

    @property
    def task(self) -> str:
        return self.spec.task

    def check(self) -> None:
        self.check_task()
        width, heads = int(self.hparams["d_model"]), int(self.hparams["heads"])
        if width % heads:
            raise UsageError(
                f"d_model={width} cannot be divided among heads={heads}; choose a d_model "
                f"that is a multiple of the number of heads"
            )
        if self.hparams["positions"] == "sinusoidal" and width % 2:
            raise UsageError(f"sinusoidal positions need an even d_model, not {width}")

    def build_model(self) -> torch.nn.Module:
        from plugins.transformer._model import TransformerNet

        spec = self.spec
        if self.task == CLASSIFICATION:
            shape = tuple(spec.input_shape)
            channels = shape[0] if len(shape) > 1 else 1
            return TransformerNet(
                shape[-1], int(spec.num_classes), self.hparams, channels=channels, pooled=True
            )
        return TransformerNet(
            int(spec.input_shape[0]),
            int(spec.vocab_size),
            self.hparams,
            vocab_size=int(spec.vocab_size),
            causal=self.task == LANGUAGE_MODELING,
        )

    # -- training and evaluation ------------------------------------------------------------
    def training_step(
        self,
        model: torch.nn.Module,
        batch: Batch,
        step: int,
        context: OptimizationContext | None = None,
    ) -> Mapping[str, Any]:
        if self.task == CLASSIFICATION:
            return super().training_step(model, batch, step, context)
        import torch.nn.functional as F

        logits = model(batch.x)
        return {"loss": F.cross_entropy(logits.flatten(0, 1), batch.y.flatten())}

    def validation_step(self, model: torch.nn.Module, batch: Batch) -> Mapping[str, Any]:
        if self.task == CLASSIFICATION:
            return super().validation_step(model, batch)
        import torch.nn.functional as F

        # Sums over sequences of per-sequence means; ``evaluate`` divides by the count.
        logits = model(batch.x).float()
        losses = F.cross_entropy(logits.transpose(1, 2), batch.y, reduction="none")
        sums = {"loss": losses.mean(dim=1).sum().item()}
        if self.task == SORT:
            correct = logits.argmax(dim=-1) == batch.y
            sums["exact_match"] = correct.all(dim=1).sum().item()
            sums["token_accuracy"] = correct.float().mean(dim=1).sum().item()
        return sums

    def evaluate(self, model: torch.nn.Module, split: Split) -> dict[str, float]:
        metrics = super().evaluate(model, split)
        if self.task == LANGUAGE_MODELING:
            import math

            # Every window has the same length, so this is the per-character mean loss.
            metrics["perplexity"] = math.exp(min(metrics["loss"], 700.0))
        return metrics

    # -- what a run shows -------------------------------------------------------------------
    def snapshot(self, model: torch.nn.Module, dataset: Dataset) -> dict[str, Any] | None:
        from plugins.transformer._artifacts import attention_maps, sample_labels

        x = dataset.val.x[0]
        maps = attention_maps(model, x)
        data: dict[str, Any] = {
            "type": "attention",
            # The last layer's heads: the app draws a (heads, T, T) stack as an image grid.
            "attention": maps[-1].round(3).tolist(),
        }
        if self.task == CLASSIFICATION:
            data["input"] = x.flatten().float().cpu().numpy().round(3).tolist()  # a curve
        else:
            data["tokens"] = sample_labels(self.spec, x)[: maps.shape[-1]]
        if self.task == LANGUAGE_MODELING:
            data["generated"] = self._generate(model, x, SNAPSHOT_CHARACTERS)
        return data

    def write_artifacts(
        self, model: torch.nn.Module, dataset: Dataset, out_dir: Path
    ) -> Mapping[str, float] | None:
        import torch

        from plugins.transformer._artifacts import attention_maps, attention_png, sample_labels

        found = None
        if self.task == CLASSIFICATION:
            found = super().write_artifacts(model, dataset, out_dir)
        x = dataset.test.x[0]
        model.eval()
        with torch.no_grad():
            maps = attention_maps(model, x)
            attention_png(
                maps,
                sample_labels(self.spec, x),
                f"Attention on the first test sample ({dataset.id})",
                out_dir / "attention.png",
            )
            if self.task == LANGUAGE_MODELING:
                text = self._generate(model, x, GENERATED_CHARACTERS)
                (out_dir / "generated.txt").write_text(text, encoding="utf-8")
        return found

    def _generate(self, model: torch.nn.Module, prompt: torch.Tensor, count: int) -> str:
        """The prompt (one window of codes), then ``count`` sampled characters."""
        from plugins.transformer._artifacts import decode, generate

        alphabet = self.spec.extra["alphabet"]
        codes = generate(model, prompt, count, float(self.hparams["temperature"]))
        return decode(prompt.tolist(), alphabet) + decode(codes, alphabet)

    # -- using the trained model ----------------------------------------------------------
    def outputs(self, result: torch.Tensor) -> dict[str, np.ndarray]:
        """Classes as any classifier; sorting: the predicted token at each position; the
        character model: the next character and its distribution, a ``p_`` column per
        character of the alphabet in the model's data spec, in its order, named by the
        character (``p_a``, ``p_space``: ``engine.data.character_name``)."""
        if self.task == CLASSIFICATION:
            return super().outputs(result)
        if self.task == SORT:
            tokens = result.argmax(dim=-1).cpu().numpy()
            return {f"token_{i + 1}": tokens[:, i] for i in range(tokens.shape[1])}
        probabilities = result[:, -1].float().softmax(dim=-1).cpu().numpy()
        alphabet = np.asarray(list(self.spec.extra["alphabet"]), dtype=object)
        columns = {"next": alphabet[probabilities.argmax(axis=1)]}
        names = [f"p_{character_name(char)}" for char in alphabet]
        columns.update({name: probabilities[:, code] for code, name in enumerate(names)})
        return columns

    def continuations(self, model: torch.nn.Module, inputs: np.ndarray, count: int, seed: int = 0):
        """The character model: each prompt continued by ``count`` sampled characters (at the
        run's ``temperature``; ``seed`` makes it reproducible)."""
        if self.task != LANGUAGE_MODELING:
            return super().continuations(model, inputs, count, seed)
        import torch

        from plugins.transformer._artifacts import decode, generate

        device = next(model.parameters()).device
        temperature = float(self.hparams["temperature"])
        alphabet = self.spec.extra["alphabet"]
        with torch.no_grad():
            texts = [
                decode(generate(model.eval(), torch.as_tensor(row).to(device), count,
                                temperature, seed), alphabet)
                for row in np.asarray(inputs)
            ]  # fmt: skip
        return {"continuation": np.asarray(texts, dtype=object)}
