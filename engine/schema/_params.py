"""The four kinds of hyperparameter and how each parses and checks a value."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from engine.errors import UsageError

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


@dataclass(frozen=True)
class Param:
    """Base of every hyperparameter declaration.

    ``low``/``high`` bound numeric values (inclusive); ``log`` says the natural search scale is
    logarithmic; ``choices`` lists the valid values of a categorical one.
    """

    name: str
    default: Any
    help: str = ""
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = field(default=())
    kind: ClassVar[str] = "param"

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"hyperparameter name {self.name!r} is not an identifier")
        # A declaration whose own default is invalid is a plugin bug, caught at import time.
        self.validate(self.default)

    # -- parsing and validation -------------------------------------------------------------
    def parse(self, text: str) -> Any:
        """Turn the text a user typed (CLI flag, form field, YAML string) into a valid value."""
        return self.validate(self._from_text(text.strip()))

    def validate(self, value: Any) -> Any:
        """Return ``value`` coerced to this parameter's type, or raise ``UsageError``."""
        raise NotImplementedError

    def _from_text(self, text: str) -> Any:
        raise NotImplementedError

    def describe_valid(self) -> str:
        """The valid values in words, for error messages and help."""
        raise NotImplementedError

    def _bad(self, value: Any, why: str = "") -> UsageError:
        reason = f" ({why})" if why else ""
        return UsageError(
            f"invalid value {value!r} for {self.name}{reason}: expected {self.describe_valid()}"
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the app and for documentation."""
        return {
            "name": self.name,
            "type": self.kind,
            "default": self.default,
            "low": self.low,
            "high": self.high,
            "log": self.log,
            "choices": list(self.choices),
            "help": self.help,
        }


@dataclass(frozen=True)
class _Numeric(Param):
    def _check_range(self, value: float) -> None:
        if self.low is not None and value < self.low:
            raise self._bad(value, "below the minimum")
        if self.high is not None and value > self.high:
            raise self._bad(value, "above the maximum")

    def __post_init__(self) -> None:
        if self.low is None or self.high is None or self.low > self.high:
            raise ValueError(f"{self.name}: numeric hyperparameters need low <= high")
        if self.log and self.low <= 0:
            raise ValueError(f"{self.name}: a log-scale range must be positive")
        super().__post_init__()

    def describe_valid(self) -> str:
        scale = ", log scale" if self.log else ""
        if self.kind == "int":
            return f"int in [{int(self.low)}, {int(self.high)}]{scale}"
        return f"{self.kind} in [{self.low:g}, {self.high:g}]{scale}"


@dataclass(frozen=True)
class Int(_Numeric):
    kind: ClassVar[str] = "int"

    def _from_text(self, text: str) -> Any:
        try:
            return int(text)
        except ValueError:
            try:  # accept "1e3" or "64.0" when they are whole numbers
                number = float(text)
            except ValueError:
                raise self._bad(text, "not a whole number") from None
            if not number.is_integer():
                raise self._bad(text, "not a whole number") from None
            return int(number)

    def validate(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            if isinstance(value, str):
                return self.parse(value)
            raise self._bad(value, "not a whole number")
        if isinstance(value, float):
            if not value.is_integer():
                raise self._bad(value, "not a whole number")
            value = int(value)
        self._check_range(value)
        return value


@dataclass(frozen=True)
class Float(_Numeric):
    kind: ClassVar[str] = "float"

    def _from_text(self, text: str) -> Any:
        try:
            return float(text)
        except ValueError:
            raise self._bad(text, "not a number") from None

    def validate(self, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            if isinstance(value, str):
                return self.parse(value)
            raise self._bad(value, "not a number")
        value = float(value)
        if not math.isfinite(value):
            raise self._bad(value, "not finite")
        self._check_range(value)
        return value


@dataclass(frozen=True)
class Choice(Param):
    kind: ClassVar[str] = "categorical"

    def __post_init__(self) -> None:
        if not self.choices:
            raise ValueError(f"{self.name}: a categorical hyperparameter needs choices")
        object.__setattr__(self, "choices", tuple(self.choices))
        super().__post_init__()

    def _from_text(self, text: str) -> Any:
        for choice in self.choices:
            if str(choice) == text:
                return choice
        raise self._bad(text)

    def validate(self, value: Any) -> Any:
        for choice in self.choices:
            if choice == value and type(choice) is type(value):
                return choice
        if isinstance(value, str | int | float):
            return self._from_text(str(value))
        raise self._bad(value)

    def describe_valid(self) -> str:
        return "one of " + ", ".join(str(c) for c in self.choices)


@dataclass(frozen=True)
class Bool(Param):
    kind: ClassVar[str] = "bool"

    def _from_text(self, text: str) -> Any:
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise self._bad(text)

    def validate(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return self._from_text(value)
        raise self._bad(value)

    def describe_valid(self) -> str:
        return "true or false"
