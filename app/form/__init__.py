"""Forms generated from a plugin's schema (runs, and the sweep search space)."""

from app.form._fields import ParamField, make_field
from app.form._run_form import RunForm
from app.form._schema_form import SchemaForm

__all__ = ["ParamField", "RunForm", "SchemaForm", "make_field"]
