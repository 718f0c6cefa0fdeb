"""CPU threads of a run: the cores other processes leave idle, followed while it trains; a
count the user chose is kept. Real processes busy the machine; no timing is asserted."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from engine.training import ThreadGovernor
from engine.training._threads import MachineLoad, available_cores, idle_cores


@pytest.fixture
def busy_process():
    process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    yield process
    process.kill()
    process.wait()


@pytest.fixture(autouse=True)
def _threads_back():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def _run_for(process: subprocess.Popen, seconds: float) -> None:
    """Let ``process`` burn CPU for ``seconds`` while this one idles."""
    with pytest.raises(subprocess.TimeoutExpired):
        process.wait(timeout=seconds)


@pytest.mark.skipif(not MachineLoad.supported(), reason="reads Linux's /proc/stat")
def test_a_busy_process_counts_as_a_taken_core(busy_process):
    load = MachineLoad()
    _run_for(busy_process, 1.0)
    assert load.others_busy_cores() >= 0.8  # its whole core (more if the machine is busier)


@pytest.mark.skipif(
    available_cores() < 2 or not MachineLoad.supported(), reason="needs 2 cores and /proc/stat"
)
def test_a_run_beside_a_busy_process_leaves_it_its_core(busy_process):
    governor = ThreadGovernor(None)
    _run_for(busy_process, 0.5)
    assert governor.begin() <= available_cores() - 1
    assert torch.get_num_threads() == governor.threads


def test_a_chosen_thread_count_is_kept_whatever_the_machine_does(busy_process):
    governor = ThreadGovernor(3)
    assert governor.begin() == 3 and torch.get_num_threads() == 3
    governor._next_check = 0.0  # look at the machine now
    governor.tick()
    assert governor.threads == 3 and torch.get_num_threads() == 3


def test_a_deterministic_run_keeps_all_the_cores_whatever_the_machine_does(busy_process):
    governor = ThreadGovernor(None, follow_load=False)
    _run_for(busy_process, 0.3)
    assert governor.begin() == available_cores() == torch.get_num_threads()
    governor._next_check = 0.0
    governor.tick()
    assert governor.threads == available_cores()


class _Readings:
    """Stands in for the machine's load in the governor's decision rule: given readings."""

    def __init__(self, *others_busy: float) -> None:
        self._values = list(others_busy)

    def others_busy_cores(self) -> float:
        return self._values.pop(0)


def test_a_core_is_given_up_at_once_and_taken_back_after_two_idle_readings():
    assert idle_cores(_Readings(0.1), 4) == 4  # a shell, the app idling: not a taken core
    assert idle_cores(_Readings(0.7), 4) == 3
    assert idle_cores(_Readings(3.9), 4) == 1  # never below one thread

    governor = ThreadGovernor(None)
    governor.cores, governor.threads = 4, 4
    governor._load = _Readings(1.0, 0.0, 1.0, 0.0, 0.0, 2.0)
    seen = []
    for _ in range(6):
        governor._next_check = 0.0
        governor.tick()
        seen.append(governor.threads)
    # A core another process wants is given up at once; it is taken back only when two
    # readings in a row find it idle (one idle reading between busy ones is a lull).
    assert seen == [3, 3, 3, 3, 4, 2]
    assert torch.get_num_threads() == 2
