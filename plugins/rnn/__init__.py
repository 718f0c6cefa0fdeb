"""Recurrent networks (GRU, LSTM): sequence classification and time-series forecasting."""

from plugins.rnn._plugin import RNNPlugin

__all__ = ["RNNPlugin"]
