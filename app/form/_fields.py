"""One input widget per hyperparameter kind, generated from the schema's ``Param``.

Every field shows its help and valid range as a tooltip, and reports either a valid value or
the ``UsageError`` text of the schema itself, so the form's messages are the CLI's messages.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QSlider,
    QSpinBox,
    QWidget,
)

from engine.errors import UsageError
from engine.schema import Param

INT32_MAX = 2**31 - 1
SLIDER_TICKS = 1000


class ParamField(QWidget):
    """Base: ``value()`` returns the valid value or raises ``UsageError``."""

    changed = Signal()

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.param = param
        self.setObjectName(f"field_{param.name}")
        self.setToolTip(f"{param.help}\nValid: {param.describe_valid()}")
        self.layout_ = QHBoxLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def text(self) -> str:
        """The value as the CLI's ``--set`` would spell it."""
        value = self.value()
        return str(value).lower() if isinstance(value, bool) else str(value)


class IntField(ParamField):
    """A spin box bounded by the declared range; log-scale ints step adaptively."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.spin = QSpinBox()
        self.spin.setRange(int(max(param.low, -INT32_MAX)), int(min(param.high, INT32_MAX)))
        if param.log:
            self.spin.setStepType(QSpinBox.StepType.AdaptiveDecimalStepType)
        self.spin.setKeyboardTracking(True)
        self.spin.setToolTip(self.toolTip())
        self.spin.valueChanged.connect(self.changed)
        self.spin.lineEdit().textEdited.connect(self.changed)
        self.layout_.addWidget(self.spin)
        self.set_value(param.default)

    def value(self) -> int:
        if not self.spin.hasAcceptableInput():
            return self.param.parse(self.spin.text())
        return self.param.validate(self.spin.value())

    def set_value(self, value: Any) -> None:
        self.spin.setValue(int(self.param.validate(value)))


class FloatField(ParamField):
    """A text input (scientific notation welcome); a log-scale slider beside it when declared."""

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(param.describe_valid())
        self.edit.setToolTip(self.toolTip())
        self.edit.textChanged.connect(self._text_changed)
        self.layout_.addWidget(self.edit, 1)
        self.slider: QSlider | None = None
        if param.log:
            self.slider = QSlider(Qt.Orientation.Horizontal)
            self.slider.setObjectName(f"slider_{param.name}")
            self.slider.setRange(0, SLIDER_TICKS)
            self.slider.setToolTip(f"{param.name} on a log scale")
            self.slider.valueChanged.connect(self._slider_moved)
            self.layout_.addWidget(self.slider, 1)
        self._syncing = False
        self.set_value(param.default)

    def value(self) -> float:
        return self.param.parse(self.edit.text())

    def set_value(self, value: Any) -> None:
        self.edit.setText(f"{float(self.param.validate(value)):g}")

    def _text_changed(self) -> None:
        if self.slider is not None and not self._syncing:
            try:
                value = self.value()
            except UsageError:
                pass
            else:
                low, high = math.log10(self.param.low), math.log10(self.param.high)
                position = (math.log10(value) - low) / (high - low) if high > low else 0
                self._syncing = True
                self.slider.setValue(round(position * SLIDER_TICKS))
                self._syncing = False
        self.changed.emit()

    def _slider_moved(self, position: int) -> None:
        if self._syncing:
            return
        low, high = math.log10(self.param.low), math.log10(self.param.high)
        value = 10 ** (low + (high - low) * position / SLIDER_TICKS)
        value = min(max(float(f"{value:.3g}"), self.param.low), self.param.high)
        self._syncing = True
        self.edit.setText(f"{value:g}")
        self._syncing = False


class ChoiceField(ParamField):
    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.combo = QComboBox()
        self.combo.setToolTip(self.toolTip())
        for choice in param.choices:
            self.combo.addItem(str(choice), choice)
        self.combo.currentIndexChanged.connect(self.changed)
        self.layout_.addWidget(self.combo)
        self.set_value(param.default)

    def value(self) -> Any:
        return self.param.validate(self.combo.currentData())

    def set_value(self, value: Any) -> None:
        self.combo.setCurrentIndex(self.param.choices.index(self.param.validate(value)))


class BoolField(ParamField):
    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(param, parent)
        self.check = QCheckBox()
        self.check.setToolTip(self.toolTip())
        self.check.toggled.connect(self.changed)
        self.layout_.addWidget(self.check)
        self.layout_.addStretch(1)
        self.set_value(param.default)

    def value(self) -> bool:
        return self.check.isChecked()

    def set_value(self, value: Any) -> None:
        self.check.setChecked(bool(self.param.validate(value)))


_FIELDS = {"int": IntField, "float": FloatField, "categorical": ChoiceField, "bool": BoolField}


def make_field(param: Param, parent: QWidget | None = None) -> ParamField:
    return _FIELDS[param.kind](param, parent)
