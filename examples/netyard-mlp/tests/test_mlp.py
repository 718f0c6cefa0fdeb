"""The MLP plugin's tests: the engine's conformance suite plus what is special to this plugin."""

from netyard_mlp import MLPPlugin

from engine.testing import PluginConformance, tiny_dataset


class TestMLPConformance(PluginConformance):
    plugin_class = MLPPlugin
    hparams = {"width": 16, "depth": 1}


def test_depth_zero_is_logistic_regression() -> None:
    spec = tiny_dataset("image").spec  # 1x8x8 digits, 10 classes
    hparams = MLPPlugin.full_schema().resolve({"depth": 0})
    model = MLPPlugin(hparams, spec).build_model()
    assert sum(p.numel() for p in model.parameters()) == 64 * 10 + 10
