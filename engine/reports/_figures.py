"""Curves for a report: one metric's history across runs, drawn by matplotlib's Agg backend
(no display, no Qt) into PNG bytes."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

LEGEND_MAX_RUNS = 12  # more lines than this: the runs table says which is which, not a legend
# Okabe-Ito, colour-blind safe, in the order of the app's dashboards (app.dashboards.COLORS,
# which the engine cannot import); tab20 after it for more runs.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999")


def curve_png(
    metric: str, curves: Mapping[str, tuple[Sequence[float], Sequence[float]]], dpi: int = 100
) -> bytes:
    """A PNG of ``metric`` against the step: one line per run, ``{run label: (steps, values)}``."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 3.6), dpi=dpi)
    axes = figure.add_subplot()
    extra = colormaps["tab20"].colors
    for index, (label, (steps, values)) in enumerate(curves.items()):
        colour = PALETTE[index] if index < len(PALETTE) else extra[index % len(extra)]
        marker = "o" if len(steps) < 3 else None  # a point or two would not show as a line
        axes.plot(steps, values, label=label, color=colour, linewidth=1.4, marker=marker)
    axes.set_title(metric)
    axes.set_xlabel("step")
    axes.grid(True, alpha=0.3)
    if 1 < len(curves) <= LEGEND_MAX_RUNS:
        axes.legend(fontsize=7, loc="best", framealpha=0.8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
