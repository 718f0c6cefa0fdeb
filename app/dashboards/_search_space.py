"""How each searched hyperparameter of a sweep is laid out on a plot axis: on a log scale when
it is searched on one (the spec's ``:log``, else the plugin schema's ``log`` flag: what Optuna's
``FloatDistribution(log=True)`` was made from), or by its choices.

Read from the sweep's spec and the plugin's schema, so a learning rate searched over
1e-4..1e-1 is drawn on a log axis whatever values the trials happened to draw.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.errors import UsageError


@dataclass(frozen=True)
class ParamScale:
    log: bool = False
    choices: tuple[Any, ...] | None = None  # a categorical parameter's, in the search's order


def search_scales(spec: Mapping[str, Any]) -> dict[str, ParamScale]:
    """Each searched hyperparameter's scale; empty when the spec or its plugin cannot be read
    (the plots then fall back on the values alone)."""
    from engine.plugin import get_plugin
    from engine.sweeps import SweepSpec

    try:
        sweep = SweepSpec.from_dict(dict(spec))
        schema = get_plugin(sweep.plugin).full_schema()
    except UsageError:
        return {}
    scales = {}
    for search in sweep.search:
        param = schema[search.name] if search.name in schema else None
        if search.choices is not None:
            scales[search.name] = ParamScale(choices=tuple(search.choices))
        elif param is not None and param.choices:
            scales[search.name] = ParamScale(choices=tuple(param.choices))
        elif param is not None and param.kind == "bool":
            scales[search.name] = ParamScale(choices=(False, True))
        else:
            log = search.log if search.log is not None else bool(param and param.log)
            scales[search.name] = ParamScale(log=log)
    return scales
