"""Progress of a long data load (decoding an image folder, reading a large file), told to
whoever waits: the CLI's status line, the app's dataset preview.

Loaders are called as ``loader(cache_dir, seed, val_fraction)`` from several places (a run,
the preview, a trained model's test samples); rather than thread a callback through each,
the caller that can show progress wraps the load in ``loading_progress(callback)`` and the
loaders that can take long call ``report``. The callback is held in a ``ContextVar``, so a
preview loading on an app pool thread and a run in the same process do not see each other's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar

Progress = Callable[[str, int, int], None]
"""``progress(what, done, total)``: ``what`` is a short phrase ("decoding 20,000 images of
FOLDER"), ``done`` of ``total`` units are through."""

_listener: ContextVar[Progress | None] = ContextVar("netyard_loading_progress", default=None)


@contextlib.contextmanager
def loading_progress(progress: Progress) -> Iterator[None]:
    """Loads within the block report to ``progress`` (in this thread or task only)."""
    token = _listener.set(progress)
    try:
        yield
    finally:
        _listener.reset(token)


def report(what: str, done: int, total: int) -> None:
    """Tell the waiting caller, if any, that ``done`` of ``total`` are through."""
    progress = _listener.get()
    if progress is not None:
        progress(what, done, total)
