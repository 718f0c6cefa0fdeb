"""``Plugin.__init_subclass__``: bad declarations fail when the class is defined."""

from __future__ import annotations

import pytest

from engine.options import TRAINING_SCHEMA
from engine.plugin import ClassifierPlugin, Plugin
from engine.schema import Float, Int, Schema


def declare(base: type = Plugin, **attributes) -> type:
    """Define a plugin class the way a plugin module does (the check runs on definition)."""
    body = {
        "name": "Test",
        "description": "A plugin under test.",
        "data_kinds": ("image",),
        "schema": Schema(Float("lr", 0.1, low=0.0, high=1.0)),
        "metrics": {"loss": "min", "accuracy": "max"},
        "monitor": "loss",
        "build_model": lambda self: None,
        "training_step": lambda self, model, batch, step, context=None: {},
        **attributes,
    }
    body = {key: value for key, value in body.items() if value is not _MISSING}
    return type("DeclaredPlugin", (base,), body)


_MISSING = object()


def test_a_good_declaration_gets_the_full_schema():
    plugin = declare(id="good", training_defaults={"steps": 30})
    schema = plugin.full_schema()
    assert schema.names() == ["lr", *TRAINING_SCHEMA.names(), "monitor"]
    assert schema["steps"].default == 30
    assert schema["monitor"].default == "val_loss"
    assert schema["monitor"].choices == ("val_loss", "val_accuracy")
    assert plugin.metric_direction("val_accuracy") == "max"
    assert plugin.metric_direction("test_loss") == "min"
    assert plugin.accepts("image") and not plugin.accepts("sequence")


@pytest.mark.parametrize("attribute", ["name", "description", "data_kinds", "schema", "metrics"])
def test_missing_attributes_are_named(attribute):
    with pytest.raises(TypeError, match=f"lacks required attributes: .*'{attribute}'"):
        declare(id="incomplete", **{attribute: _MISSING})


def test_missing_monitor_is_named():
    with pytest.raises(TypeError, match="'monitor'"):
        declare(id="incomplete", monitor=_MISSING)


def test_bad_metric_direction():
    with pytest.raises(TypeError, match="metric directions must be min or max.*'up'"):
        declare(id="bad_direction", metrics={"loss": "min", "accuracy": "up"})


def test_monitor_not_in_metrics():
    with pytest.raises(TypeError, match="monitor 'f1' is not in its metrics"):
        declare(id="bad_monitor", monitor="f1")


def test_task_monitor_not_in_metrics():
    with pytest.raises(TypeError, match="task monitors not .*'forecasting': 'mse'"):
        declare(id="bad_task_monitor", task_monitors={"forecasting": "mse"})


def test_task_metrics_not_in_metrics():
    with pytest.raises(TypeError, match="task metrics not in its metrics.*'forecasting'"):
        declare(id="bad_task_metrics", task_metrics={"forecasting": ("loss", "mse")})


def test_duplicate_parameter_names_within_the_plugin():
    with pytest.raises(ValueError, match="'lr' is declared twice"):
        declare(
            id="twice",
            schema=Schema(Float("lr", 0.1, low=0, high=1), Float("lr", 0.2, low=0, high=1)),
        )


def test_a_parameter_that_shadows_a_training_option():
    with pytest.raises(ValueError, match="'steps' is declared twice"):
        declare(id="shadow", schema=Schema(Int("steps", 5, low=1, high=10)))


def test_training_defaults_are_validated():
    from engine.errors import UsageError

    with pytest.raises(UsageError, match="batch_size"):
        declare(id="bad_default", training_defaults={"batch_size": -1})
    with pytest.raises(ValueError, match="undeclared"):
        declare(id="stray_default", training_defaults={"epochs": 3})


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"id": "not-an-identifier"}, "must be an identifier"),
        ({"id": "plain", "schema": {"lr": 0.1}}, "schema must be an engine.schema.Schema"),
        ({"id": "plain", "data_kinds": "image"}, "data_kinds must be a non-empty tuple"),
        ({"id": "plain", "data_kinds": ()}, "data_kinds must be a non-empty tuple"),
    ],
)
def test_other_bad_declarations(attributes, message):
    with pytest.raises(TypeError, match=message):
        declare(**attributes)


def test_an_intermediate_base_without_id_is_not_checked():
    # Like ClassifierPlugin itself: a base that leaves attributes to its subclasses.
    base = type("PartialBase", (Plugin,), {"metrics": {"loss": "min"}})
    plugin = declare(base=base, id="from_partial", metrics=_MISSING, monitor="loss")
    assert plugin.metrics == {"loss": "min"}


def test_classifier_plugin_provides_metrics_and_monitor():
    plugin = declare(base=ClassifierPlugin, id="classifier", metrics=_MISSING, monitor=_MISSING)
    assert plugin.full_schema()["monitor"].default == "val_accuracy"
    assert plugin.metric_direction("val_loss") == "min"
    assert plugin.monitor_for("classification") == "accuracy"


def test_schema_is_shared_but_not_mutated_by_a_subclass():
    first = declare(id="first", training_defaults={"steps": 11})
    second = declare(id="second", training_defaults={"steps": 22})
    assert first.full_schema()["steps"].default == 11
    assert second.full_schema()["steps"].default == 22
    assert TRAINING_SCHEMA["steps"].default == 2000
