"""The sweep form's seeds per configuration and warm start, as a user fills them."""

from __future__ import annotations

import optuna
import pytest

from engine.sweeps import open_storage

WAIT_MS = 60_000


@pytest.fixture
def form(cnn_sweep_form):
    return cnn_sweep_form


def test_seeds_and_a_warm_start_go_into_the_spec_and_back(qtbot, form, tmp_path):
    storage = f"journal:{tmp_path / 'optuna.journal'}"
    optuna.create_study(study_name="last-week", storage=open_storage(storage))
    form.set_storage(storage)
    form.refresh_studies()
    qtbot.waitUntil(lambda: form.studies.count() == 1, timeout=WAIT_MS)
    form.studies.setCurrentRow(0)
    form.warm_start_button.click()
    assert form.warm_start.text() == "last-week:5"

    form.seeds_per_config.setValue(3)
    spec = form.spec()
    assert (spec.seeds_per_config, spec.warm_start) == (3, "last-week:5")
    form.seeds_per_config.setValue(1)
    form.warm_start.clear()
    form.set_spec(spec)
    assert form.seeds_per_config.value() == 3 and form.warm_start.text() == "last-week:5"
