"""The recurrent module: a GRU or LSTM stack and a linear head on a readout of its states;
for forecasting, beside a linear autoregressive path, and with the seasonal phase as input."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

CELLS = {"gru": nn.GRU, "lstm": nn.LSTM}
# The network's share of the final forecast when its combination with the linear path is
# kept (``RNNPlugin.settle``); see ``RecurrentNet`` for why a quarter.
COMBINED_SHARE = 0.25
# How far the network's forecast may differ from the linear one, in root-mean-square errors
# of the linear fit on the training windows, before its share is taken (``RNNPlugin.settle``;
# see ``RecurrentNet`` for why): the final forecast moves at most an eighth of that error
# away from the linear one.
DIFFERENCE_LIMIT = 0.5
# Runs saved before the share was fixed stored a learned parameter: their share was this
# limit times its tanh (``_load_from_state_dict`` converts them).
_OLD_SHARE_LIMIT = 0.5


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
    ``linear_features``: when set (forecasting), beside the network sits a linear AR path
    (LSTNet's "highway", Lai et al. 2018): a frozen linear map of the flattened window (buffers
    ``linear_weight`` and ``linear_bias``, filled by ``set_linear`` with the least-squares AR
    fit). The forecast is ``linear + share * (network - linear)``, where ``network`` is the
    recurrent forecast on its own and ``share`` (buffer ``blend``, one weight per horizon step)
    is 1 while the network trains, so training and early stopping see the network alone; once
    trained, ``RNNPlugin.settle`` sets it to ``COMBINED_SHARE`` where that combination beats the
    linear path on validation, else to 0 (the linear path alone). The difference taken is
    limited to ``DIFFERENCE_LIMIT`` of the linear fit's training error (buffer
    ``difference_limit``, no limit while training).
    Why two forecasts combined rather than one network on top of the linear map: measured on
    short real series (benchmarks/bench_forecast_vs_linear.py, docs/benchmarks.md) a network
    trained on the least-squares fit's residuals, or started from the linear forecast, learns
    almost nothing, and a share learned together with the network's weights let early stopping
    keep the weights that suited the share, not the ones that forecast best (the Nile: 1.09x
    the linear model's test error on one seed). A network trained and stopped on its own target
    (from the last value, as without a linear path) forecasts differently from the linear
    model, with partly independent errors, and a combination of two such forecasts beats both.
    Why a quarter, not the classic equal weights: a combination's error grows with the square
    of the share where the network fails out of sample, as it does where a trend leaves the
    training range (CO2: the network alone 2.4-3.0x the linear model's test error, equal
    weights 1.10-1.22x although validation preferred them, a quarter share 0.90x), while its
    gain where the network helps grows with the share itself (the Nile: 0.88x at a quarter,
    0.82x at a half). Why the limit: a few validation windows can be unlike the test part, and
    then no rule that reads them is safe (German quarterly inflation: 9 validation windows in
    1991-93 preferred the combination by 21-24%; in 1993-98 the network alone was 4-7x the
    linear model's error and the quarter share 1.30-1.60x). Limited, the network nudges the
    linear forecast by at most an eighth of the linear model's typical error: there 1.02-1.07x,
    while the Nile keeps 0.93x. Why frozen: the least-squares solution already is the
    training optimum of a linear map, so a learned one could only drift with the batch order;
    frozen, every seed falls back to the same linear forecast.
    ``season``: when set (forecasting), each step also reads the sine and cosine of its
    position in the season (``SeasonalPhase``).
    """

    def __init__(
        self,
        kind: str,
        input_shape: Sequence[int],
        outputs: int,
        hparams: Mapping[str, Any],
        residual_channel: int | None = None,
        linear_features: int | None = None,
        season: int | None = None,
    ) -> None:
        super().__init__()
        self.kind = kind
        self.steps, features = time_major_shape(kind, input_shape)
        self.phase = SeasonalPhase(season, self.steps) if season and season >= 2 else None
        if self.phase is not None:
            features += 2
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
            self.register_buffer("linear_weight", torch.zeros(outputs, int(linear_features)))
            self.register_buffer("linear_bias", torch.zeros(outputs))
            self.register_buffer("blend", torch.ones(outputs))
            self.register_buffer("difference_limit", torch.full((outputs,), math.inf))
            # The network starts as the last-value forecast (or zero): the same for every seed.
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
        return self.parts(x)[0]

    def parts(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The forecast and, with a linear path, the network's own forecast (else None)."""
        sequence = self._time_major(x)
        inputs = sequence
        if self.phase is not None:
            inputs = torch.cat([sequence, self.phase(sequence[:, :, 0])], dim=2)
        outputs, state = self.rnn(inputs)
        prediction = self.head(self.dropout(self._read(outputs, state)))
        if self.residual_channel is not None:
            prediction = prediction + sequence[:, -1, self.residual_channel].unsqueeze(1)
        if not self.linear:
            return prediction, None
        linear = sequence.flatten(1) @ self.linear_weight.T + self.linear_bias
        # min/max rather than clamp: ONNX's Clip takes scalar bounds only.
        limit = self.difference_limit
        difference = torch.minimum(torch.maximum(prediction - linear, -limit), limit)
        return linear + self.blend * difference, prediction

    def set_share(self, share: float, difference_limit: Any = math.inf) -> None:
        """The network's share of the forecast (every horizon step): 1 the network alone,
        0 the linear path alone; and how far (per horizon step, in the target's standardised
        units) the network's forecast may differ from the linear one before its share is
        taken (no limit while it trains)."""
        with torch.no_grad():
            self.blend.fill_(share)
            self.difference_limit.copy_(torch.as_tensor(difference_limit, dtype=torch.float32))

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        # Runs saved before the share was a fixed buffer hold the learned parameter instead,
        # and no limit.
        old = state_dict.pop(prefix + "blend_parameter", None)
        if old is not None:
            state_dict[prefix + "blend"] = _OLD_SHARE_LIMIT * torch.tanh(old)
            state_dict[prefix + "difference_limit"] = torch.full_like(old, math.inf)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


class SeasonalPhase(nn.Module):
    """The sine and cosine of each step's position in the season, read off the window itself.

    A window carries no clock: dates are never model inputs, and a forecast asked for later
    (``netyard predict``) gets a bare window. So the phase is estimated from the window, the
    same way in training and prediction: the window's latest whole seasons, averaged, are
    matched against the training part's seasonal profile (the mean standardised target at each
    position, buffer ``profile``, filled by ``set_profile``) at every shift, and the best
    shift gives the phase of the window's last step. On a clearly seasonal series that is the
    true phase; on a weak season it is noisy, and the network learns to ignore it.
    """

    def __init__(self, season: int, window: int) -> None:
        super().__init__()
        self.season, self.window = season, window
        self.register_buffer("profile", torch.zeros(season))
        # shifts[k, j]: the profile position of the j-th of the last seasons' steps when the
        # window's last step sits at position k.
        positions = torch.arange(season)
        self.register_buffer(
            "shifts", (positions[:, None] - (season - 1) + positions[None, :]) % season
        )

    def set_profile(self, profile: Any) -> None:
        with torch.no_grad():
            values = torch.as_tensor(profile, dtype=torch.float32)
            self.profile.copy_(values - values.mean())

    def forward(self, target: torch.Tensor) -> torch.Tensor:
        """(batch, window) standardised target -> (batch, window, 2) phase features."""
        seasons = self.window // self.season  # the window holds one season at least
        recent = target[:, -seasons * self.season :].float()
        recent = recent.reshape(len(target), seasons, -1).mean(dim=1)
        recent = recent - recent.mean(dim=1, keepdim=True)
        last = (recent @ self.profile[self.shifts].T).argmax(dim=1)  # (batch,)
        back = torch.arange(self.window - 1, -1, -1, device=target.device)
        angle = (2 * math.pi / self.season) * ((last[:, None] - back) % self.season).float()
        return torch.stack([angle.sin(), angle.cos()], dim=2)
