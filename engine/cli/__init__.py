"""The ``netyard`` command line: everything the app does, headless."""

from engine.cli._main import main

__all__ = ["main"]
