"""Growing numeric series in preallocated numpy buffers, drawn by persistent curves.

Appending is amortised O(1) (capacity doubles); the plot timer hands ``x``/``y`` views to
``PlotDataItem.setData`` only when a series changed since the last frame.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

INITIAL_CAPACITY = 1024


class GrowingSeries:
    def __init__(self, capacity: int = INITIAL_CAPACITY) -> None:
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self.size = 0
        self.dirty = False
        self.rewound = False

    def append(self, xs: Sequence[float], ys: Sequence[float]) -> None:
        count = len(xs)
        needed = self.size + count
        if needed > len(self._x):
            capacity = max(needed, 2 * len(self._x))
            self._x = np.resize(self._x, capacity)
            self._y = np.resize(self._y, capacity)
        self._x[self.size : needed] = xs
        self._y[self.size : needed] = ys
        self.size = needed
        self.dirty = True

    def truncate_after(self, x: float) -> None:
        """Drop the points past ``x`` (a run that went back to step ``x`` trains them again)."""
        kept = int(np.searchsorted(self.x, x, side="right"))
        if kept < self.size:
            self.size = kept
            self.dirty = self.rewound = True  # smoothed again from the start, not appended to

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.size]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.size]

    def last(self) -> float | None:
        return float(self._y[self.size - 1]) if self.size else None
