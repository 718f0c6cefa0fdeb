"""The About dialog: what this is and which versions are running."""

from __future__ import annotations

import platform
from importlib import metadata

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

PACKAGES = ("netyard", "torch", "optuna", "mlflow", "pyqtgraph", "numpy")


def versions() -> dict[str, str]:
    """Installed versions read from package metadata (nothing heavy is imported)."""
    found = {"Python": platform.python_version(), "Qt": qVersion(), "PySide6": pyside_version}
    for package in PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def show_about(parent: QWidget) -> None:
    lines = "".join(f"<tr><td>{k}</td><td>&nbsp;{v}</td></tr>" for k, v in versions().items())
    QMessageBox.about(
        parent,
        "About Netyard",
        "<h3>Netyard</h3><p>A desktop workbench for deep learning: architecture plugins, "
        "training, Optuna sweeps and MLflow tracking in one window.</p>"
        f"<table>{lines}</table>",
    )
