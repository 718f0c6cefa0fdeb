"""Transformer: classifies sequences (MNIST-1D), sorts tokens, models text by character."""

from plugins.transformer._plugin import TransformerPlugin

__all__ = ["TransformerPlugin"]
