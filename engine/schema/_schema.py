"""A plugin's full set of hyperparameters, and resolving user input against it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from engine.errors import UsageError
from engine.schema._params import Param


class Schema:
    """An ordered, name-unique collection of ``Param`` declarations."""

    def __init__(self, *params: Param) -> None:
        self._params: dict[str, Param] = {}
        for param in params:
            if param.name in self._params:
                raise ValueError(f"hyperparameter {param.name!r} is declared twice")
            self._params[param.name] = param

    # -- collection protocol ----------------------------------------------------------------
    def __iter__(self) -> Iterator[Param]:
        return iter(self._params.values())

    def __len__(self) -> int:
        return len(self._params)

    def __contains__(self, name: object) -> bool:
        return name in self._params

    def __getitem__(self, name: str) -> Param:
        try:
            return self._params[name]
        except KeyError:
            raise UsageError(self._unknown_message(name)) from None

    def names(self) -> list[str]:
        return list(self._params)

    def merged(self, other: Schema, defaults: Mapping[str, Any] | None = None) -> Schema:
        """This schema followed by ``other``; ``defaults`` replaces defaults of either."""
        params = [*self, *other]
        overrides = dict(defaults or {})
        merged = []
        for param in params:
            if param.name in overrides:
                param = _with_default(param, overrides.pop(param.name))
            merged.append(param)
        if overrides:
            raise ValueError(f"defaults given for undeclared hyperparameters: {sorted(overrides)}")
        return Schema(*merged)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self}

    # -- user input -------------------------------------------------------------------------
    def parse_assignments(self, assignments: Iterable[str]) -> dict[str, Any]:
        """Parse ``key=value`` strings (the CLI's ``--set``) into validated values."""
        values: dict[str, Any] = {}
        for item in assignments:
            key, sep, text = item.partition("=")
            key = key.strip()
            if not sep or not key:
                raise UsageError(f"invalid assignment {item!r}: expected key=value, e.g. lr=3e-3")
            values[key] = self[key].parse(text)
        return values

    def resolve(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults updated by ``overrides``, every value validated; unknown names rejected."""
        resolved = self.defaults()
        for name, value in (overrides or {}).items():
            resolved[name] = self[name].validate(value)
        return resolved

    def _unknown_message(self, name: str) -> str:
        close = difflib.get_close_matches(name, self.names(), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return f"unknown hyperparameter {name!r}{hint}; valid: {', '.join(self.names())}"

    def to_dicts(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self]


def _with_default(param: Param, default: Any) -> Param:
    import dataclasses

    return dataclasses.replace(param, default=param.validate(default))
