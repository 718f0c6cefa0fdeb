"""The Population tab draws a population's best schedule and lineage from plain data."""

from __future__ import annotations

import pyqtgraph as pg

from app.dashboards._population import PopulationPage
from tests.sweeps.test_pbt_history import _population


def test_the_population_page_draws_the_schedule_and_the_lineage(qtbot):
    page = PopulationPage()
    qtbot.addWidget(page)
    page.show_population(_population())
    curves = [i for i in page.schedule_plot.items if isinstance(i, pg.PlotDataItem)]
    assert [c.name() for c in curves] == ["lr"]
    x, y = curves[0].getOriginalDataset()
    assert list(x) == [0, 10, 20, 30] and list(y) == [0.01, 0.012, 0.03]
    lines = [i for i in page.lineage_plot.items if isinstance(i, pg.PlotDataItem)]
    assert len(lines) == 3 + 2  # one per member, one per exploit
    assert "2 exploits so far; best member: 1" in page.note.text()
    page.show_population(None)
    assert not page.schedule_plot.items and "Not a population-based sweep" in page.note.text()
