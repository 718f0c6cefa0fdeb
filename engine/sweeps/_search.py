"""One searched hyperparameter: its range or choices, parsed from text and checked against the
plugin's schema, then turned into an Optuna distribution.

The schema's declaration is the default (full range, its log scale, all choices); a user may
narrow it but never widen it past the declared valid range.

Text syntax (the CLI's ``--search``, also accepted in YAML):

- ``lr`` : the schema's whole range (or all choices);
- ``lr=1e-4:1e-1`` : a range, on the schema's scale; add ``:log`` or ``:linear`` to choose;
- ``dropout=0:0.5:step=0.1`` : a range in steps (needed by the grid sampler for floats);
- ``channels=16,32,64`` : a list of choices (any type; each must be a valid value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from engine.errors import UsageError
from engine.schema import Bool, Choice, Float, Int, Param, Schema

GRID_LIMIT = 100_000


@dataclass
class SearchParam:
    """A searched hyperparameter as plain data; ``None`` fields take the schema's value."""

    name: str
    low: float | None = None
    high: float | None = None
    log: bool | None = None
    step: float | None = None
    choices: list[Any] | None = field(default=None)

    # -- plain data -------------------------------------------------------------------------
    def to_data(self) -> Any:
        """The YAML form: a list of choices, a mapping for a range, or None for everything."""
        if self.choices is not None:
            return list(self.choices)
        data = {
            key: value
            for key, value in (
                ("low", self.low),
                ("high", self.high),
                ("log", self.log),
                ("step", self.step),
            )
            if value is not None
        }
        return data or None

    @classmethod
    def from_data(cls, name: str, data: Any) -> SearchParam:
        """Read the YAML form (list, mapping, CLI-syntax string or None)."""
        if data is None:
            return cls(name)
        if isinstance(data, str):
            return parse_search(f"{name}={data}" if data.strip() else name)
        if isinstance(data, list | tuple):
            return cls(name, choices=list(data))
        if isinstance(data, dict):
            unknown = set(data) - {"low", "high", "log", "step", "choices"}
            if unknown:
                raise UsageError(
                    f"unknown key(s) {', '.join(sorted(unknown))} in the search range of "
                    f"{name}; valid: low, high, log, step, choices"
                )
            choices = data.get("choices")
            return cls(
                name,
                low=_number(name, data.get("low")),
                high=_number(name, data.get("high")),
                log=data.get("log"),
                step=_number(name, data.get("step")),
                choices=list(choices) if choices is not None else None,
            )
        raise UsageError(
            f"invalid search range {data!r} for {name}: expected a list of choices, "
            f"a mapping with low/high/log/step, or text like 1e-4:1e-1:log"
        )

    def to_text(self) -> str:
        """The CLI form, e.g. ``lr=0.0001:0.1:log`` (for MLflow params and listings)."""
        if self.choices is not None:
            return f"{self.name}=" + ",".join(str(c) for c in self.choices)
        if self.low is None and self.high is None and self.step is None and self.log is None:
            return self.name
        parts = [_fmt(self.low), _fmt(self.high)]
        if self.log is not None:
            parts.append("log" if self.log else "linear")
        if self.step is not None:
            parts.append(f"step={_fmt(self.step)}")
        return f"{self.name}=" + ":".join(parts)


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _number(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise UsageError(f"invalid number {value!r} in the search range of {name}")
    try:
        return float(value)
    except ValueError:
        raise UsageError(f"invalid number {value!r} in the search range of {name}") from None


def parse_search(text: str) -> SearchParam:
    """Parse one ``--search`` argument (see the module docstring for the syntax)."""
    name, sep, rest = text.partition("=")
    name = name.strip()
    if not name.isidentifier():
        raise UsageError(
            f"invalid search {text!r}: expected NAME, NAME=LOW:HIGH[:log][:step=S] "
            f"or NAME=A,B,C (see docs/sweeps.md)"
        )
    rest = rest.strip()
    if not sep or not rest:
        return SearchParam(name)
    if ":" not in rest:
        return SearchParam(name, choices=[item.strip() for item in rest.split(",")])
    parts = [part.strip() for part in rest.split(":")]
    if len(parts) < 2:
        raise UsageError(f"invalid search {text!r}: a range needs LOW:HIGH")
    low, high = _number(name, parts[0] or None), _number(name, parts[1] or None)
    log, step = None, None
    for modifier in parts[2:]:
        if modifier == "log":
            log = True
        elif modifier == "linear":
            log = False
        elif modifier.startswith("step="):
            step = _number(name, modifier[5:])
        else:
            raise UsageError(
                f"invalid search {text!r}: unknown modifier {modifier!r}; valid: log, linear, "
                f"step=S"
            )
    return SearchParam(name, low=low, high=high, log=log, step=step)


# -- checking against the schema and building distributions ----------------------------------
def check_search(search: SearchParam, schema: Schema) -> SearchParam:
    """The search with every default filled in from the schema, or a ``UsageError``."""
    param = schema[search.name]
    if search.choices is not None:
        if search.low is not None or search.high is not None or search.step is not None:
            raise UsageError(f"search for {search.name} gives both choices and a range")
        if not search.choices:
            raise UsageError(f"search for {search.name} gives an empty list of choices")
        values = []
        for choice in search.choices:
            value = param.parse(choice) if isinstance(choice, str) else param.validate(choice)
            if value not in values:
                values.append(value)
        return SearchParam(search.name, choices=values)
    if isinstance(param, Choice | Bool):
        if search.low is not None or search.high is not None or search.step is not None:
            raise UsageError(
                f"{search.name} is {param.kind}: search it over choices "
                f"({param.describe_valid()}), not a range"
            )
        choices = list(param.choices) if isinstance(param, Choice) else [False, True]
        return SearchParam(search.name, choices=choices)
    return _check_range(search, param)


def _check_range(search: SearchParam, param: Param) -> SearchParam:
    name = search.name
    low = param.low if search.low is None else search.low
    high = param.high if search.high is None else search.high
    log = param.log if search.log is None else bool(search.log)
    if low < param.low or high > param.high:
        raise UsageError(
            f"search range {low:g}:{high:g} for {name} is outside its valid range: "
            f"expected {param.describe_valid()}"
        )
    if low >= high:
        raise UsageError(f"search range {low:g}:{high:g} for {name}: low must be below high")
    if log and low <= 0:
        raise UsageError(
            f"search range {low:g}:{high:g} for {name} cannot be on a log scale: "
            f"it must be above 0 (give :linear or a positive low)"
        )
    step = search.step
    if step is not None:
        if step <= 0 or not math.isfinite(step):
            raise UsageError(f"invalid step {step:g} for {name}: expected a positive number")
        if log:
            raise UsageError(
                f"search for {name} cannot have both a log scale and a step; "
                f"use :linear with the step, or drop the step"
            )
    if isinstance(param, Int):
        for value in (low, high, step):
            if value is not None and not float(value).is_integer():
                raise UsageError(f"search range for {name} must use whole numbers, got {value:g}")
        low, high = int(low), int(high)
        step = int(step) if step is not None else None
    return SearchParam(name, low=low, high=high, log=log, step=step)


def distribution(search: SearchParam, param: Param):
    """The Optuna distribution for a search already completed by ``check_search``."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if search.choices is not None:
        return CategoricalDistribution(search.choices)
    if isinstance(param, Int):
        return IntDistribution(
            int(search.low), int(search.high), log=bool(search.log), step=int(search.step or 1)
        )
    if isinstance(param, Float):
        return FloatDistribution(
            float(search.low), float(search.high), log=bool(search.log), step=search.step
        )
    raise AssertionError(f"no distribution for {param!r}")


def grid_values(search: SearchParam, param: Param) -> list[Any]:
    """Every value the grid sampler visits, or a ``UsageError`` for a continuous range."""
    if search.choices is not None:
        return list(search.choices)
    if isinstance(param, Int):
        step = int(search.step or 1)
        count = (int(search.high) - int(search.low)) // step + 1
        if count > GRID_LIMIT:
            raise UsageError(f"grid over {search.name} has {count} values; give a larger step")
        return list(range(int(search.low), int(search.high) + 1, step))
    if search.step is None:
        raise UsageError(
            f"the grid sampler cannot search the continuous range of {search.name}: "
            f"give it a step ({search.name}={_fmt(search.low)}:{_fmt(search.high)}:step=S) "
            f"or a list of choices"
        )
    count = int(math.floor((search.high - search.low) / search.step + 1e-9)) + 1
    if count > GRID_LIMIT:
        raise UsageError(f"grid over {search.name} has {count} values; give a larger step")
    return [round(search.low + i * search.step, 12) for i in range(count)]
