"""The hyperparameter schema: parsing, validation messages, defaults, merging."""

from __future__ import annotations

import pytest

from engine.errors import UsageError
from engine.options import TRAINING_SCHEMA
from engine.schema import Bool, Choice, Float, Int, Schema


def make_schema() -> Schema:
    return Schema(
        Int("channels", 64, low=1, high=1024, log=True),
        Int("depth", 4, low=1, high=12),
        Float("lr", 3e-3, low=1e-6, high=1.0, log=True),
        Float("dropout", 0.1, low=0.0, high=0.9),
        Choice("optimizer", "adamw", choices=("adam", "adamw", "sgd")),
        Choice("padding", "same", choices=("same", "0", "1")),
        Choice("heads", 2, choices=(1, 2, 4)),
        Bool("batch_norm", True),
    )


# -- parsing every type ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [("7", 7), (" 12 ", 12), ("1e3", 1000), ("64.0", 64), ("1024", 1024), ("1", 1)],
)
def test_int_parses_whole_numbers_in_any_spelling(text, expected):
    value = Int("n", 1, low=1, high=1024).parse(text)
    assert value == expected and type(value) is int


@pytest.mark.parametrize(
    ("text", "expected"), [("3e-3", 3e-3), ("0.5", 0.5), ("1", 1.0), (" .25 ", 0.25)]
)
def test_float_parses_numbers(text, expected):
    value = Float("lr", 0.1, low=0.0, high=1.0).parse(text)
    assert value == expected and type(value) is float


def test_choice_parses_to_the_declared_value_and_type():
    schema = make_schema()
    assert schema["optimizer"].parse("sgd") == "sgd"
    assert schema["padding"].parse("0") == "0"  # a string choice stays a string
    heads = schema["heads"].parse("4")
    assert heads == 4 and type(heads) is int
    assert schema["heads"].validate(4) == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("True", True),
        ("1", True),
        ("yes", True),
        ("on", True),
        ("false", False),
        ("FALSE", False),
        ("0", False),
        ("no", False),
        ("off", False),
    ],
)
def test_bool_spellings(text, expected):
    assert Bool("flag", False).parse(text) is expected


def test_parse_assignments_types_every_value():
    values = make_schema().parse_assignments(
        ["channels=1e2", "lr=0.01", "optimizer=sgd", "batch_norm=off", "heads=1", "depth = 3"]
    )
    assert values == {
        "channels": 100,
        "lr": 0.01,
        "optimizer": "sgd",
        "batch_norm": False,
        "heads": 1,
        "depth": 3,
    }
    assert type(values["channels"]) is int and type(values["lr"]) is float


def test_an_assignment_value_may_contain_equals_signs():
    schema = Schema(Choice("expr", "a=b", choices=("a=b", "c")))
    assert schema.parse_assignments(["expr=a=b"]) == {"expr": "a=b"}


# -- validation errors ----------------------------------------------------------------------
def error_text(call, *args) -> str:
    with pytest.raises(UsageError) as caught:
        call(*args)
    message = str(caught.value)
    assert "\n" not in message, "a usage error is one line"
    return message


def test_unknown_name_suggests_the_closest_and_lists_all():
    schema = make_schema()
    message = error_text(schema.parse_assignments, ["chanels=3"])
    assert "'chanels'" in message
    assert "did you mean channels?" in message
    for name in schema.names():
        assert name in message


def test_unknown_name_without_a_close_match_has_no_hint():
    message = error_text(make_schema().resolve, {"zzzzzz": 1})
    assert "'zzzzzz'" in message and "did you mean" not in message


@pytest.mark.parametrize(
    ("assignment", "must_contain"),
    [
        ("depth=three", ["'three'", "depth", "not a whole number", "int in [1, 12]"]),
        ("depth=2.5", ["'2.5'", "not a whole number", "int in [1, 12]"]),
        ("lr=fast", ["'fast'", "lr", "not a number", "float in [1e-06, 1]", "log scale"]),
        ("lr=nan", ["nan", "not finite"]),
        ("batch_norm=maybe", ["'maybe'", "batch_norm", "true or false"]),
        ("optimizer=rmsprop", ["'rmsprop'", "optimizer", "one of adam, adamw, sgd"]),
        ("heads=3", ["'3'", "heads", "one of 1, 2, 4"]),
    ],
)
def test_ill_typed_values_and_bad_choices_name_the_value_and_what_is_valid(
    assignment, must_contain
):
    message = error_text(make_schema().parse_assignments, [assignment])
    for fragment in must_contain:
        assert fragment in message


