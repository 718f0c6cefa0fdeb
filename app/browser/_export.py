"""The Runs browser's "Export runs" menu: the selected runs as a CSV table of their params
and metrics, or as a self-contained HTML report (curves, params diff, notes, images), with
or without each run's predictions explained on its first test samples."""

from __future__ import annotations

from app._report_actions import ReportMenu, ReportSource


class RunsExport(ReportMenu):
    """The Runs browser's "Export runs" menu, acting on the selected runs."""

    def __init__(self, browser) -> None:
        def say(line: str) -> None:  # the status line is made after the top bar
            browser.status.setText(line)

        super().__init__(
            browser, "Export runs", "Selected runs", self._selected, say, explanations=True
        )
        self.browser = browser
        self.button.setObjectName("exportRunsButton")
        self.button.setToolTip("The selected runs' params and metrics as a CSV table, or a "
                               "report with their curves, params, notes and images in one "
                               "HTML file")  # fmt: skip
        browser.table.selectionModel().selectionChanged.connect(self.update_actions)
        self.update_actions()

    def _selected(self) -> ReportSource | None:
        rows = self.browser.selected_rows()
        if not rows or not self.browser.tracking_uri:
            return None
        title = f"Run {rows[0].name}" if len(rows) == 1 else f"{len(rows)} runs"
        stem = rows[0].name if len(rows) == 1 else f"{len(rows)}-runs"
        datasets = self.browser.datasets_dir
        return ReportSource(self.browser.tracking_uri, title, stem,
                            tuple(row.run_id for row in rows),
                            datasets_dir=str(datasets) if datasets else None)  # fmt: skip
