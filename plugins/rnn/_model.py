"""The recurrent module: a GRU or LSTM stack and a linear head on a readout of its states."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

CELLS = {"gru": nn.GRU, "lstm": nn.LSTM}


def time_major_shape(kind: str, input_shape: Sequence[int]) -> tuple[int, int]:
    """(steps, features per step) for a sample of ``input_shape``.

    Sequences come as (length,) or, as the CNN reads them, (channels, length); time series as
    (window, channels).
    """
    if len(input_shape) == 1:
        return int(input_shape[0]), 1
    if kind == "sequence":
        return int(input_shape[1]), int(input_shape[0])
    return int(input_shape[0]), int(input_shape[1])


class RecurrentNet(nn.Module):
    """Reads a batch of sequences and maps a readout of the hidden states to ``outputs``.

    ``residual_channel``: when set (forecasting), the head predicts the change from that
    input channel's last value, so an untrained model starts as the last-value forecast.
    ``linear_features``: when set (forecasting), a frozen linear map of the flattened window
    (buffers ``linear_weight`` and ``linear_bias``, filled by ``set_linear`` with the
    least-squares AR fit) is added to the head, which starts at zero: the untrained model is
    the linear forecast and the network learns its residual.
    """

    def __init__(
        self,
        kind: str,
        input_shape: Sequence[int],
        outputs: int,
        hparams: Mapping[str, Any],
        residual_channel: int | None = None,
        linear_features: int | None = None,
    ) -> None:
        super().__init__()
        self.kind = kind
        self.steps, features = time_major_shape(kind, input_shape)
        layers, hidden = int(hparams["layers"]), int(hparams["hidden_size"])
        dropout = float(hparams["dropout"])
        self.directions = 2 if hparams["bidirectional"] else 1
        self.readout = str(hparams["readout"])
        self.rnn = CELLS[hparams["cell"]](
            features,
            hidden,
            num_layers=layers,
            batch_first=True,
            # torch applies this between layers only (and warns if there is just one).
            dropout=dropout if layers > 1 else 0.0,
            bidirectional=self.directions == 2,
        )
        width = hidden * self.directions * (self.steps if self.readout == "flatten" else 1)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(width, outputs)
        self.residual_channel = residual_channel
        self.linear = linear_features is not None
        if self.linear:
            self.residual_channel = None  # the linear map holds the last value already
            self.register_buffer("linear_weight", torch.zeros(outputs, int(linear_features)))
            self.register_buffer("linear_bias", torch.zeros(outputs))
            nn.init.zeros_(self.head.weight)
            nn.init.zeros_(self.head.bias)

    def set_linear(self, weight: Any, bias: Any) -> None:
        """Fill the frozen linear path (arrays of shape (outputs, features) and (outputs,))."""
        with torch.no_grad():
            self.linear_weight.copy_(torch.as_tensor(weight, dtype=torch.float32))
            self.linear_bias.copy_(torch.as_tensor(bias, dtype=torch.float32))

    def _time_major(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            return x.unsqueeze(-1)
        if self.kind == "sequence":
            return x.transpose(1, 2)
        return x

    def _read(self, outputs: torch.Tensor, state: Any) -> torch.Tensor:
        if self.readout == "mean":
            return outputs.mean(dim=1)
        if self.readout == "flatten":
            return outputs.flatten(1)
        # "last": the top layer's final state in each direction (the backward direction ends
        # at the first step), which for a bidirectional net has seen the whole sequence twice.
        final = state[0] if isinstance(state, tuple) else state
        return final[-self.directions :].transpose(0, 1).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        sequence = self._time_major(x)
        outputs, state = self.rnn(sequence)
        prediction = self.head(self.dropout(self._read(outputs, state)))
        if self.linear:
            prediction = prediction + sequence.flatten(1) @ self.linear_weight.T + self.linear_bias
        if self.residual_channel is not None:
            prediction = prediction + sequence[:, -1, self.residual_channel].unsqueeze(1)
        return prediction
