"""``netyard runs``: the runs of the workspace's store in a table (or JSON), newest first,
filtered in MLflow's search syntax, as ``mlflow.search_runs`` and the MLflow UI's search box
take it (``metrics.val_accuracy > 0.9 and params.lr = '0.001'``).

Each row shows the run's key metrics: the metric it was judged by (its ``monitor`` param, as
``val_accuracy``) and the test metric of the same name, then any metric the filter or the
order names. Reading the store needs MLflow only: no torch, no plugin is loaded.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import os
import re
import sys
from datetime import datetime

from engine.cli._options import add_workspace_options, positive_int
from engine.errors import UsageError

DEFAULT_MAX = 50
MLFLOW_MAX_RESULTS = 50_000  # the most runs one MLflow search returns
DEFAULT_ORDER = "attributes.start_time DESC"
FILTER_EXAMPLE = "metrics.val_accuracy > 0.9 and params.lr = '0.001'"
ORDER_EXAMPLE = "metrics.val_accuracy DESC"
# A run without a monitor param (a sweep's parent run): its first few val_/test_ metrics.
FALLBACK_METRICS = 4
# metrics.NAME, metrics.`NAME` or metrics."NAME" in a filter or an order-by clause.
_NAMED_METRIC = re.compile(r"""metrics?\.(?:`([^`]+)`|"([^"]+)"|([\w./-]+))""")


def add_command(commands: argparse._SubParsersAction) -> None:
    runs = commands.add_parser(
        "runs", help="list runs: id, name, experiment, status, start, key metrics"
    )
    runs.add_argument(
        "--filter", metavar="QUERY",
        help=f"MLflow's search syntax, e.g. \"{FILTER_EXAMPLE}\" or \"attributes.status = "
        "'FAILED'\" or \"tags.`netyard.plugin` = 'cnn'\"",
    )  # fmt: skip
    runs.add_argument(
        "--experiment", action="append", default=[], metavar="NAME",
        help="only this experiment's runs (repeatable; default: every experiment)",
    )  # fmt: skip
    runs.add_argument(
        "--max", type=positive_int, default=DEFAULT_MAX, metavar="N",
        help=f"at most N runs (default {DEFAULT_MAX})",
    )  # fmt: skip
    runs.add_argument(
        "--order-by", action="append", default=[], metavar="CLAUSE",
        help=f"e.g. \"{ORDER_EXAMPLE}\" (repeatable; default: newest first)",
    )  # fmt: skip
    runs.add_argument("--json", action="store_true", help="one JSON list of runs, every field")
    add_workspace_options(runs)
    runs.set_defaults(handler=runs_command)


def runs_command(args: argparse.Namespace) -> int:
    from engine.workspace import STORE_FILE, Workspace

    if args.max >= MLFLOW_MAX_RESULTS:
        raise UsageError(f"invalid --max {args.max}: at most {MLFLOW_MAX_RESULTS - 1} runs")
    workspace = Workspace.resolve(args.workspace)
    if not args.tracking_uri and not (workspace.root / STORE_FILE).exists():
        records, more = [], False  # a workspace that never tracked a run: no store made here
    else:
        records, more = _search(args, args.tracking_uri or workspace.tracking_uri, workspace)
    named = _named_metrics(args.filter or "", *args.order_by)
    if args.json:
        text = json.dumps([_as_json(record, named) for record in records], indent=1)
    elif records:
        text = _table(records, named)
    else:
        text = "No runs" + (" match the filter" if args.filter or args.experiment else "") + "."
    code = _print(text)
    if more:
        print(f"(the first {args.max} shown: --max N for more)", file=sys.stderr)
    return code


def _print(text: str) -> int:
    """``text`` on stdout; a reader that stops early (``| head``) is no error of ours."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # Python's own recipe: stdout to /dev/null, so the flush at exit raises nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _search(args: argparse.Namespace, uri: str, workspace) -> tuple[list, bool]:
    """The runs asked for, as ``RunRecord``s, and whether the store holds more of them."""
    from mlflow.exceptions import MlflowException

    from engine.cli._commands import _reconcile_workspace_runs
    from engine.tracking import RunRecord, open_client

    if not args.tracking_uri:
        _reconcile_workspace_runs(workspace)  # a run whose process died is not RUNNING
    client = open_client(uri)
    experiments = _experiments(client, args.experiment)
    if not experiments:
        return [], False
    order = args.order_by or [DEFAULT_ORDER]
    ids = list(experiments)
    try:
        # One more than asked: whether there are more is known without a second query.
        found = client.search_runs(ids, args.filter or "", max_results=args.max + 1, order_by=order)
    except MlflowException as error:
        if error.error_code != "INVALID_PARAMETER_VALUE":
            raise
        raise _search_error(client, ids, args.filter, order, error) from None
    shown = found[: args.max]
    records = [RunRecord.from_mlflow(run, experiments[run.info.experiment_id]) for run in shown]
    return records, len(found) > args.max


def _experiments(client, names: list[str]) -> dict[str, str]:
    """Experiment names by id: those named (each must exist), or every active one."""
    every = {e.experiment_id: e.name for e in client.search_experiments()}
    if not names:
        return every
    known = set(every.values())
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            choices = ", ".join(sorted(known)) or "none"
            raise UsageError(f"unknown experiment {name!r}{hint}; this store has: {choices}")
    return {id_: name for id_, name in every.items() if name in names}


def _search_error(client, ids: list[str], query: str | None, order: list[str], error):
    """The ``UsageError`` for a search MLflow refused: the filter's fault, or the order's
    (MLflow's message does not say which: the filter alone is tried again)."""
    from mlflow.exceptions import MlflowException

    reason = str(error.message).strip().splitlines()[0].rstrip(".")
    reason = reason[:1].lower() + reason[1:]
    if query:
        try:
            client.search_runs(ids, query, max_results=1)
        except MlflowException:
            return UsageError(
                f"invalid --filter {query!r}: {reason}; MLflow's search syntax, e.g. "
                f'--filter "{FILTER_EXAMPLE}"'
            )
    clauses = ", ".join(repr(clause) for clause in order)
    return UsageError(f'invalid --order-by {clauses}: {reason}; e.g. --order-by "{ORDER_EXAMPLE}"')


def _named_metrics(*texts: str) -> list[str]:
    """The metrics a filter or order-by clause names, in order, each once."""
    names = [next(filter(None, m.groups())) for text in texts for m in _NAMED_METRIC.finditer(text)]
    return list(dict.fromkeys(names))


def key_metrics(record, also: list[str] = ()) -> dict[str, float]:
    """The run's main metrics: its ``monitor`` (the metric it was judged by) and the test
    metric of the same name, else its first val_/test_ metrics; then those in ``also``."""
    monitor = record.params.get("monitor", "")
    names = [monitor, "test_" + monitor.removeprefix("val_")] if monitor else []
    if not any(name in record.metrics for name in names):
        names = sorted(n for n in record.metrics if n.startswith(("val_", "test_")))
        names = names[:FALLBACK_METRICS]
    names = dict.fromkeys([*names, *also])
    return {name: record.metrics[name] for name in names if name in record.metrics}


def _number(value: float) -> str:
    return f"{value:.4f}" if 1e-3 <= abs(value) < 1e4 or value == 0 else f"{value:.4g}"


def _local_time(record) -> str:
    if record.start_ms is None:
        return ""
    return datetime.fromtimestamp(record.start_ms / 1000).strftime("%Y-%m-%d %H:%M")


def _table(records: list, named: list[str]) -> str:
    from engine.cli._commands import _table as table

    rows = [
        [
            record.run_id, record.name, record.experiment, record.state.label,
            _local_time(record),
            "  ".join(f"{k} {_number(v)}" for k, v in key_metrics(record, named).items()),
        ]
        for record in records
    ]  # fmt: skip
    return table(rows, ["ID", "NAME", "EXPERIMENT", "STATUS", "STARTED", "KEY METRICS"])


def _as_json(record, named: list[str]) -> dict:
    return {
        "run_id": record.run_id,
        "name": record.name,
        "experiment": record.experiment,
        "experiment_id": record.experiment_id,
        "status": record.state.value,
        "mlflow_status": record.status,
        "start_time": record.started or None,
        "duration_s": record.duration_s,
        "key_metrics": _finite(key_metrics(record, named)),
        "metrics": _finite(record.metrics),
        "params": record.params,
        "tags": record.tags,
        "note": record.note,
    }


def _finite(metrics: dict[str, float]) -> dict[str, float | None]:
    """NaN and infinities as null: JSON has no such numbers (a diverged run logs NaN)."""
    return {name: value if math.isfinite(value) else None for name, value in metrics.items()}
