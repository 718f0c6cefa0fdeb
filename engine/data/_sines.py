"""``sines``: a built-in forecasting series, a noisy sum of sinusoids made here.

Three sinusoids with periods between 12 and 120 steps, random amplitudes and phases, plus
Gaussian noise; 6000 steps, forecast one step ahead from the 32 before. The generator seed is
fixed so every run forecasts the same series (a run's seed only changes the model's
initialisation and batch order); it is cheap to make, so it is not cached.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.data._forecast import KIND, TASK, forecasting_dataset
from engine.data._registry import DatasetInfo, register
from engine.data._spec import Dataset

LENGTH = 6000
WINDOW = 32
HORIZON = 1
COMPONENTS = 3
PERIODS = (12.0, 120.0)
NOISE = 0.2
GENERATOR_SEED = 20240601


def sines_series(
    length: int = LENGTH, noise: float = NOISE, seed: int = GENERATOR_SEED
) -> np.ndarray:
    """A sum of ``COMPONENTS`` sinusoids (log-uniform periods) plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    time = np.arange(length, dtype=np.float64)
    periods = np.exp(rng.uniform(np.log(PERIODS[0]), np.log(PERIODS[1]), COMPONENTS))
    amplitudes = rng.uniform(0.5, 1.5, COMPONENTS)
    phases = rng.uniform(0.0, 2 * np.pi, COMPONENTS)
    signal = (amplitudes * np.sin(2 * np.pi * time[:, None] / periods + phases)).sum(axis=1)
    return signal + noise * rng.standard_normal(length)


def load(cache_dir: Path, seed: int, val_fraction: float) -> Dataset:
    return forecasting_dataset("sines", sines_series(), ("value",), WINDOW, HORIZON, val_fraction)


register(
    DatasetInfo(
        id="sines",
        kind=KIND,
        task=TASK,
        description=(
            f"noisy sum of {COMPONENTS} sinusoids, {LENGTH} steps; forecast {HORIZON} step "
            f"from the last {WINDOW} (made here)"
        ),
        loader=load,
    )
)
