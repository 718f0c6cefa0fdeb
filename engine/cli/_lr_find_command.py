"""``netyard lr-find PLUGIN --dataset D``: the learning-rate range test, its suggestion
printed (``--json``: the whole finding), its curve drawn with ``--plot FILE``."""

from __future__ import annotations

import argparse
import json

from engine.cli._options import add_set_option, add_workspace_option, positive_int, seed
from engine.errors import UsageError


def add_command(commands: argparse._SubParsersAction) -> None:
    finder = commands.add_parser(
        "lr-find", help="find a learning rate: ramp it up, watch the loss, suggest one"
    )
    finder.add_argument("plugin", help="plugin id (see 'netyard plugins')")
    finder.add_argument("--dataset", required=True, help="dataset id (see 'netyard datasets')")
    add_set_option(finder, "set a hyperparameter as for 'netyard run' (repeatable)")
    finder.add_argument(
        "--steps", type=positive_int, default=100, help="training steps per ramp (default 100)"
    )
    finder.add_argument(
        "--ramps", type=positive_int, default=3,
        help="ramps from different seeds; the suggestion is their median (default 3)",
    )  # fmt: skip
    finder.add_argument("--start-lr", type=float, default=1e-7, help="first rate (1e-7)")
    finder.add_argument("--end-lr", type=float, default=1.0, help="last rate (1)")
    finder.add_argument("--seed", type=seed, default=0, help="seed of the first ramp (0)")
    finder.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")
    add_workspace_option(finder)
    finder.add_argument("--plot", metavar="FILE", help="draw the loss against the rate (PNG)")
    finder.add_argument("--json", action="store_true", help="print the finding as JSON")
    finder.set_defaults(handler=lr_find)


def lr_find(args: argparse.Namespace) -> int:
    from engine.cli._status import clear, say
    from engine.lr_finder import find_lr_for
    from engine.plugin import get_plugin
    from engine.runner import RunConfig

    if args.plot and not args.plot.lower().endswith(".png"):
        raise UsageError(f"--plot {args.plot!r}: the plot is a PNG file; name it FILE.png")
    say(f"Loading plugin {args.plugin} and dataset {args.dataset}")
    hparams = get_plugin(args.plugin).full_schema().parse_assignments(args.assignments)
    config = RunConfig(
        args.plugin, args.dataset, hparams, seed=args.seed, device=args.device,
        workspace=args.workspace, track=False,
    )  # fmt: skip

    def progress(ramp: int, step: int, steps: int) -> None:
        if step % 10 == 0 or step == 1:
            say(f"Ramping the learning rate: ramp {ramp + 1} of {args.ramps}, step {step}/{steps}")

    finding = find_lr_for(
        config, steps=args.steps, ramps=args.ramps, start_lr=args.start_lr,
        end_lr=args.end_lr, progress=progress,
    )  # fmt: skip
    if args.plot:
        say(f"Drawing {args.plot}")
        _plot(finding, args.plot)
    clear()
    if args.json:
        print(json.dumps(finding.to_dict()))
        return 0
    low, high = finding.search_range
    per_ramp = ", ".join(f"{ramp.suggested_lr:.2g}" for ramp in finding.ramps)
    print(f"Suggested lr: {finding.suggested_lr:.3g}")
    ramps = f"{len(finding.ramps)} ramps" if len(finding.ramps) > 1 else "1 ramp"
    print(f"  the median over {ramps} ({per_ramp}) of the rate where the smoothed loss is "
          f"lowest, divided by {finding.ramps[0].safety:g} (for its optimizer)")  # fmt: skip
    print(f"Search range for a sweep: {low:.3g} .. {high:.3g} (log)")
    if args.plot:
        print(f"Plot: {args.plot}")
    suggested = RunConfig(args.plugin, args.dataset, {**hparams, "lr": finding.suggested_lr})
    print(f"Use it: {suggested.to_command_line()}")
    return 0


def _plot(finding, path: str) -> None:
    """The loss against the rate on a log axis: each ramp's smoothed loss thin, their median
    thick, the suggestion marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    for ramp in finding.ramps:
        axes.plot(ramp.lrs, ramp.smoothed, color="0.7", linewidth=0.8)
    axes.plot(finding.curve_lr, finding.curve_loss, color="C0", linewidth=2, label="median")
    axes.axvline(finding.suggested_lr, color="C3", linestyle="--",
                 label=f"suggested {finding.suggested_lr:.2g}")  # fmt: skip
    axes.set_xscale("log")
    axes.set_xlabel("learning rate")
    axes.set_ylabel("training loss (smoothed)")
    axes.set_title(f"{finding.plugin} on {finding.dataset}: learning-rate range test")
    axes.legend()
    figure.tight_layout()
    try:
        figure.savefig(path)
    except OSError as error:
        raise UsageError(f"cannot write the plot {path!r}: {error.strerror}") from None
    finally:
        plt.close(figure)
