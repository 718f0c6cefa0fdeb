"""Attributions of a trained model's predictions, computed in batches of bounded memory.

Every method runs on ``BATCH`` inputs at a time, and integrated gradients' interpolation
steps go through the network ``BATCH`` at a time too (``internal_batch_size``), occlusion's
perturbations a few at a time: memory stays that of a small batch however many inputs are
explained (captum#245, #538). The attributions have the inputs' shape: Grad-CAM's map is
upsampled from the last convolution to the input and spread over its channels; a token
model's attributions over embeddings are summed over the embedding width, one per token.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.explain._methods import (
    GRADCAM,
    INTEGRATED_GRADIENTS,
    OCCLUSION,
    SALIENCY,
    check_method,
    embedding,
    last_convolution,
)

BATCH = 32  # inputs explained at once, and integrated gradients' internal batch
STEPS = 50  # integrated gradients' steps from the baseline (captum's default)
PERTURBATIONS_PER_EVAL = 4  # occlusion's masked copies of a batch per forward pass


@dataclass(frozen=True)
class Explanation:
    """``attributions`` has the shape of ``inputs``; ``predictions`` one row per input (class
    or token codes, or a forecast); ``labels`` the truth where the inputs are test samples."""

    method: str
    inputs: np.ndarray
    attributions: np.ndarray
    predictions: np.ndarray
    labels: np.ndarray | None = None

    def arrays(self) -> dict[str, np.ndarray]:
        arrays = {
            "inputs": self.inputs,
            "attributions": self.attributions,
            "predictions": self.predictions,
        }
        if self.labels is not None:
            arrays["labels"] = self.labels
        return arrays

    def save(self, path: str | Path) -> Path:
        """Write the arrays to an ``.npz`` file, whole or not at all."""
        import io

        from engine.atomic_files import write_atomically

        buffer = io.BytesIO()
        np.savez_compressed(buffer, **self.arrays())
        return write_atomically(path, buffer.getvalue())


def explain(trained, inputs: np.ndarray, method: str, labels: np.ndarray | None = None):
    """The ``method`` attributions of ``trained``'s predictions on ``inputs`` (as ``predict``
    takes them); a ``UsageError`` naming the methods that apply when this one does not."""
    import torch

    from engine.explain._score import Score, predictions, reading

    check_method(trained, method)
    array = trained.check_inputs(inputs)
    spec = trained.plugin.spec
    score = Score(trained.module.eval(), reading(spec))
    device = next(score.parameters()).device
    attributions, predicted = [], []
    # cuDNN computes an RNN's backward pass only in training mode: the plain kernels do it
    # in evaluation mode (dropout off), which explanations need.
    with torch.backends.cudnn.flags(enabled=False):
        for start in range(0, len(array), BATCH):
            x = trained.plugin.network_input(array[start : start + BATCH]).to(device)
            chosen = score.choose(x)
            batch = _attribute(score, method, x, chosen, spec)
            shape = array[start : start + len(x)].shape
            attributions.append(batch.detach().cpu().numpy().reshape(shape))
            predicted.append(predictions(trained, score.how, x, chosen))
    return Explanation(
        method,
        array,
        np.concatenate(attributions).astype(np.float32),
        np.concatenate(predicted),
        labels,
    )


def _attribute(score, method: str, x, chosen, spec):
    from captum.attr import IntegratedGradients, LayerIntegratedGradients, Occlusion, Saliency

    arguments = (chosen,)
    if x.dtype.is_floating_point and method in (SALIENCY, INTEGRATED_GRADIENTS):
        x = x.requires_grad_()  # what captum would do, with a warning each batch
    if method == SALIENCY:
        return Saliency(score).attribute(x, additional_forward_args=arguments, abs=True)
    if method == INTEGRATED_GRADIENTS and x.dtype.is_floating_point:
        return IntegratedGradients(score).attribute(
            x, additional_forward_args=arguments, n_steps=STEPS, internal_batch_size=BATCH
        )
    if method == INTEGRATED_GRADIENTS:  # tokens: along the path between embeddings
        layer = LayerIntegratedGradients(score, embedding(score.network))
        attribution = layer.attribute(
            x, _token_baseline(x, spec), additional_forward_args=arguments, n_steps=STEPS,
            internal_batch_size=BATCH,
        )  # fmt: skip
        return attribution.sum(dim=-1)
    if method == OCCLUSION:
        window, strides = occlusion_window(spec.kind, tuple(x.shape[1:]))
        return Occlusion(score).attribute(
            x, sliding_window_shapes=window, strides=strides, baselines=0.0,
            additional_forward_args=arguments, perturbations_per_eval=PERTURBATIONS_PER_EVAL,
        )  # fmt: skip
    if method == GRADCAM:
        return _gradcam(score, x, chosen)
    raise AssertionError(method)  # check_method let an unknown method through


def _token_baseline(x, spec):
    """The reference text integrated gradients starts from: all padding, the character the
    prompts are padded with (a space) where the alphabet has one, else the first token."""
    alphabet = spec.extra.get("alphabet") or ""
    return x.new_full(x.shape, alphabet.index(" ") if " " in alphabet else 0)


def _gradcam(score, x, chosen):
    """Grad-CAM at the last convolution, upsampled to the input's positions (1-D or 2-D)
    and spread over its channels."""
    from captum.attr import LayerAttribution, LayerGradCam

    layer = last_convolution(score.network)
    cam = LayerGradCam(score, layer).attribute(
        x, additional_forward_args=(chosen,), relu_attributions=True
    )
    dimensions = cam.dim() - 2
    positions = tuple(x.shape[-dimensions:])
    mode = "bilinear" if dimensions == 2 else "linear"
    cam = LayerAttribution.interpolate(cam, positions, interpolate_mode=mode)
    channels = (1,) * (x.dim() - 1 - dimensions)
    return cam.reshape(len(x), *channels, *positions).expand_as(x)


def occlusion_window(kind: str, shape: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Occlusion's window and strides for one input of ``shape``: an eighth of each position
    axis (at least one step), half a window apart, covering every channel at once. A time
    series' window is (steps, channels); images (channels, height, width); sequences
    (length,) or (channels, length)."""
    if kind == "timeseries":
        positions = {0}
    elif len(shape) == 3:
        positions = {1, 2}
    else:
        positions = {len(shape) - 1}
    window = tuple(max(1, n // 8) if axis in positions else n for axis, n in enumerate(shape))
    strides = tuple(
        max(1, w // 2) if axis in positions else n
        for axis, (w, n) in enumerate(zip(window, shape, strict=True))
    )
    return window, strides
