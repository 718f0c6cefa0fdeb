"""Population-based training's decisions as pure functions: who copies whom, and how the
copy's hyperparameters move (Ray Tune's PopulationBasedTraining is the reference)."""

from __future__ import annotations

import math
import random

from engine.sweeps._pbt_policy import Range, decide, explore, quantiles

RANGES = {
    "lr": Range(1e-4, 1e-1, log=True),
    "channels": Range(4, 64, integer=True),
    "act": Range(choices=("relu", "gelu", "tanh")),
    "norm": Range(choices=(True, False)),
}


def test_the_bottom_quarter_copies_the_top_quarter():
    scores = {0: 0.9, 1: 0.2, 2: 0.5, 3: 0.7, 4: float("nan"), 5: 0.6, 6: 0.8, 7: 0.3}
    bottom, top = quantiles(scores, maximize=True)
    assert bottom == [4, 1] and sorted(top) == [0, 6]  # NaN is the worst
    bottom, top = quantiles({0: 1.0, 1: 2.0}, maximize=False)  # a loss: lower is better
    assert bottom == [1] and top == [0]
    assert quantiles({0: 1.0}, maximize=True) == ([], [])
    params = {m: {"lr": 0.01, "channels": 16, "act": "gelu", "norm": True} for m in scores}
    decisions = decide(scores, params, RANGES, True, random.Random(0))
    assert [d.member for d in decisions] == [4, 1]
    assert all(d.source in (0, 6) for d in decisions)


def test_explore_perturbs_inside_the_ranges_and_repeats_with_its_seed():
    start = {"lr": 0.01, "channels": 16, "act": "gelu", "norm": True, "steps": 100}
    seen = {name: set() for name in RANGES}
    for seed in range(200):
        moved = explore(start, RANGES, random.Random(seed))
        assert moved["steps"] == 100  # not searched: kept
        assert 1e-4 <= moved["lr"] <= 1e-1 and 4 <= moved["channels"] <= 64
        assert isinstance(moved["channels"], int)
        for name in RANGES:
            seen[name].add(moved[name])
    assert {0.008, 0.012} <= {round(v, 6) for v in seen["lr"]}  # x0.8 and x1.2
    assert len(seen["lr"]) > 3  # and resampled now and then
    assert {13, 19} <= seen["channels"]  # a whole number moves by whole steps
    assert seen["act"] == {"relu", "gelu", "tanh"}  # neighbours, and resamples
    assert seen["norm"] == {True, False}  # only a resample changes a yes/no
    assert explore(start, RANGES, random.Random(7)) == explore(start, RANGES, random.Random(7))


def test_a_perturbation_at_the_edge_stays_at_the_edge():
    edge = {"lr": 0.1, "channels": 64}
    for seed in range(50):
        moved = explore(edge, {"lr": RANGES["lr"], "channels": RANGES["channels"]},
                        random.Random(seed))  # fmt: skip
        assert moved["lr"] <= 0.1 and moved["channels"] <= 64
        assert math.isfinite(moved["lr"])
