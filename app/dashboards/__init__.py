"""Live pyqtgraph dashboards: run curves, snapshots, the system panel (and sweeps)."""

from app.dashboards._curve_options import (
    WALL_TIME,
    CurveChoice,
    CurveOptions,
    SmoothedCurve,
    apply_axes,
)
from app.dashboards._live_runs import LiveRunsView, ScaledImage
from app.dashboards._plot_export import install_svg_exporter
from app.dashboards._plots import apply_theme, color, fast_plot
from app.dashboards._smoothing import ema
from app.dashboards._snapshot import SnapshotView
from app.dashboards._sweep import SweepDashboard
from app.dashboards._system import SystemPanel

__all__ = [
    "WALL_TIME",
    "CurveChoice",
    "CurveOptions",
    "LiveRunsView",
    "ScaledImage",
    "SmoothedCurve",
    "SnapshotView",
    "SweepDashboard",
    "SystemPanel",
    "apply_axes",
    "apply_theme",
    "color",
    "ema",
    "fast_plot",
    "install_svg_exporter",
]
