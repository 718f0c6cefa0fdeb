"""Testing tools for plugin authors: the conformance suite and tiny datasets per data kind.

Only tests import this package (it imports pytest); the app, the CLI and the worker never do.
A plugin's test module subclasses ``PluginConformance``; see docs/plugins.md.
"""

from engine.testing._conformance import PluginConformance
from engine.testing._harness import TinyRun, assert_same_state, model_state, one_thread, train_tiny
from engine.testing._tiny import (
    TinyFactory,
    from_registered,
    register_tiny_dataset,
    shrink,
    tiny_dataset,
    tiny_kinds,
    write_small_mnist1d,
)

__all__ = [
    "PluginConformance",
    "TinyFactory",
    "TinyRun",
    "assert_same_state",
    "from_registered",
    "model_state",
    "one_thread",
    "register_tiny_dataset",
    "shrink",
    "tiny_dataset",
    "tiny_kinds",
    "train_tiny",
    "write_small_mnist1d",
]
