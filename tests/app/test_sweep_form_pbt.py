"""The sweep form's population-based training settings, as a user fills them."""

from __future__ import annotations

import pytest

WAIT_MS = 60_000


@pytest.fixture
def form(cnn_sweep_form):
    return cnn_sweep_form


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
