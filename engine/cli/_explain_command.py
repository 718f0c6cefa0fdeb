"""``netyard explain RUN (--input FILE | --test N) --method M --out FILE.npz``: which parts of
each input a trained run's predictions rest on.

The npz holds ``inputs``, ``attributions`` (the shape of ``inputs``), ``predictions`` and,
for test samples, ``labels`` (``engine.explain.Explanation``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.cli._options import add_workspace_options, positive_int
from engine.cli._status import clear, say
from engine.errors import UsageError

METHOD_HELP = (
    "saliency, integrated_gradients (default), occlusion or gradcam (convolutional networks); "
    "a token model takes integrated_gradients"
)


def add_command(commands: argparse._SubParsersAction) -> None:
    from engine.explain import METHODS

    explain = commands.add_parser(
        "explain", help="which parts of its inputs a trained model's predictions rest on"
    )
    explain.add_argument("run", metavar="RUN", help="a run id, or models:/NAME/VERSION")
    source = explain.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", metavar="FILE", help="inputs as 'netyard predict' reads them")
    source.add_argument("--test", type=positive_int, metavar="N",
                        help="the first N samples of the run's own test part")  # fmt: skip
    explain.add_argument("--method", choices=METHODS, default="integrated_gradients",
                         help=METHOD_HELP)  # fmt: skip
    explain.add_argument("--out", required=True, metavar="FILE.npz", help="the arrays to write")
    add_workspace_options(explain)
    explain.set_defaults(handler=explain_command)


def explain_command(args: argparse.Namespace) -> int:
    from engine.models import check_destination

    out = check_destination(args.out)
    if out.suffix.lower() != ".npz":
        raise UsageError(f"--out {args.out!r}: give a file ending in .npz")
    if args.input is not None and not Path(args.input).expanduser().exists():
        raise UsageError(f"input {args.input!r} does not exist")
    from engine.explain import check_method, explain, first_test_samples
    from engine.models import load_run_model, read_inputs
    from engine.tracking import open_client
    from engine.workspace import Workspace

    say(f"Reading run {args.run} from the tracking store")
    workspace = Workspace.resolve(args.workspace)
    client = open_client(args.tracking_uri or workspace.tracking_uri)
    say(f"Loading the model of run {args.run}")
    trained, run = load_run_model(client, args.run)
    check_method(trained, args.method)  # before reading a dataset
    labels = None
    if args.input is not None:
        inputs, _names = read_inputs(trained, args.input)
    else:
        say(f"Reading the first {args.test} test sample(s)")
        inputs, labels = first_test_samples(trained, workspace.datasets_dir, args.test)
    say(f"Explaining {len(inputs)} prediction(s) by {args.method}")
    explanation = explain(trained, inputs, args.method, labels)
    explanation.save(out)
    clear()
    print(
        f"{len(inputs)} explanation(s) by {args.method} of run {run.info.run_id} "
        f"({trained.plugin.id}) written to {out}: inputs, attributions, predictions"
        + (", labels" if labels is not None else ""),
        file=sys.stderr,
    )
    return 0
