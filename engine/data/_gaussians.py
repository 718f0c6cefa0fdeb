"""Mixtures of 2-D Gaussians for mode-collapse studies: ``ring8`` and ``grid25``.

As in VEEGAN and PacGAN: ``ring8`` is 8 equal Gaussians of std 0.01 centred on a circle of
radius 1; ``grid25`` is 25 equal Gaussians of std 0.05 centred on {-4, -2, 0, 2, 4}^2. The
modes and std travel in ``DataSpec.extra`` (``modes``, ``sigma``) so a plugin can score its
samples against them, with the training points' mean (``center``) and overall std (``scale``,
one number, so shapes are not distorted) so a model can work in standardised units. Points
are generated from the seed (cheap, so never cached); targets are the index of the mode each
point came from.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engine.data._registry import DatasetInfo, register
from engine.data._spec import Dataset, DataSpec
from engine.data._splits import carve_validation, to_split

TRAIN_POINTS = 50_000  # before the validation share is carved out
TEST_POINTS = 2_500
TEST_SEED = 2**31 - 1  # fixed: every run is tested on the same points whatever its seed


def ring_modes(count: int = 8, radius: float = 1.0) -> np.ndarray:
    angles = 2 * np.pi * np.arange(count) / count
    return np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1)


def grid_modes(values: tuple[float, ...] = (-4.0, -2.0, 0.0, 2.0, 4.0)) -> np.ndarray:
    return np.array([(x, y) for x in values for y in values], dtype=np.float64)


def sample_mixture(
    modes: np.ndarray, sigma: float, count: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """``count`` points from the equal-weight mixture, and the mode each came from."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(modes), size=count)
    points = modes[labels] + sigma * rng.standard_normal((count, modes.shape[1]))
    return points.astype(np.float32), labels.astype(np.int64)


def _loader(dataset_id: str, modes: np.ndarray, sigma: float):
    def load(cache_dir: Path, seed: int, val_fraction: float) -> Dataset:
        points, labels = sample_mixture(modes, sigma, TRAIN_POINTS, seed)
        train, val = carve_validation(points, labels, val_fraction, seed)
        center = train.x.mean(dim=0)
        scale = float((train.x - center).pow(2).mean().sqrt())
        test_points, test_labels = sample_mixture(modes, sigma, TEST_POINTS, TEST_SEED)
        spec = DataSpec(
            kind="points",
            task="generation",
            input_shape=(2,),
            num_classes=len(modes),
            class_names=tuple(f"mode {i}" for i in range(len(modes))),
            extra={
                "modes": modes.tolist(),
                "sigma": sigma,
                "center": center.tolist(),
                "scale": scale,
            },
        )
        return Dataset(dataset_id, spec, train, val, to_split(test_points, test_labels))

    return load


MIXTURES = (
    ("ring8", ring_modes(), 0.01, "8 Gaussians (std 0.01) on a circle of radius 1"),
    ("grid25", grid_modes(), 0.05, "25 Gaussians (std 0.05) on the grid {-4,-2,0,2,4}^2"),
)

for _id, _modes, _sigma, _what in MIXTURES:
    register(
        DatasetInfo(
            id=_id,
            kind="points",
            task="generation",
            description=f"{_what}: 2-D points for GANs",
            loader=_loader(_id, _modes, _sigma),
        )
    )
