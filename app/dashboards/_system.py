"""The system panel: CPU and RAM use, and per-GPU utilisation and memory when present.

CPU and RAM come from /proc (Linux; no extra dependency, cheap enough for the GUI thread
once a second). GPUs are asked of ``nvidia-smi`` on a pool thread, since it can take a while.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app._catalog import nvidia_smi
from app._tasks import run_in_background
from app.dashboards._legend import outside_legend
from app.dashboards._plots import color, fast_plot
from app.dashboards._series import GrowingSeries

SAMPLE_MS = 1000
WINDOW_SECONDS = 120
MIN_PLOT_HEIGHT = 130


def read_cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies over all CPUs, or None off Linux."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    values = [int(v) for v in fields]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


def read_memory() -> tuple[float, float] | None:
    """(used, total) bytes of RAM, or None off Linux."""
    try:
        lines = Path("/proc/meminfo").read_text().splitlines()
    except OSError:
        return None
    info = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in lines if ":" in line}
    total = info.get("MemTotal", 0)
    return float(total - info.get("MemAvailable", 0)), float(total)


def query_gpu_use() -> list[tuple[int, float, float, float]]:
    """(index, utilisation %, memory used MiB, memory total MiB) per NVIDIA GPU."""
    rows = []
    for row in nvidia_smi("index,utilization.gpu,memory.used,memory.total", timeout=5):
        try:
            index, util, used, total = (float(p) for p in row)
        except ValueError:
            continue  # "[N/A]" on some boards
        rows.append((int(index), util, used, total))
    return rows


class SystemPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel()
        self.summary.setObjectName("systemSummary")
        self.summary.setWordWrap(True)
        self.graphics = pg.GraphicsLayoutWidget()
        # The dock is short, so the plot is compact: no title (the unit is on the y axis), no
        # x-axis label (its ticks are the seconds since start-up) and a one-row legend below
        # it (not over a curve at 100%), which leave the curve area most of the height; the
        # minimum keeps 0-100 readable when a saved layout or the user squeezes the dock.
        self.graphics.setMinimumHeight(MIN_PLOT_HEIGHT)
        self.graphics.ci.setContentsMargins(2, 2, 12, 2)
        self.plot = fast_plot(self.graphics.addPlot())
        self.plot.setLabel("left", "use (%)")
        # A little room past 0 and 100 so their tick labels (and a curve at 100%) show.
        self.plot.setYRange(-8, 108, padding=0)
        self.plot.getAxis("left").setTicks([[(v, str(v)) for v in (0, 50, 100)]])
        self.plot.setMouseEnabled(x=False, y=False)  # a live monitor: nothing to pan or zoom
        self.plot.hideButtons()
        outside_legend(self.plot, "below", columns=4)
        self.series: dict[str, GrowingSeries] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.graphics, 1)
        self.started = time.monotonic()
        self._last_cpu = read_cpu_times()
        self._gpu_text = ""
        self._gpu_busy = False
        self.gpu_available = shutil.which("nvidia-smi") is not None
        self.timer = QTimer(self)
        self.timer.setInterval(SAMPLE_MS)
        self.timer.timeout.connect(self.sample)
        self.timer.start()

    def _add(self, name: str, value: float) -> None:
        series = self.series.get(name)
        if series is None:
            series = self.series[name] = GrowingSeries(256)
            self.curves[name] = self.plot.plot(
                pen=pg.mkPen(color(len(self.curves)), width=1.5), name=name
            )
        now = time.monotonic() - self.started
        series.append([now], [value])
        self.curves[name].setData(series.x, series.y)
        self.plot.setXRange(max(0.0, now - WINDOW_SECONDS), now, padding=0)

    def sample(self) -> None:
        parts = []
        cpu = read_cpu_times()
        if cpu and self._last_cpu and cpu[1] > self._last_cpu[1]:
            busy = (cpu[0] - self._last_cpu[0]) / (cpu[1] - self._last_cpu[1]) * 100
            self._add("CPU", busy)
            parts.append(f"CPU {busy:.0f}%")
        self._last_cpu = cpu
        memory = read_memory()
        if memory:
            used, total = memory
            self._add("RAM", used / total * 100)
            parts.append(f"RAM {used / 2**30:.1f} / {total / 2**30:.1f} GiB")
        if self.gpu_available and not self._gpu_busy:
            self._gpu_busy = True
            run_in_background(query_gpu_use, self._gpu_done, self._gpu_failed, owner=self)
        if self._gpu_text:
            parts.append(self._gpu_text)
        self.summary.setText("   ".join(parts))

    def _gpu_done(self, rows: list[tuple[int, float, float, float]]) -> None:
        self._gpu_busy = False
        texts = []
        for index, util, used, total in rows:
            self._add(f"GPU{index}", util)
            self._add(f"GPU{index} mem", used / total * 100 if total else 0)
            texts.append(f"GPU{index} {util:.0f}% · {used / 1024:.1f}/{total / 1024:.1f} GiB")
        self._gpu_text = "   ".join(texts)

    def _gpu_failed(self, message: str, _details: str) -> None:
        self._gpu_busy = False
        self._gpu_text = f"GPU query failed: {message}"
