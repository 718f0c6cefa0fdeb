"""One call for the CLI and the app: a report of given runs or of a sweep, in either format."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.errors import UsageError
from engine.reports._csv import runs_table_csv
from engine.reports._files import report_destination
from engine.reports._html import html_report
from engine.reports._runs import sweep_run_ids


@dataclass(frozen=True)
class WrittenReport:
    path: Path
    format: str
    runs: int

    def describe(self) -> str:
        what = "HTML report" if self.format == "html" else "CSV table"
        size = self.path.stat().st_size
        return f"Wrote {what} of {self.runs} run{'s' * (self.runs != 1)} to {self.path} " + (
            f"({size / 1024:.0f} kB)" if size >= 1024 else f"({size} bytes)"
        )


def write_report(
    client,
    out: str | os.PathLike[str],
    run_ids: Sequence[str] = (),
    sweep: str | None = None,
    title: str | None = None,
    fmt: str | None = None,
) -> WrittenReport:
    """Write the report of ``run_ids`` or of sweep ``sweep``'s trials to ``out``.

    The format is ``fmt`` or the one ``out``'s suffix names. Every check (destination, format,
    runs, sweep) comes before anything is written: a ``UsageError`` leaves no file behind.
    """
    path, chosen = report_destination(out, fmt)
    if bool(run_ids) == bool(sweep):
        raise UsageError("give run ids or a sweep's name (--sweep NAME), one of the two")
    if sweep:
        run_ids = sweep_run_ids(client, sweep)
        title = title or f"Sweep {sweep}"
    if chosen == "csv":
        runs_table_csv(client, run_ids, path)
    else:
        html_report(client, run_ids, path, title)
    return WrittenReport(path, chosen, len(dict.fromkeys(run_ids)))
