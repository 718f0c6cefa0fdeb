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
    orange = pg.mkColor("#D55E00")
    best = [line for line in lines if line.opts["pen"].color() == orange]
    assert len(lines) == 3 + 2 + 3  # one per member, one per exploit, the best's path
    # The best weights' path: member 0 until its copy at step 10, member 2 until step 20,
    # then member 1: along each line only while it held them (arrows lean 4 steps forward).
    path = sorted((list(b.getOriginalDataset()[0]), list(b.getOriginalDataset()[1])) for b in best)
    assert path == [
        ([0.0, 10.0], [0, 0]), ([10, 14.0], [0, 2]), ([14.0, 20.0], [2, 2]),
        ([20, 24.0], [2, 1]), ([24.0, 30.0], [1, 1]),
    ]  # fmt: skip
    assert "2 exploits so far; best member: 1" in page.note.text()
    page.show_population(None)
    assert not page.schedule_plot.items and "Not a population-based sweep" in page.note.text()
