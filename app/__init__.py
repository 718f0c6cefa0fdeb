"""Netyard's desktop app (Qt). Talks to the engine through worker processes and plain data."""

from app._none_refcount import protect_none

protect_none()  # before any Qt call; see the module for the PySide6 bug it guards against
