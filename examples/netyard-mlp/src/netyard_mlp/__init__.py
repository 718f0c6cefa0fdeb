"""netyard-mlp: an example third-party Netyard plugin (a multilayer perceptron)."""

from netyard_mlp._plugin import MLPPlugin

__all__ = ["MLPPlugin"]
