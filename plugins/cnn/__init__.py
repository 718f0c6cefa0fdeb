"""Convolutional networks: 1-D for sequences (MNIST-1D), 2-D for images (digits)."""

from plugins.cnn._plugin import CONVBASE, CNNPlugin

__all__ = ["CONVBASE", "CNNPlugin"]