@pytest.mark.parametrize(
    ("assignment", "must_contain"),
    [
        ("depth=0", ["0", "below the minimum", "int in [1, 12]"]),
        ("depth=13", ["13", "above the maximum", "int in [1, 12]"]),
        ("channels=1e4", ["10000", "above the maximum"]),
        ("lr=0", ["0.0", "below the minimum"]),
        ("dropout=0.95", ["0.95", "above the maximum", "float in [0, 0.9]"]),
    ],
)
def test_out_of_range_values_name_the_bound(assignment, must_contain):
    message = error_text(make_schema().parse_assignments, [assignment])
    for fragment in must_contain:
        assert fragment in message


@pytest.mark.parametrize("assignment", ["lr", "=3", "", "   =x"])
def test_malformed_assignments(assignment):
    message = error_text(make_schema().parse_assignments, [assignment])
    assert f"invalid assignment {assignment!r}" in message
    assert "key=value" in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("depth", True),  # a bool is not a number, although Python says it is an int
        ("depth", 2.5),
        ("depth", [3]),
        ("lr", None),
        ("lr", float("inf")),
        ("batch_norm", 1),
        ("optimizer", None),
    ],
)
def test_resolve_rejects_ill_typed_python_values(name, value):
    error_text(make_schema().resolve, {name: value})


def test_resolve_coerces_compatible_values():
    resolved = make_schema().resolve({"depth": 3.0, "lr": 1, "channels": "32"})
    assert resolved["depth"] == 3 and type(resolved["depth"]) is int
    assert resolved["lr"] == 1.0 and type(resolved["lr"]) is float
    assert resolved["channels"] == 32


# -- defaults and merging -------------------------------------------------------------------
def test_defaults_and_resolve_without_overrides():
    schema = make_schema()
    assert schema.resolve() == schema.defaults()
    assert schema.defaults()["optimizer"] == "adamw"
    assert schema.resolve({"depth": 2})["depth"] == 2
    assert schema.resolve({"depth": 2})["lr"] == 3e-3


def test_merged_with_training_defaults():
    merged = make_schema().merged(TRAINING_SCHEMA, {"batch_size": 100, "steps": 50})
    assert merged.names() == make_schema().names() + TRAINING_SCHEMA.names()
    assert merged.defaults()["batch_size"] == 100
    assert merged.defaults()["steps"] == 50
    assert merged.defaults()["channels"] == 64
    # The original schema is untouched.
    assert TRAINING_SCHEMA.defaults()["batch_size"] == 64


def test_merged_refuses_invalid_or_undeclared_defaults():
    with pytest.raises(UsageError):
        make_schema().merged(TRAINING_SCHEMA, {"batch_size": 0})
    with pytest.raises(ValueError, match="undeclared"):
        make_schema().merged(TRAINING_SCHEMA, {"bogus": 1})


def test_merging_a_name_twice_is_refused():
    with pytest.raises(ValueError, match="declared twice"):
        Schema(Int("steps", 1, low=1, high=2)).merged(TRAINING_SCHEMA)


# -- declarations ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "declare",
    [
        lambda: Int("n", 5, low=1, high=3),  # default outside its own range
        lambda: Int("n", 1, low=3, high=1),
        lambda: Int("n", 1),  # no range
        lambda: Float("x", 1.0, low=0.0, high=2.0, log=True),  # log scale through zero
        lambda: Choice("c", "a"),  # no choices
        lambda: Choice("c", "z", choices=("a", "b")),
        lambda: Bool("flag", "yes please"),
        lambda: Int("not an identifier", 1, low=1, high=2),
        lambda: Schema(Bool("a", True), Bool("a", False)),
    ],
)
def test_bad_declarations_are_refused(declare):
    with pytest.raises(ValueError):
        declare()


def test_to_dicts_describe_every_field():
    described = {d["name"]: d for d in make_schema().to_dicts()}
    assert described["lr"] == {
        "name": "lr",
        "type": "float",
        "default": 3e-3,
        "low": 1e-6,
        "high": 1.0,
        "log": True,
        "choices": [],
        "help": "",
    }
    assert described["optimizer"]["type"] == "categorical"
    assert described["optimizer"]["choices"] == ["adam", "adamw", "sgd"]
    assert described["batch_norm"]["type"] == "bool"
