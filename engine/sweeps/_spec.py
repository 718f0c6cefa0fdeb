"""The sweep spec: what to search, how, for how long, stored where; plain data and YAML.

``SweepSpec`` is what a user writes (YAML file, CLI flags, the app's form). ``resolve_spec``
checks all of it against the plugin's schema before anything runs and returns a
``ResolvedSweep`` with the Optuna distributions, the objectives and the final choices of
sampler and pruner; every problem is one ``UsageError`` sentence.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.database_urls import hide_password
from engine.errors import UsageError
from engine.options import DEFAULT_DEVICE, SEED, THREADS, check_run_options
from engine.sweeps._algorithms import PRUNERS, SAMPLERS, check_algorithm, check_algorithms
from engine.sweeps._search import SearchParam, check_search, distribution, grid_values

PARAM_COUNT = "param_count"
DIRECTIONS = {"maximize": "maximize", "max": "maximize", "minimize": "minimize", "min": "minimize"}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,99}$")


@dataclass
class Objective:
    """A metric the sweep optimises: ``val_accuracy``, ``test_loss``, ``param_count``..."""

    metric: str
    direction: str | None = None  # maximize or minimize; None takes the plugin's


@dataclass
class SweepSpec:
    """Everything that defines a sweep. Field defaults are the CLI's defaults."""

    plugin: str
    dataset: str
    search: list[SearchParam] = field(default_factory=list)
    fixed: dict[str, Any] = field(default_factory=dict)
    objectives: list[Objective] = field(default_factory=list)  # empty: the plugin's monitor
    sampler: str | None = None  # None: tpe, or nsgaii for several objectives
    pruner: str | None = None  # None: median, or none for several objectives
    # How trials use checkpoints (``_algorithms.ALGORITHMS``): None samples and prunes;
    # pbt trains ``population`` members that copy one another every ``interval`` steps;
    # asha pauses trials at rungs (the first at ``interval``) and resumes the promoted ones.
    algorithm: str | None = None
    population: int = 8
    interval: int | None = None  # steps; None: pbt a fifth of the steps, asha steps / 27
    trials: int | None = 20
    timeout: float | None = None  # seconds; no new trial starts after it
    parallel: int = 1
    trials_per_gpu: int = 1
    device: str = DEFAULT_DEVICE
    threads: int | None = THREADS.default  # per trial; None splits the cores among workers
    seed: int = SEED.default
    retries: int = 0  # run a failed trial again with the same parameters up to N times
    # Resume a trial whose worker died (killed, out of memory) from its last checkpoint, in
    # the same MLflow run, up to N times; then it fails.
    trial_retries: int = 2
    # Each configuration trains with this many seeds; the sweep optimises their mean.
    seeds_per_config: int = 1
    # STUDY[:N]: the N best configurations of a past study (same storage) are tried first.
    warm_start: str | None = None
    # A trial you stop counts as one of the budget's trials (False), or another replaces it.
    replace_stopped: bool = False
    name: str | None = None  # None: PLUGIN-DATASET-TIMESTAMP; an existing name resumes
    storage: str | None = None  # None: the workspace's journal file
    workspace: str | None = None
    tracking_uri: str | None = None
    experiment: str | None = None
    log_models: bool = False  # an MLflow Model for every complete trial (always: the best)

    # -- plain data and YAML ----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"plugin": self.plugin, "dataset": self.dataset}
        data["search"] = {s.name: s.to_data() for s in self.search}
        if self.fixed:
            data["fixed"] = dict(self.fixed)
        if self.objectives:
            data["objectives"] = [
                {"metric": o.metric, **({"direction": o.direction} if o.direction else {})}
                for o in self.objectives
            ]
        for key, default in _DEFAULTS.items():  # the settings, where not the default
            value = getattr(self, key)
            if value != default:
                data[key] = value
        return data

    def to_shareable_dict(self) -> dict[str, Any]:
        """``to_dict`` as kept where others read it (the study, MLflow's ``sweep.json``): no
        password of a storage or tracking URL typed with one."""
        data = self.to_dict()
        for key in ("storage", "tracking_uri"):
            if data.get(key):
                data[key] = hide_password(data[key])
        return data

    @classmethod
    def from_dict(cls, data: Any) -> SweepSpec:
        if not isinstance(data, dict):
            raise UsageError("a sweep spec must be a mapping with at least plugin and dataset")
        data = dict(data)
        known = set(_DEFAULTS) | {"plugin", "dataset", "search", "fixed", "objectives"}
        known |= {"metric", "direction"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(
                f"unknown key(s) in the sweep spec: {', '.join(unknown)}; "
                f"valid: {', '.join(sorted(known))}"
            )
        for required in ("plugin", "dataset"):
            if not isinstance(data.get(required), str) or not data[required]:
                raise UsageError(f"the sweep spec needs {required}: (a {required} id)")
        search_data = data.pop("search", None) or {}
        if isinstance(search_data, list):  # the CLI's text form, one item each
            search = [_text(item) for item in search_data]
        elif isinstance(search_data, dict):
            search = [SearchParam.from_data(str(k), v) for k, v in search_data.items()]
        else:
            raise UsageError("search: must map hyperparameter names to ranges or choices")
        objectives = _objectives(
            data.pop("objectives", None), data.pop("metric", None), data.pop("direction", None)
        )
        fixed = data.pop("fixed", None) or {}
        if not isinstance(fixed, dict):
            raise UsageError("fixed: must map hyperparameter names to values")
        return cls(search=search, objectives=objectives, fixed=dict(fixed), **data)

    def to_yaml(self) -> str:
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_yaml())

    @classmethod
    def load(cls, path: str | Path) -> SweepSpec:
        """Read a YAML spec; a missing file or bad YAML is one ``UsageError``."""
        import yaml

        try:
            text = Path(path).read_text()
        except OSError as error:
            raise UsageError(f"cannot read sweep spec {str(path)!r}: {error.strerror}") from None
        try:
            data = yaml.load(text, Loader=_spec_loader())
        except yaml.YAMLError as error:
            where = getattr(error, "problem_mark", None)
            line = f" at line {where.line + 1}" if where else ""
            raise UsageError(f"sweep spec {str(path)!r} is not valid YAML{line}") from None
        return cls.from_dict(data)

    def study_name(self) -> str:
        if self.name:
            return self.name
        from engine.runner import experiment_name

        return f"{experiment_name(self.plugin, self.dataset)}-{time.strftime('%Y%m%d-%H%M%S')}"


