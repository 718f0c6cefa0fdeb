"""One call for the CLI and the app: a report of given runs or of a sweep, in either format."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.errors import UsageError
from engine.reports._csv import runs_table_csv
from engine.reports._explanations import DEFAULT_SAMPLES, check_explain_options, explain_runs
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
    explain: str | None = None,
    explain_samples: int = DEFAULT_SAMPLES,
    datasets_dir: Path | None = None,
) -> WrittenReport:
    """Write the report of ``run_ids`` or of sweep ``sweep``'s trials to ``out``; the HTML
    report explains each run's predictions on its first ``explain_samples`` test samples by
    method ``explain`` when given (the test parts are read from ``datasets_dir``).

    The format is ``fmt`` or the one ``out``'s suffix names. Every check (destination, format,
    runs, sweep) comes before anything is written: a ``UsageError`` leaves no file behind.
    """
    path, chosen = report_destination(out, fmt)
    if bool(run_ids) == bool(sweep):
        raise UsageError("give run ids or a sweep's name (--sweep NAME), one of the two")
    if explain is not None:
        check_explain_options(explain, explain_samples)
        if chosen == "csv":
            raise UsageError("explanations go in the HTML report only: give a .html file, "
                             "or leave out --explain")  # fmt: skip
        if datasets_dir is None:
            raise AssertionError("explanations need the workspace's datasets folder")
    if sweep:
        run_ids = sweep_run_ids(client, sweep)
        title = title or f"Sweep {sweep}"
    if chosen == "csv":
        runs_table_csv(client, run_ids, path)
    else:
        explanations = None
        if explain is not None:
            explanations = explain_runs(client, run_ids, explain, explain_samples, datasets_dir)
        html_report(client, run_ids, path, title, explanations)
    return WrittenReport(path, chosen, len(dict.fromkeys(run_ids)))
