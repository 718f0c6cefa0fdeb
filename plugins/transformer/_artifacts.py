"""What a Transformer run shows: attention maps of one sample, generated text.

Imported only once a model exists (it needs torch, and matplotlib for the PNG).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

# Longer samples make unreadable maps (and large snapshots): the first positions are enough.
MAX_POSITIONS = 32


def sample_labels(spec: Any, x: torch.Tensor) -> list[str]:
    """How each input position is labelled on the maps: its character, symbol or index."""
    if spec.kind == "text":
        alphabet = spec.extra["alphabet"]
        return [_visible(alphabet[int(code)]) for code in x]
    if spec.kind == "tokens":
        return [str(int(code)) for code in x]
    return [str(position) for position in range(x.shape[-1])]


def _visible(char: str) -> str:
    return {"\n": "⏎", " ": "␣", "\t": "⇥"}.get(char, char)


def attention_maps(model: torch.nn.Module, x: torch.Tensor) -> np.ndarray:
    """(layers, heads, T, T) attention weights for one sample.

    Token inputs are cut to their first ``MAX_POSITIONS``; a signal is read whole, since the
    model's answer (and so its attention) depends on all of it.
    """
    if isinstance(model.embed, torch.nn.Embedding):
        x = x[:MAX_POSITIONS]
    record: list[torch.Tensor] = []
    model(x.unsqueeze(0), record=record)
    return torch.stack([weights[0] for weights in record]).float().cpu().numpy()


def attention_png(maps: np.ndarray, labels: Sequence[str], title: str, path: Path) -> None:
    """A grid of heat maps: one row per layer, one column per head (rows attend to columns)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    layers, heads, length, _ = maps.shape
    labels = list(labels)[:length]
    # A position about 11 pixels a side, its labels in 8-point type up to 16 positions (one
    # a tick), 6-point beyond: read at 100 % in the app, where 7- and 5-point were too small.
    size = 1.4 + 0.11 * length
    figure = Figure(figsize=(size * heads, size * layers + 0.6), dpi=100)
    grid = figure.subplots(layers, heads, squeeze=False)
    # Every position is labelled on short inputs (tokens); every few on long ones (signals).
    every = 1 if length <= MAX_POSITIONS else -(-length // 10)
    ticks = np.arange(0, length, every)
    labels = [labels[tick] for tick in ticks]
    font = 8 if length <= 16 else 6
    for layer in range(layers):
        for head in range(heads):
            axes = grid[layer][head]
            axes.imshow(maps[layer, head], cmap="viridis", vmin=0.0, vmax=1.0)
            axes.set_title(f"layer {layer + 1}, head {head + 1}", fontsize=9)
            axes.set_xticks(ticks, labels, fontsize=font)
            axes.set_yticks(ticks, labels, fontsize=font)
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path)


def generate(
    model: torch.nn.Module, prompt: torch.Tensor, count: int, temperature: float, seed: int = 0
) -> list[int]:
    """``count`` character codes sampled after ``prompt`` (1-D codes), reproducibly by seed.

    The context is cut to the model's trained length, as positions beyond it were never seen.
    """
    generator = torch.Generator(device=prompt.device).manual_seed(seed)
    codes = prompt.tolist()
    context = prompt.clone()
    for _ in range(count):
        logits = model(context[-model.length :].unsqueeze(0))[0, -1].float()
        if temperature <= 0:
            code = int(logits.argmax())
        else:
            probabilities = (logits / temperature).softmax(dim=-1)
            code = int(torch.multinomial(probabilities, 1, generator=generator))
        codes.append(code)
        context = torch.cat([context, context.new_tensor([code])])
    return codes[len(prompt) :]


def decode(codes: Sequence[int], alphabet: str) -> str:
    return "".join(alphabet[code] for code in codes)
