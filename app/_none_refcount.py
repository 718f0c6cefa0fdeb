"""A guard against a PySide6 6.12 reference-count bug on Python 3.11.

In this binding every call of a Qt method that returns None (``update()``, ``parentItem()``
of a top item, ``property()`` of an unset property...) releases one reference to ``None``
it never took (the wrapper returns ``Py_None`` without ``Py_INCREF``), and ``property()``
of a bool property does the same to ``True``/``False``. On Python 3.12+ these singletons
are immortal and nothing happens; on 3.11 their counts fall with each call, and a dashboard
that redraws for a few minutes dies with "Fatal Python error: none_dealloc" (or
bool_dealloc). Measured with PySide6/shiboken6 6.12.0 on CPython 3.11.7: 100
``QGraphicsRectItem.update()`` calls take 100 off ``None``'s count, and 10000 of them
right after start-up abort the process.

Upstream: not yet reported upstream as far as we found (a search of GitHub issue threads
for none_dealloc, shiboken6 and PySide6 6.12 refcounts found nothing; PYSIDE-585,
"Fatal Python error: deallocating None" at exit, is an older PySide2 5.x bug).

The guard gives the three singletons the effectively endless count that Python 3.12 gives
them by design (2**40 releases would be needed to reach zero). It is a no-op outside the
known range (``AFFECTED_PYSIDE6``, CPython < 3.12), so a fixed PySide6 drops the hack;
tests/app/test_none_refcount.py measures the bug and fails if it shows up outside the range.
"""

from __future__ import annotations

import ctypes
import sys

IMMORTAL_MARGIN = 1 << 40
# PySide6 versions known to have the bug, first included, last excluded: measured on
# 6.12.0; the rest of the 6.12 series is assumed affected until a fix is released.
AFFECTED_PYSIDE6 = ((6, 12, 0), (6, 13, 0))


def is_affected(
    python: tuple[int, ...] | None = None, pyside6: tuple[int, ...] | None = None
) -> bool:
    """Whether this Python and PySide6 (by default the running ones) have the bug."""
    python = tuple(sys.version_info[:2]) if python is None else tuple(python)
    if python >= (3, 12) or sys.implementation.name != "cpython":
        return False  # None, True and False are immortal: a stray release does nothing
    if pyside6 is None:
        import PySide6

        pyside6 = tuple(PySide6.__version_info__[:3])
    first, end = AFFECTED_PYSIDE6
    return first <= tuple(pyside6[:3]) < end


def protect_none() -> bool:
    """Make None, True and False practically immortal where the bug is known; call it
    before the QApplication is created. Idempotent; returns whether the guard is on."""
    if not is_affected():
        return False
    for singleton in (None, True, False):
        refcount = ctypes.c_ssize_t.from_address(id(singleton))
        if refcount.value < IMMORTAL_MARGIN:
            refcount.value += IMMORTAL_MARGIN
    return True
