"""Cyclic garbage made by a background task is collected in the GUI thread (app/_gc.py).

Collected on the pool thread, garbage holding Qt objects froze the test run for good: the
pool thread ran a widget's destructor and waited for the GIL, the GUI thread held the GIL and
waited for the widget's lock.
"""

from __future__ import annotations

import gc
import threading

from app import _gc
from app._tasks import run_in_background, wait_for_background_tasks


class Cycle:
    """An object in a reference cycle that records the thread that collects it."""

    collected_in: list[str] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        Cycle.collected_in.append(threading.current_thread().name)


def make_cycles() -> str:
    # Enough new objects that the automatic collector would run on this thread.
    for _ in range(5 * gc.get_threshold()[0]):
        Cycle()
    return threading.current_thread().name


def test_garbage_of_a_background_task_is_collected_in_the_gui_thread(qtbot):
    assert gc.isenabled()
    gc.collect()
    Cycle.collected_in.clear()
    task_threads: list[str] = []

    run_in_background(make_cycles, task_threads.append)
    assert not gc.isenabled()  # off from the moment the task is queued
    qtbot.waitUntil(lambda: bool(task_threads) and bool(Cycle.collected_in), timeout=10000)
    assert task_threads != [threading.main_thread().name]
    assert set(Cycle.collected_in) == {threading.main_thread().name}

    # With every pool idle, automatic collection comes back by itself.
    qtbot.waitUntil(lambda: not _gc.holding(), timeout=10000)
    assert gc.isenabled()


def test_waiting_for_the_pools_gives_collection_back():
    run_in_background(lambda: None, lambda _result: None)
    assert not gc.isenabled()
    assert wait_for_background_tasks()
    assert gc.isenabled() and not _gc.holding()
