"""The sweep form's seeds per configuration and warm start, as a user fills them."""

from __future__ import annotations

from collections.abc import Iterator

import optuna
import pytest

from app._tasks import wait_for_background_tasks
from engine.sweeps import open_storage

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
