"""The runs browser: MLflow runs across experiments, comparison and notes."""

from app.browser._view import RunsBrowser

__all__ = ["RunsBrowser"]
