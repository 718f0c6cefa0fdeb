"""A form generated from a plugin's schema: one row per hyperparameter, errors shown inline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from app.form._fields import ParamField, make_field
from engine.augment import PREFIX as AUGMENT_PREFIX
from engine.errors import UsageError
from engine.options import TRAINING_SCHEMA
from engine.schema import Schema

ERROR_STYLE = "color: #d03030;"


class SchemaForm(QWidget):
    """The plugin's own hyperparameters, its augmentations, then the shared training options."""

    changed = Signal()

    def __init__(self, schema: Schema, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.schema = schema
        self.fields: dict[str, ParamField] = {}
        self.error_labels: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        own = [p for p in schema if p.name not in TRAINING_SCHEMA and p.name != "monitor"]
        shared = [p for p in schema if p not in own]
        augment = [p for p in own if p.name.startswith(AUGMENT_PREFIX)]
        own = [p for p in own if p not in augment]
        boxes = (("Model", own), ("Augmentation (training batches only)", augment))
        for title, params in (*boxes, ("Training", shared)):
            if not params:
                continue
            box = QGroupBox(title)
            rows = QFormLayout(box)
            for param in params:
                field = make_field(param)
                error = QLabel()
                error.setObjectName(f"error_{param.name}")
                error.setStyleSheet(ERROR_STYLE)
                error.setWordWrap(True)
                error.hide()
                holder = QWidget()
                column = QVBoxLayout(holder)
                column.setContentsMargins(0, 0, 0, 0)
                column.setSpacing(1)
                column.addWidget(field)
                column.addWidget(error)
                label = QLabel(param.name)
                label.setToolTip(field.toolTip())
                rows.addRow(label, holder)
                field.changed.connect(self._field_changed)
                self.fields[param.name] = field
                self.error_labels[param.name] = error
            layout.addWidget(box)

    def values(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Valid values by name, and the error message of each invalid one."""
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name, field in self.fields.items():
            try:
                values[name] = field.value()
            except UsageError as error:
                errors[name] = str(error)
        return values, errors

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Fill in what is valid for this schema; anything else keeps its current value."""
        for name, value in values.items():
            field = self.fields.get(name)
            if field is None:
                continue
            try:
                field.set_value(value)
            except (UsageError, ValueError, TypeError):
                continue

    def reset(self) -> None:
        self.set_values(self.schema.defaults())

    def show_errors(self, errors: Mapping[str, str]) -> None:
        for name, label in self.error_labels.items():
            label.setText(errors.get(name, ""))
            label.setVisible(name in errors)

    def _field_changed(self) -> None:
        _values, errors = self.values()
        self.show_errors(errors)
        self.changed.emit()
