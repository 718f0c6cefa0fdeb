"""Generative adversarial networks of MLPs, for 2-D point mixtures and small images."""

from plugins.gan._plugin import GANPlugin

__all__ = ["GANPlugin"]
