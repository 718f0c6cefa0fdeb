"""Live pyqtgraph dashboards: run curves, snapshots, the system panel (and sweeps)."""

from app.dashboards._curve_options import (
    WALL_TIME,
    CurveChoice,
    CurveOptions,
    SmoothedCurve,
    apply_axes,
)
from app.dashboards._live_runs import LiveRunsView
from app.dashboards._plot_export import install_svg_exporter
from app.dashboards._plots import apply_theme, color, fast_plot, plain_axes
from app.dashboards._run_curves import RunCurves
from app.dashboards._smoothing import ema
from app.dashboards._snapshot import SnapshotView, tile_images
from app.dashboards._sweep import SweepDashboard
from app.dashboards._system import SystemPanel
from app.dashboards._zoom_image import ZoomImage, array_pixmap, link_views

__all__ = [
    "WALL_TIME",
    "CurveChoice",
    "CurveOptions",
    "LiveRunsView",
    "RunCurves",
    "SmoothedCurve",
    "SnapshotView",
    "SweepDashboard",
    "SystemPanel",
    "ZoomImage",
    "apply_axes",
    "apply_theme",
    "array_pixmap",
    "color",
    "ema",
    "fast_plot",
    "install_svg_exporter",
    "link_views",
    "plain_axes",
    "tile_images",
]
