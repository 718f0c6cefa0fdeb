"""``netyard report``: runs (or a sweep's trials) as a CSV table or a self-contained HTML
report, the format named by the output file's suffix or ``--format``."""

from __future__ import annotations

import argparse

from engine.cli._options import add_workspace_options, positive_int
from engine.cli._status import clear, say


def add_command(commands: argparse._SubParsersAction) -> None:
    from engine.explain import METHODS
    from engine.reports import FORMATS, SUFFIXES

    report = commands.add_parser(
        "report", help="runs or a sweep as a CSV table or a self-contained HTML report"
    )
    report.add_argument("runs", nargs="*", metavar="RUN_ID", help="the runs to report on")
    report.add_argument("--sweep", metavar="NAME", help="report on this sweep's trials instead")
    report.add_argument(
        "--out", required=True, metavar="FILE",
        help=f"the file to write; its suffix ({', '.join(SUFFIXES)}) names the format",
    )  # fmt: skip
    report.add_argument("--format", choices=FORMATS, help="the format, whatever the suffix")
    report.add_argument("--title", help="the HTML report's title")
    report.add_argument(
        "--explain", choices=METHODS, metavar="METHOD",
        help=f"in the HTML report, explain each run's predictions on its first test samples "
        f"by this method ({', '.join(METHODS)})",
    )  # fmt: skip
    report.add_argument(
        "--explain-samples", type=positive_int, default=8, metavar="N",
        help="how many test samples to explain per run (default 8, at most 64)",
    )  # fmt: skip
    add_workspace_options(report)
    report.set_defaults(handler=report_command)


def report_command(args: argparse.Namespace) -> int:
    from engine.reports import report_destination, write_report
    from engine.tracking import open_client
    from engine.workspace import Workspace

    report_destination(args.out, args.format)  # a bad file name is said before MLflow loads
    workspace = Workspace.resolve(args.workspace)
    uri = args.tracking_uri or workspace.tracking_uri
    if args.explain:
        say(f"Explaining each run's first {args.explain_samples} test samples by {args.explain}")
    written = write_report(
        open_client(uri), args.out, args.runs, args.sweep, args.title, args.format,
        explain=args.explain, explain_samples=args.explain_samples,
        datasets_dir=workspace.datasets_dir,
    )  # fmt: skip
    clear()
    print(written.describe())
    return 0
