"""The plugin contract and plugin discovery.

A plugin subclasses ``Plugin`` (or ``ClassifierPlugin``), declares its metadata and schema as
class attributes and implements a few methods; it registers through the ``netyard.plugins``
entry-point group, as the built-in plugins do.
"""

from engine.plugin._base import OptimizationContext, Plugin
from engine.plugin._classifier import ClassifierPlugin
from engine.plugin._optim import make_optimizer, optimizer_params
from engine.plugin._registry import PluginEntry, contract_problem, discover_plugins, get_plugin

__all__ = [
    "ClassifierPlugin",
    "OptimizationContext",
    "Plugin",
    "PluginEntry",
    "contract_problem",
    "discover_plugins",
    "get_plugin",
    "make_optimizer",
    "optimizer_params",
]
