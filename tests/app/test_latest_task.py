"""``LatestTask`` (app/_tasks.py): the latest task's answer wins; a superseded or cancelled
task's result or failure is dropped."""

from __future__ import annotations

from PySide6.QtCore import QObject

from app._tasks import LatestTask, run_in_background

QUEUE = "test-latest-task"  # one thread: the tasks run, and answer, in the order started


def fail() -> None:
    raise ValueError("superseded")


def wait_for_answers(qtbot) -> None:
    """Every answer of a task started before on QUEUE has come (they come in order)."""
    answered: list[bool] = []
    run_in_background(lambda: None, lambda _result: answered.append(True), queue=QUEUE)
    qtbot.waitUntil(lambda: bool(answered), timeout=10000)


def test_a_superseded_task_is_dropped_and_the_latest_answers(qtbot):
    owner = QObject()
    task = LatestTask(owner, QUEUE)
    results: list[str] = []
    failures: list[str] = []
    task.start(lambda: "first", results.append, lambda message, _: failures.append(message))
    task.start(fail, results.append, lambda message, _: failures.append(message))
    task.start(lambda: "latest", results.append, lambda message, _: failures.append(message))
    assert task.running
    wait_for_answers(qtbot)
    assert results == ["latest"] and failures == []
    assert not task.running


def test_a_cancelled_task_is_dropped(qtbot):
    owner = QObject()
    task = LatestTask(owner, QUEUE)
    results: list[str] = []
    task.start(lambda: "cancelled", results.append)
    task.cancel()
    assert not task.running
    wait_for_answers(qtbot)
    assert results == []
