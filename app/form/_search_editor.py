"""Per hyperparameter: a "search" toggle, its fixed value, and a range or choices editor
prefilled from the schema (the full valid range, its log scale, every choice)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLineEdit, QWidget

from app.form._fields import ParamField, make_field
from engine.errors import UsageError
from engine.schema import Param
from engine.sweeps import SearchParam


def _number_text(value: float | None, integer: bool) -> str:
    if value is None:
        return ""
    return str(int(value)) if integer else f"{value:g}"


class RangeEditor(QWidget):
    """low / high / log / step for a number, or a box per choice for a categorical or bool."""

    changed = Signal()

    def __init__(self, param: Param, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.param = param
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.choice_boxes: list[tuple[QCheckBox, Any]] = []
        if param.kind in ("int", "float"):
            integer = param.kind == "int"
            self.low = QLineEdit(_number_text(param.low, integer))
            self.high = QLineEdit(_number_text(param.high, integer))
            self.step = QLineEdit()
            self.step.setPlaceholderText("step")
            self.log = QCheckBox("log")
            self.log.setChecked(param.log)
            self.low.setToolTip(f"lowest value searched (valid: {param.describe_valid()})")
            self.high.setToolTip(f"highest value searched (valid: {param.describe_valid()})")
            self.step.setToolTip("optional step (the grid sampler needs one for floats)")
            for widget in (self.low, self.high, self.step):
                widget.setMaximumWidth(90)
                widget.textChanged.connect(self.changed)
                layout.addWidget(widget)
            self.log.toggled.connect(self.changed)
            layout.addWidget(self.log)
        else:
            choices = param.choices if param.kind == "categorical" else (False, True)
            for choice in choices:
                box = QCheckBox(str(choice).lower() if isinstance(choice, bool) else str(choice))
                box.setChecked(True)
                box.toggled.connect(self.changed)
                layout.addWidget(box)
                self.choice_boxes.append((box, choice))
        layout.addStretch(1)

    def search_param(self) -> SearchParam:
        """The range as a ``SearchParam``; a non-number raises ``UsageError``."""
        name = self.param.name
        if self.choice_boxes:
            chosen = [choice for box, choice in self.choice_boxes if box.isChecked()]
            return SearchParam(name, choices=chosen)

        def number(edit: QLineEdit, what: str) -> float | None:
            text = edit.text().strip()
            if not text:
                return None
            try:
                return float(text)
            except ValueError:
                raise UsageError(f"invalid {what} {text!r} for the search of {name}") from None

        return SearchParam(
            name,
            low=number(self.low, "low"),
            high=number(self.high, "high"),
            log=self.log.isChecked(),
            step=number(self.step, "step"),
        )

    def set_search(self, search: SearchParam) -> None:
        if self.choice_boxes:
            chosen = search.choices
            for box, choice in self.choice_boxes:
                box.setChecked(chosen is None or choice in chosen)
            return
        integer = self.param.kind == "int"
        self.low.setText(
            _number_text(search.low if search.low is not None else self.param.low, integer)
        )
        self.high.setText(
            _number_text(search.high if search.high is not None else self.param.high, integer)
        )
        self.log.setChecked(self.param.log if search.log is None else bool(search.log))
        self.step.setText(_number_text(search.step, integer))


class SearchRow:
    """The widgets of one hyperparameter in the sweep form."""

    def __init__(self, param: Param) -> None:
        self.param = param
        self.toggle = QCheckBox(param.name)
        self.toggle.setObjectName(f"search_{param.name}")
        self.toggle.setToolTip(f"Search {param.name}: {param.help}")
        self.fixed: ParamField = make_field(param)
        self.range = RangeEditor(param)
        self.toggle.toggled.connect(self._toggled)
        self._toggled(False)

    def _toggled(self, searched: bool) -> None:
        self.fixed.setEnabled(not searched)
        self.range.setEnabled(searched)

    @property
    def searched(self) -> bool:
        return self.toggle.isChecked()