_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
# YAML 1.1's int and float forms without the base-60 ones (``2:6`` would be 126), and with
# exponents that need no dot or sign (``1e-3``), as in YAML 1.2.
_INT_FORM = re.compile(
    r"""^(?:[-+]?0b[0-1_]+
    |[-+]?0[0-7_]+
    |[-+]?(?:0|[1-9][0-9_]*)
    |[-+]?0x[0-9a-fA-F_]+)$""",
    re.X,
)
_FLOAT_FORM = re.compile(
    r"""^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
    |[-+]?\.[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_LOADER: type | None = None


def _spec_loader() -> type:
    """A ``yaml.SafeLoader`` that reads ``depth: 2:6`` as the text ``"2:6"`` (a range), not 126."""
    global _LOADER
    if _LOADER is None:
        import yaml

        class SpecLoader(yaml.SafeLoader):
            pass

        SpecLoader.yaml_implicit_resolvers = {
            first: [(tag, form) for tag, form in resolvers if tag not in (_INT, _FLOAT)]
            for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
        }
        SpecLoader.add_implicit_resolver(_INT, _INT_FORM, list("-+0123456789"))
        SpecLoader.add_implicit_resolver(_FLOAT, _FLOAT_FORM, list("-+0123456789."))
        _LOADER = SpecLoader
    return _LOADER


def _text(item: Any) -> SearchParam:
    from engine.sweeps._search import parse_search

    if not isinstance(item, str):
        raise UsageError(f"invalid search item {item!r}: expected text like lr=1e-4:1e-1:log")
    return parse_search(item)


def _objectives(items: Any, metric: Any, direction: Any) -> list[Objective]:
    if items is not None and metric is not None:
        raise UsageError("give either metric/direction or objectives in a sweep spec, not both")
    if metric is not None:
        return [Objective(str(metric), str(direction) if direction else None)]
    if direction is not None:
        raise UsageError("direction: given without a metric")
    result = []
    for item in items or []:
        if isinstance(item, str):
            result.append(Objective(item))
        elif isinstance(item, dict) and isinstance(item.get("metric"), str):
            result.append(Objective(item["metric"], item.get("direction")))
        else:
            raise UsageError(f"invalid objective {item!r}: expected {{metric: NAME, direction}}")
    return result


_DEFAULTS = {
    key: value.default
    for key, value in SweepSpec.__dataclass_fields__.items()
    if key not in ("plugin", "dataset", "search", "fixed", "objectives")
}


@dataclass
class ResolvedSweep:
    """A checked spec: what the runner needs, all validated."""

    spec: SweepSpec
    name: str
    plugin_cls: type
    fixed: dict[str, Any]  # every hyperparameter not searched, validated, defaults included
    overrides: dict[str, Any]  # the fixed values the user gave, validated (sent to trials)
    search: list[SearchParam]  # defaults filled in from the schema
    distributions: dict[str, Any]
    metrics: list[str]
    directions: list[str]
    sampler: str
    pruner: str
    trials: int | None
    grid: dict[str, list[Any]] | None

    @property
    def multi_objective(self) -> bool:
        return len(self.metrics) > 1

    @property
    def steps(self) -> int:
        return int(self.fixed.get("steps", 0)) or int(self.plugin_cls.full_schema()["steps"].high)

    def eval_interval(self) -> int:
        from engine.training import EVALUATIONS_PER_RUN

        every = int(self.fixed.get("eval_every") or 0)
        return every or max(1, self.steps // EVALUATIONS_PER_RUN)


def valid_metrics(plugin_cls: type) -> list[str]:
    names = [f"{split}_{metric}" for split in ("val", "test") for metric in plugin_cls.metrics]
    return [*names, PARAM_COUNT]


def resolve_spec(spec: SweepSpec, check_data: bool = True) -> ResolvedSweep:
    """Check the whole spec; raises one ``UsageError`` naming the first problem."""
    from engine.plugin import get_plugin
    from engine.runner import dataset_for

    plugin_cls = get_plugin(spec.plugin)
    schema = plugin_cls.full_schema()
    task = dataset_for(plugin_cls, spec.dataset).task if check_data else None
    fixed, overrides, search = _resolve_hyperparameters(spec, schema)
    distributions = {s.name: distribution(s, schema[s.name]) for s in search}

    metrics, directions = _resolve_objectives(spec, plugin_cls, task)
    multi = len(metrics) > 1
    sampler = (spec.sampler or ("nsgaii" if multi else "tpe")).lower()
    pruner = (spec.pruner or ("none" if multi else "median")).lower()
    check_algorithms(sampler, pruner, multi)
    grid = None
    trials = spec.trials
    if spec.algorithm is not None:
        steps = int(fixed.get("steps", 0)) or int(schema["steps"].high)
        trials, pruner = check_algorithm(spec, steps, multi, trials), "none"
    if sampler == "grid":
        grid = {s.name: grid_values(s, schema[s.name]) for s in search}
        size = math.prod(len(values) for values in grid.values())
        trials = size if trials is None else min(trials, size)
    _check_settings(spec, trials)
    name = spec.study_name()
    if not _NAME.match(name):
        raise UsageError(
            f"invalid sweep name {name!r}: use letters, digits and - _ . : + (up to 100)"
        )
    return ResolvedSweep(spec, name, plugin_cls, fixed, overrides, search, distributions,
                         metrics, directions, sampler, pruner, trials, grid)  # fmt: skip


def _resolve_hyperparameters(
    spec: SweepSpec, schema
) -> tuple[dict[str, Any], dict[str, Any], list[SearchParam]]:
    """Every hyperparameter not searched (validated, defaults included), the fixed values the
    user gave (validated), and the searched ones with their ranges filled in."""
    if not spec.search:
        raise UsageError(
            "a sweep needs at least one searched hyperparameter, e.g. --search lr=1e-4:1e-1:log"
        )
    searched = [s.name for s in spec.search]
    twice = sorted({n for n in searched if searched.count(n) > 1})
    if twice:
        raise UsageError(f"hyperparameter {twice[0]!r} is searched twice")
    both = sorted(set(searched) & set(spec.fixed))
    if both:
        raise UsageError(f"hyperparameter {both[0]!r} is both searched and fixed; pick one")
    fixed = schema.resolve(spec.fixed)
    overrides = {name: fixed[name] for name in spec.fixed}
    for name in searched:
        fixed.pop(name, None)
    search = [check_search(s, schema) for s in spec.search]
    return fixed, overrides, search


def _check_settings(spec: SweepSpec, trials: int | None) -> None:
    """The trial budget (``trials``: a grid's size caps it), timeout, counts, the run options
    (seed, threads, device) and flags."""
    if trials is None and spec.timeout is None:
        raise UsageError("a sweep needs a trial budget (--trials N) or a --timeout, or both")
    if trials is not None and (
        isinstance(trials, bool) or not isinstance(trials, int) or trials < 1
    ):
        raise UsageError(f"invalid trial budget {spec.trials!r}: expected a whole number >= 1")
    if spec.timeout is not None and (
        isinstance(spec.timeout, bool)
        or not isinstance(spec.timeout, int | float)
        or not spec.timeout > 0
    ):
        raise UsageError(f"invalid timeout {spec.timeout!r}: expected seconds > 0")
    _check_count("parallel", spec.parallel, 1, 256)
    _check_count("trials_per_gpu", spec.trials_per_gpu, 1, 64)
    _check_count("retries", spec.retries, 0, 100)
    _check_count("trial_retries", spec.trial_retries, 0, 100)
    _check_count("seeds_per_config", spec.seeds_per_config, 1, 100)
    if spec.warm_start is not None:
        from engine.sweeps._warm_start import parse_warm_start

        parse_warm_start(spec.warm_start)
    check_run_options(spec)
    for flag in ("log_models", "replace_stopped"):
        if not isinstance(getattr(spec, flag), bool):
            raise UsageError(f"invalid {flag} {getattr(spec, flag)!r}: expected true or false")


def _check_count(what: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UsageError(f"invalid {what} {value!r}: expected a whole number from {low} to {high}")


def _resolve_objectives(
    spec: SweepSpec, plugin_cls: type, task: str | None
) -> tuple[list[str], list[str]]:
    monitor = plugin_cls.monitor_for(task) if task else plugin_cls.monitor
    objectives = spec.objectives or [Objective(f"val_{monitor}")]
    valid = valid_metrics(plugin_cls)
    metrics, directions = [], []
    for objective in objectives:
        if objective.metric not in valid:
            raise UsageError(
                f"unknown metric {objective.metric!r} for plugin {plugin_cls.id!r}; "
                f"valid: {', '.join(valid)}"
            )
        if objective.metric in metrics:
            raise UsageError(f"metric {objective.metric!r} is an objective twice")
        if objective.direction is None:
            natural = (
                "min"
                if objective.metric == PARAM_COUNT
                else plugin_cls.metric_direction(objective.metric)
            )
            direction = "maximize" if natural == "max" else "minimize"
        else:
            direction = DIRECTIONS.get(str(objective.direction).lower())
            if direction is None:
                raise UsageError(
                    f"invalid direction {objective.direction!r} for {objective.metric}: "
                    f"expected maximize or minimize"
                )
        metrics.append(objective.metric)
        directions.append(direction)
    return metrics, directions


__all__ = [
    "PRUNERS",
    "SAMPLERS",
    "Objective",
    "ResolvedSweep",
    "SweepSpec",
    "resolve_spec",
    "valid_metrics",
]
