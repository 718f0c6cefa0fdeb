"""A population's history for the dashboard: the exploits, the best member, and the
schedule that trained its weights (its sources' values before each copy)."""

from __future__ import annotations

from engine.sweeps._pbt_history import Population


def _population() -> Population:
    # Member 2 copies member 0 at step 10; member 1 copies member 2 at step 20.
    members = [
        {"index": 0, "params": {"lr": 0.01}, "score": 0.7, "exploits": []},
        {"index": 1, "params": {"lr": 0.03}, "score": 0.9, "exploits": [
            {"step": 20, "source": 2, "old": {"lr": 0.1}, "new": {"lr": 0.03}}]},
        {"index": 2, "params": {"lr": 0.012}, "score": 0.8, "exploits": [
            {"step": 10, "source": 0, "old": {"lr": 0.5}, "new": {"lr": 0.012}}]},
    ]  # fmt: skip
    return Population(members, interval=10, steps=30, maximize=True)


def test_the_best_members_schedule_follows_its_sources_back():
    population = _population()
    assert population.best() == 1
    assert population.exploits() == [(10, 0, 2), (20, 2, 1)]
    assert population.schedule(1) == [(0, {"lr": 0.01}), (10, {"lr": 0.012}), (20, {"lr": 0.03})]
    assert population.schedule(0) == [(0, {"lr": 0.01})]
    assert population.ancestry(1) == [(10, 0, 2), (20, 2, 1)]
    population.values = {0: 0.95, 1: 0.5}  # final values, once told, decide the best
    assert population.best() == 0
    population.maximize = False
    assert population.best() == 1
