"""``netyard predict``, ``netyard register`` and ``netyard export``: using a trained run.

RUN is a run id or ``models:/NAME/VERSION`` (``models:/NAME/latest``), looked up in the
workspace's MLflow store or ``--tracking-uri``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from engine.cli._options import add_workspace_options
from engine.cli._status import clear, say
from engine.errors import UsageError

RUN_HELP = "a run id, or models:/NAME/VERSION from the model registry"
OUTPUT_FORMATS = (".csv", ".json")


def add_commands(commands: argparse._SubParsersAction) -> None:
    from engine.models import FORMATS

    predict = commands.add_parser("predict", help="run a trained model on your data")
    predict.add_argument("run", metavar="RUN", help=RUN_HELP)
    predict.add_argument(
        "--input", metavar="FILE", help="what to predict on, as the model's data kind reads it "
        "(images or a folder of them, a CSV of inputs or of a series, a text of prompts)",
    )  # fmt: skip
    predict.add_argument("--count", type=int, help="samples to draw from a generator (the GAN)")
    predict.add_argument("--seed", type=int, default=0, help="seed of --count and --generate")
    predict.add_argument(
        "--generate",
        type=int,
        metavar="N",
        help="the character model: N characters after each prompt",
    )
    predict.add_argument("--out", metavar="FILE", help="write .csv or .json (default: CSV out)")
    add_workspace_options(predict)
    predict.set_defaults(handler=predict_command)

    register = commands.add_parser("register", help="add a run's model to the model registry")
    register.add_argument("run", metavar="RUN", help="a run id")
    register.add_argument("--name", required=True, help="registered model name (new or existing)")
    add_workspace_options(register)
    register.set_defaults(handler=register_command)

    export = commands.add_parser("export", help="export a run's model, checked after writing")
    export.add_argument("run", metavar="RUN", help=RUN_HELP)
    export.add_argument("--format", required=True, choices=FORMATS, help="file format")
    export.add_argument("--out", required=True, metavar="PATH", help="the file to write")
    add_workspace_options(export)
    export.set_defaults(handler=export_command)


def _client(args: argparse.Namespace):
    from engine.tracking import open_client
    from engine.workspace import Workspace

    workspace = Workspace.resolve(args.workspace)
    return open_client(args.tracking_uri or workspace.tracking_uri), workspace


def predict_command(args: argparse.Namespace) -> int:
    from engine.models import check_input_kind, load_run_model, read_inputs

    out = _output_path(args.out) if args.out else None
    if args.input is not None and not Path(args.input).expanduser().exists():
        raise UsageError(f"input {args.input!r} does not exist")  # said before MLflow loads
    started = time.monotonic()
    say(f"Reading run {args.run} from the tracking store")
    client, _workspace = _client(args)
    say(f"Loading the model of run {args.run}")
    # An input of the wrong kind is refused from the run's config, before the model loads.
    trained, run = load_run_model(
        client,
        args.run,
        before_loading=lambda config: check_input_kind(config, args.input, args.count),
    )
    inputs, names = read_inputs(trained, args.input, args.count, args.seed)
    loaded = time.monotonic()
    say(f"Predicting {len(names)} input(s)")
    columns = trained.predict(inputs)
    if args.generate is not None:
        columns.update(trained.continuations(inputs, args.generate, args.seed))
    import pandas as pd  # here: said nothing for a second before the first status line

    table = pd.DataFrame({"input": names, **columns})
    done = time.monotonic()
    clear()
    if out is None:
        table.to_csv(sys.stdout, index=False)
    else:
        _write_table(table, out)
    print(
        f"{len(table)} prediction(s) from run {run.info.run_id} ({trained.plugin.id}) in "
        f"{done - loaded:.2f} s (loading {loaded - started:.2f} s)"
        + (f"; written to {out}" if out else ""),
        file=sys.stderr,
    )
    return 0


def _output_path(text: str) -> Path:
    from engine.models import check_destination

    path = check_destination(text)
    if path.suffix.lower() not in OUTPUT_FORMATS:
        raise UsageError(f"--out {text!r}: give a file ending in {' or '.join(OUTPUT_FORMATS)}")
    return path


def _write_table(table, path: Path) -> None:
    """CSV or JSON (a list of rows), rendered in memory and written whole or not at all (a
    full disk: one ``NoSpaceLeft``, no file left)."""
    from engine.atomic_files import write_atomically

    if path.suffix.lower() == ".json":
        text = table.to_json(orient="records", indent=1)
    else:
        text = table.to_csv(index=False)
    write_atomically(path, text)


def register_command(args: argparse.Namespace) -> int:
    from engine.models import register_model

    say(f"Reading run {args.run} from the tracking store")
    client, workspace = _client(args)
    say(f"Registering the model of run {args.run} as {args.name}")
    version = register_model(client, args.run, args.name, workspace.datasets_dir)
    clear()
    print(
        f"Registered {version.name} version {version.version} from run {version.run_id}\n"
        f"  load it with mlflow.pyfunc.load_model('models:/{version.name}/{version.version}')"
    )
    return 0


def export_command(args: argparse.Namespace) -> int:
    from engine.models import ExportMismatch, export_run

    say(f"Reading run {args.run} from the tracking store")
    client, workspace = _client(args)
    try:
        exported, run = export_run(
            client, args.run, args.format, args.out, workspace.datasets_dir, say=say
        )
    except ExportMismatch as error:
        clear()
        print(f"netyard: export failed: {error}", file=sys.stderr)
        return 1
    clear()
    print(
        f"Exported run {run.info.run_id} as {exported.format} to {exported.path}\n"
        f"  {exported.how}; checked on the input example: max abs diff "
        f"{exported.max_abs_diff:.3g} (tolerance 1e-4)"
    )
    return 0
