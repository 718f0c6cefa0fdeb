"""The runs browser: MLflow runs across experiments, comparison and notes."""

from __future__ import annotations

__all__ = ["RunsBrowser"]


def __getattr__(name: str):
    # Imported on first use, so that the counting child process (``_counting``) loads no Qt.
    if name == "RunsBrowser":
        from app.browser._view import RunsBrowser

        return RunsBrowser
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
