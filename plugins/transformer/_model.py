"""The Transformer module: embeddings, pre-norm attention blocks, a head per task.

Written out rather than built from ``nn.TransformerEncoderLayer`` so that a forward pass can
also return every head's attention weights (for the attention-map artifact and snapshots).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


def sinusoidal_positions(length: int, width: int) -> torch.Tensor:
    """The fixed sine/cosine position codes of "Attention is all you need", (length, width)."""
    position = torch.arange(length, dtype=torch.float32)[:, None]
    frequency = torch.exp(torch.arange(0, width, 2, dtype=torch.float32) * (-math.log(1e4) / width))
    codes = torch.zeros(length, width)
    codes[:, 0::2] = torch.sin(position * frequency)
    codes[:, 1::2] = torch.cos(position * frequency[: width // 2])
    return codes


class SelfAttention(nn.Module):
    def __init__(self, width: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)
        self.dropout = dropout

    def forward(
        self, x: torch.Tensor, causal: bool, record: list[torch.Tensor] | None
    ) -> torch.Tensor:
        batch, length, width = x.shape
        q, k, v = (
            part.view(batch, length, self.heads, width // self.heads).transpose(1, 2)
            for part in self.qkv(x).split(width, dim=2)
        )
        if record is None:
            dropout = self.dropout if self.training else 0.0
            mixed = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, is_causal=causal)
        else:
            # The fused kernel does not expose its weights; this slower path does the same sum.
            scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
            if causal:
                future = torch.ones(length, length, dtype=torch.bool, device=x.device).triu(1)
                scores = scores.masked_fill(future, float("-inf"))
            weights = scores.softmax(dim=-1)
            record.append(weights.detach())
            mixed = weights @ v
        return self.out(mixed.transpose(1, 2).reshape(batch, length, width))


class Block(nn.Module):
    """Pre-norm: x + attention(norm(x)), then x + feed-forward(norm(x))."""

    def __init__(self, width: int, heads: int, feedforward: int, dropout: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(width)
        self.attention = SelfAttention(width, heads, dropout)
        self.norm2 = nn.LayerNorm(width)
        self.feedforward = nn.Sequential(
            nn.Linear(width, feedforward), nn.GELU(), nn.Linear(feedforward, width)
        )
        self.dropout = nn.Dropout(dropout)

    def forward(
        self, x: torch.Tensor, causal: bool, record: list[torch.Tensor] | None
    ) -> torch.Tensor:
        x = x + self.dropout(self.attention(self.norm1(x), causal, record))
        return x + self.dropout(self.feedforward(self.norm2(x)))


class TransformerNet(nn.Module):
    """Tokens (``vocab_size``) or real-valued signals (``channels``) in; logits out.

    ``outputs`` logits per position when ``pooled`` is False (sorting, language modelling),
    else one set for the whole sequence from the mean over positions (classification).
    ``causal`` stops each position attending to later ones (language modelling).
    """

    def __init__(
        self,
        length: int,
        outputs: int,
        hparams: Mapping[str, Any],
        vocab_size: int | None = None,
        channels: int = 1,
        pooled: bool = False,
        causal: bool = False,
    ) -> None:
        super().__init__()
        width = int(hparams["d_model"])
        self.length, self.channels, self.pooled, self.causal = length, channels, pooled, causal
        if vocab_size is not None:
            self.embed: nn.Module = nn.Embedding(vocab_size, width)
        else:
            # A convolution over the raw signal makes each token see its neighbourhood, the
            # way a ViT patch embedding does; kernel 1 embeds every value on its own.
            kernel = int(hparams["input_kernel"])
            self.embed = nn.Conv1d(channels, width, kernel, padding=kernel // 2)
        if hparams["positions"] == "learned":
            self.positions = nn.Parameter(torch.zeros(1, length, width))
            nn.init.normal_(self.positions, std=0.02)
        else:
            self.register_buffer("positions", sinusoidal_positions(length, width)[None])
        self.dropout = nn.Dropout(float(hparams["dropout"]))
        self.blocks = nn.ModuleList(
            Block(width, int(hparams["heads"]), int(hparams["d_ff"]), float(hparams["dropout"]))
            for _ in range(int(hparams["layers"]))
        )
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, outputs)
        self.apply(_init_weights)

    def _embed(self, x: torch.Tensor) -> torch.Tensor:
        if isinstance(self.embed, nn.Embedding):
            return self.embed(x)
        signal = x.reshape(x.shape[0], self.channels, -1)
        return self.embed(signal)[..., : signal.shape[-1]].transpose(1, 2)

    def forward(self, x: torch.Tensor, record: list[torch.Tensor] | None = None) -> torch.Tensor:
        """Logits; with ``record`` a list, each layer's (batch, heads, T, T) weights go in it."""
        h = self._embed(x)
        h = self.dropout(h + self.positions[:, : h.shape[1]])
        for block in self.blocks:
            h = block(h, self.causal, record)
        h = self.norm(h)
        return self.head(h.mean(dim=1) if self.pooled else h)


def _init_weights(module: nn.Module) -> None:
    # GPT-2's initialisation: small normal weights, zero biases. The signal convolution keeps
    # PyTorch's default, scaled to its fan-in, since it reads raw values rather than codes.
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, std=0.02)
        if getattr(module, "bias", None) is not None:
            nn.init.zeros_(module.bias)
