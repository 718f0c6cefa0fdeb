"""The engine's conformance suite, run for every built-in plugin."""

from engine.testing import PluginConformance
from plugins.cnn import CNNPlugin


class TestCNNConformance(PluginConformance):
    plugin_class = CNNPlugin
    hparams = {"channels": 8, "depth": 2}
