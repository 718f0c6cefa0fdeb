"""Cyclic garbage made on a pool thread is collected in the GUI thread (app/_gc.py).

Collected on the pool thread, garbage holding Qt objects froze the test run for good: the
pool thread ran a widget's destructor and waited for the GIL, the GUI thread held the GIL and
waited for the widget's lock.
"""

from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject
from shiboken6 import Shiboken

from app._gc import collect_in_gui_thread


class Cycle:
    """An object in a reference cycle that records the thread that collects it."""

    collected_in: list[threading.Thread] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        Cycle.collected_in.append(threading.current_thread())


def make_cycles(count: int) -> None:
    for _ in range(count):
        Cycle()


def test_garbage_from_another_thread_is_collected_in_the_gui_thread(qtbot):
    assert gc.isenabled()
    gc.collect()
    Cycle.collected_in.clear()
    owner = QObject()
    collect_in_gui_thread(owner)
    assert not gc.isenabled()

    # Enough new objects that the automatic collector would have run on the thread.
    pool_thread = threading.Thread(target=make_cycles, args=(5 * gc.get_threshold()[0],))
    pool_thread.start()
    pool_thread.join()
    qtbot.waitUntil(lambda: len(Cycle.collected_in) > 0, timeout=10000)
    assert set(Cycle.collected_in) == {threading.main_thread()}

    Shiboken.delete(owner)  # the last owner gone: automatic collection is back
    assert gc.isenabled()


def test_collection_stays_in_the_gui_thread_until_the_last_owner_is_gone(qtbot):
    first, second = QObject(), QObject()
    collect_in_gui_thread(first)
    collect_in_gui_thread(second)
    Shiboken.delete(first)
    assert not gc.isenabled()
    Shiboken.delete(second)
    assert gc.isenabled()
