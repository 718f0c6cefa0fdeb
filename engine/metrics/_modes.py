"""Mode-coverage metrics for generative models, as VEEGAN (Srivastava et al. 2017) and
PacGAN (Lin et al. 2018) define them on mixtures of Gaussians.

A sample is *high quality* when it lies within ``threshold`` (3) standard deviations of its
nearest mode; a mode is *captured* when it is the nearest mode of at least one high-quality
sample; the *reverse KL* is KL(generated || true) between the histogram of high-quality
samples over the modes and the true mode weights (uniform unless given).

When no sample is high quality the histogram is empty and KL is undefined; it is then
reported as log(number of modes), the value for total collapse onto one mode and the largest
any histogram can reach against uniform weights, so a sweep never sees a missing value and
ranks such a model last.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

HIGH_QUALITY_SIGMAS = 3.0


@dataclass(frozen=True)
class ModeCoverage:
    """The three figures, and the high-quality count per mode they come from."""

    high_quality: float  # share of samples that are high quality, 0 to 1
    modes: int  # modes captured
    reverse_kl: float
    counts: np.ndarray  # high-quality samples per mode

    def as_metrics(self) -> dict[str, float]:
        return {
            "modes": float(self.modes),
            "high_quality": self.high_quality,
            "reverse_kl": self.reverse_kl,
        }


def mode_coverage(
    samples: np.ndarray,
    modes: np.ndarray,
    sigma: float,
    weights: np.ndarray | None = None,
    threshold: float = HIGH_QUALITY_SIGMAS,
) -> ModeCoverage:
    """Score ``samples`` (n x d) against isotropic Gaussian ``modes`` (k x d) of std ``sigma``."""
    samples = np.asarray(samples, dtype=np.float64)
    modes = np.asarray(modes, dtype=np.float64)
    if samples.ndim != 2 or modes.ndim != 2 or samples.shape[1] != modes.shape[1]:
        raise ValueError(f"samples {samples.shape} and modes {modes.shape} must be n x d, k x d")
    distances = np.linalg.norm(samples[:, None, :] - modes[None, :, :], axis=2)
    nearest = distances.argmin(axis=1)
    good = distances[np.arange(len(samples)), nearest] <= threshold * sigma
    return label_coverage(nearest, good, len(modes), weights)


def label_coverage(
    labels: np.ndarray, good: np.ndarray, num_modes: int, weights: np.ndarray | None = None
) -> ModeCoverage:
    """Score samples already assigned to modes (``labels``), of which ``good`` are high quality."""
    labels = np.asarray(labels, dtype=np.int64)
    good = np.asarray(good, dtype=bool)
    counts = np.bincount(labels[good], minlength=num_modes)
    total = int(counts.sum())
    true = (
        np.full(num_modes, 1.0 / num_modes)
        if weights is None
        else np.asarray(weights, dtype=np.float64) / np.sum(weights)
    )
    if total == 0:
        reverse_kl = float(np.log(num_modes))
    else:
        generated = counts / total
        present = generated > 0  # 0 log 0 = 0
        reverse_kl = float(np.sum(generated[present] * np.log(generated[present] / true[present])))
    return ModeCoverage(
        high_quality=total / max(1, len(labels)),
        modes=int(np.count_nonzero(counts)),
        reverse_kl=reverse_kl,
        counts=counts,
    )
