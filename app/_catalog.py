"""What the engine offers, as plain data for the GUI: plugins, datasets, devices.

Plugins are listed at start-up (discovery is torch-free). Listing datasets imports torch
(``engine.data``), and finding GPUs asks ``nvidia-smi``, so both happen on a pool thread
after the window is shown.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from app._tasks import run_in_background
from engine.errors import UsageError
from engine.plugin import PluginEntry, discover_plugins


@dataclass(frozen=True)
class DatasetChoice:
    id: str
    kind: str
    task: str
    description: str


@dataclass(frozen=True)
class Device:
    id: str
    label: str


@dataclass(frozen=True)
class GpuInfo:
    index: int
    name: str
    memory_total_mb: float


def nvidia_smi(fields: str, timeout: float = 10) -> list[list[str]]:
    """Rows of ``nvidia-smi --query-gpu=FIELDS`` (one per GPU); empty without a driver."""
    executable = shutil.which("nvidia-smi")
    if executable is None:
        return []
    try:
        output = subprocess.run(
            [executable, f"--query-gpu={fields}", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [[part.strip() for part in line.split(",")] for line in output.strip().splitlines()]


def query_gpus() -> list[GpuInfo]:
    """The NVIDIA GPUs the driver reports."""
    gpus = []
    for row in nvidia_smi("index,name,memory.total"):
        try:
            gpus.append(GpuInfo(int(row[0]), row[1], float(row[2])))
        except (IndexError, ValueError):
            continue
    return gpus


def _load_datasets() -> tuple[list[DatasetChoice], dict[str, str]]:
    from engine.data import list_datasets, list_sources

    choices = [DatasetChoice(i.id, i.kind, i.task, i.description) for i in list_datasets()]
    return choices, list_sources()


def check_dataset(dataset_id: str, plugin_cls) -> str | None:
    """Why ``dataset_id`` cannot feed ``plugin_cls``, or None when it can (the engine's check).

    Only call once ``Catalog.datasets_loaded`` (the engine's data package is imported then).
    """
    from engine.runner import dataset_for

    try:
        dataset_for(plugin_cls, dataset_id)
    except UsageError as error:
        return str(error)
    return None


class Catalog(QObject):
    datasets_changed = Signal()
    devices_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.plugins: list[PluginEntry] = discover_plugins()
        self.datasets: list[DatasetChoice] = []
        self.sources: dict[str, str] = {}
        self.gpus: list[GpuInfo] = []
        self.datasets_loaded = False
        self.dataset_error = ""

    def load_in_background(self) -> None:
        run_in_background(_load_datasets, self._datasets_done, self._datasets_failed, owner=self)
        run_in_background(query_gpus, self._gpus_done, owner=self)

    @property
    def devices(self) -> list[Device]:
        devices = [Device("auto", "auto (GPU when present)"), Device("cpu", "CPU")]
        devices += [Device(f"cuda:{g.index}", f"cuda:{g.index} — {g.name}") for g in self.gpus]
        return devices

    def _datasets_done(self, result: tuple[list[DatasetChoice], dict[str, str]]) -> None:
        self.datasets, self.sources = result
        self.datasets_loaded = True
        self.datasets_changed.emit()

    def _datasets_failed(self, message: str, details: str) -> None:
        from app._errors import report_error

        self.dataset_error = message
        report_error("Could not list datasets", message, details)
        self.datasets_changed.emit()

    def _gpus_done(self, gpus: list[GpuInfo]) -> None:
        self.gpus = gpus
        self.devices_changed.emit()
