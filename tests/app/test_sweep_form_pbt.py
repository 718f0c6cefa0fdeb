"""The sweep form's population-based training settings, as a user fills them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app._tasks import wait_for_background_tasks

WAIT_MS = 60_000


@pytest.fixture
def form(qtbot, errors, tmp_path) -> Iterator:
    from app._catalog import Catalog
    from app.form import SweepForm

    catalog = Catalog()
    catalog.load_in_background()
    qtbot.waitUntil(lambda: catalog.datasets_loaded, timeout=WAIT_MS)
    sweep_form = SweepForm(catalog)
    qtbot.addWidget(sweep_form)
    sweep_form.workspace = str(tmp_path / "ws")
    sweep_form.set_plugin(next(e.plugin for e in catalog.plugins if e.id == "cnn"))
    yield sweep_form
    wait_for_background_tasks()
    assert errors == []


def test_a_population_goes_into_the_spec_and_back_and_a_bad_interval_is_said(qtbot, form):
    form.rows["lr"].toggle.setChecked(True)
    form.algorithm.setCurrentText("pbt")
    form.population.setValue(4)
    form.interval.setValue(50)
    spec = form.spec()
    assert (spec.algorithm, spec.population, spec.interval) == ("pbt", 4, 50)
    form.algorithm.setCurrentIndex(0)
    form.interval.setValue(0)
    assert form.spec().algorithm is None and form.spec().interval is None
    form.set_spec(spec)
    assert form.algorithm.currentText() == "pbt" and form.interval.value() == 50

    steps = form.spec().fixed.get("steps") or form.plugin.full_schema()["steps"].default
    form.interval.setValue(steps)  # not below the steps each member trains
    qtbot.waitUntil(form.check_settled, timeout=WAIT_MS)
    assert form.error.startswith(
        f"invalid interval {steps}: expected a whole number of steps between"
    )
    assert not form.start_button.isEnabled()
