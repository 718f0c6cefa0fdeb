"""Forms generated from a plugin's schema (runs, and the sweep search space)."""

from app.form._fields import ParamField, make_field
from app.form._run_form import RunForm
from app.form._schema_form import SchemaForm
from app.form._sweep_form import SweepForm

__all__ = ["ParamField", "RunForm", "SchemaForm", "SweepForm", "make_field"]
