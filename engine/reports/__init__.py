"""Reports of runs: a CSV table of their params and metrics, and a self-contained HTML report
(curves, params diff, notes, final metrics, the runs' images) for the CLI and the app.

- ``runs_table_csv(client, run_ids, path)`` and ``html_report(client, run_ids, path, title)``
  write one format; ``write_report(client, out, run_ids=..., sweep=...)`` picks it from the
  file's suffix and resolves a sweep's trials (``sweep_run_ids``). Files are written under a
  temporary name and renamed when complete; bad input raises ``UsageError`` before writing.
"""

from engine.reports._csv import runs_table_csv
from engine.reports._files import FORMATS, SUFFIXES, report_destination
from engine.reports._html import html_report
from engine.reports._runs import load_runs, sweep_run_ids
from engine.reports._write import WrittenReport, write_report

__all__ = [
    "FORMATS",
    "SUFFIXES",
    "WrittenReport",
    "html_report",
    "load_runs",
    "report_destination",
    "runs_table_csv",
    "sweep_run_ids",
    "write_report",
]
