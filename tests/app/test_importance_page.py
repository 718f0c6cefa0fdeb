"""The sweep dashboard's Importance page reads a real Optuna study, and drops the answer for
a sweep that is no longer shown."""

from __future__ import annotations

from types import SimpleNamespace

import optuna
from PySide6.QtCore import QCoreApplication

from app._tasks import wait_for_background_tasks
from app.dashboards._importance import ImportancePage


def objective(trial: optuna.Trial) -> float:
    trial.suggest_float("y", 0, 5)  # has no effect
    return trial.suggest_float("x", 0, 3) ** 2


def a_sweep(tmp_path) -> SimpleNamespace:
    """A finished sweep's storage and study name: four trials of ``objective``."""
    storage = f"sqlite:///{tmp_path / 'optuna.db'}"
    study = optuna.create_study(study_name="importance", storage=storage)
    for x, y in ((0.0, 0.0), (1.0, 5.0), (2.0, 1.0), (3.0, 4.0)):
        study.enqueue_trial({"x": x, "y": y})
    study.optimize(objective, n_trials=4)
    return SimpleNamespace(storage=storage, name="importance")


def test_importance_is_drawn_for_the_sweep_shown_only(qtbot, tmp_path):
    page = ImportancePage()
    qtbot.addWidget(page)
    page.show_sweep(a_sweep(tmp_path))
    page.compute()
    assert not page.button.isEnabled()
    qtbot.waitUntil(lambda: bool(page.importances), timeout=30000)
    assert set(page.importances) == {"x", "y"} and page.button.isEnabled()

    page.compute()
    page.show_sweep(SimpleNamespace(storage="", name=""))  # another sweep, before the answer
    assert page.button.isEnabled()
    assert wait_for_background_tasks()
    QCoreApplication.processEvents()  # the answer, posted by the pool thread, arrives: dropped
    assert page.importances == {}
