"""Live pyqtgraph dashboards: run curves, snapshots, the system panel (and sweeps)."""

from app.dashboards._live_runs import LiveRunsView
from app.dashboards._plots import apply_theme, color, fast_plot
from app.dashboards._snapshot import SnapshotView
from app.dashboards._sweep import SweepDashboard
from app.dashboards._system import SystemPanel

__all__ = [
    "LiveRunsView",
    "SnapshotView",
    "SweepDashboard",
    "SystemPanel",
    "apply_theme",
    "color",
    "fast_plot",
]
