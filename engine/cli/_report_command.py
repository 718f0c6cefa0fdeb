"""``netyard report``: runs (or a sweep's trials) as a CSV table or a self-contained HTML
report, the format named by the output file's suffix or ``--format``."""

from __future__ import annotations

import argparse

from engine.cli._options import add_workspace_options


def add_command(commands: argparse._SubParsersAction) -> None:
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
    add_workspace_options(report)
    report.set_defaults(handler=report_command)


def report_command(args: argparse.Namespace) -> int:
    from engine.reports import report_destination, write_report
    from engine.tracking import open_client
    from engine.workspace import Workspace

    report_destination(args.out, args.format)  # a bad file name is said before MLflow loads
    uri = args.tracking_uri or Workspace.resolve(args.workspace).tracking_uri
    written = write_report(
        open_client(uri), args.out, args.runs, args.sweep, args.title, args.format
    )
    print(written.describe())
    return 0
