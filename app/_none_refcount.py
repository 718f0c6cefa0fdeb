"""A guard against a PySide6 6.12 reference-count bug on Python 3.11.

In this binding every call of a Qt method that returns None (``update()``, ``parentItem()``
of a top item, ``property()`` of an unset property...) releases one reference to ``None``
it never took, and ``property()`` of a bool property does the same to ``True``/``False``.
On Python 3.12+ these singletons are immortal and nothing happens; on 3.11 their counts
fall with each call, and a dashboard that redraws for a few minutes dies with "Fatal Python
error: none_dealloc" (or bool_dealloc). Measured here: 100 ``QGraphicsItem.update()`` calls
take 100 off ``None``'s count.

The guard gives the three singletons the effectively endless count that Python 3.12 gives
them by design (2**40 releases would be needed to reach zero), once, at import.
"""

from __future__ import annotations

import ctypes
import sys

IMMORTAL_MARGIN = 1 << 40


def protect_none() -> None:
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return
    for singleton in (None, True, False):
        refcount = ctypes.c_ssize_t.from_address(id(singleton))
        if refcount.value < IMMORTAL_MARGIN:
            refcount.value += IMMORTAL_MARGIN
