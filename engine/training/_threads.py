"""How many CPU threads a run trains with when the user did not choose: the cores no one else
is using, looked at again while it trains.

torch's intra-op threads meet at a barrier after every operation. When another process takes
one of the cores, the thread on it waits for the scheduler and every other thread waits for
it: measured on a 2-core box, 500 steps of MNIST-1D's ConvBase took 2.84 s with 2 threads
alone, 8.48 s with 2 threads beside one busy process, and 3.14 s with 1 thread beside it. So
a run sized to all the cores collapses as soon as anything else runs (the app, a second run,
a sweep), and one sized to a single core leaves speed unused on an idle machine.

``ThreadGovernor`` starts from the cores that are idle when the run starts and, every second,
reads how busy the machine is without this process (``/proc/stat`` less this process's own
CPU time): it gives a thread up at the first reading that another process wants its core
(every second at the collapsed speed costs about two), and takes it back only when two
readings in a row find the core idle (a burst of the app's plotting does not flap it). A
count the user chose (``--threads``, the form's "CPU threads") is never changed, and neither
is the count of a ``deterministic`` run: results on the CPU depend on the thread count (the
split of a reduction), so a run that must repeat exactly keeps all the cores, as before.
"""

from __future__ import annotations

import os
import time

# How often the machine is looked at, and how much of a core others may use before it counts
# as taken (the app idling, a shell, the metric writer: a few percent each).
CHECK_SECONDS = 1.0
TAKEN_CORE_FRACTION = 0.6


def available_cores() -> int:
    """All cores this process may use (respects affinity masks and container limits)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class MachineLoad:
    """Cores busy with other processes' work between two readings (Linux ``/proc/stat``)."""

    def __init__(self) -> None:
        self._ticks_per_second = os.sysconf("SC_CLK_TCK")
        self._last = self._read()

    @staticmethod
    def supported() -> bool:
        return os.path.exists("/proc/stat")

    def _read(self) -> tuple[float, float, float]:
        with open("/proc/stat", "rb") as stream:
            fields = [int(value) for value in stream.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        busy = sum(fields[:8]) - idle  # user nice system idle iowait irq softirq steal
        own = sum(os.times()[:2])
        return time.monotonic(), busy / self._ticks_per_second, own

    def others_busy_cores(self) -> float:
        """Cores' worth of CPU that other processes used since the last call."""
        then, busy_before, own_before = self._last
        self._last = now, busy, own = self._read()
        elapsed = now - then
        if elapsed <= 0:
            return 0.0
        return max(0.0, (busy - busy_before) - (own - own_before)) / elapsed


def idle_cores(load: MachineLoad | None, cores: int) -> int:
    """Cores not taken by other processes in the last reading, at least 1."""
    if load is None:
        return cores
    taken = load.others_busy_cores()
    return max(1, min(cores, cores - int(taken + (1 - TAKEN_CORE_FRACTION))))


class ThreadGovernor:
    """Sets torch's thread count for a run and, unless the user fixed it, keeps it at the
    cores other processes leave free.

    Make it when the run's set-up begins and call ``begin`` when training starts: the set-up
    (data, the MLflow run) is the first look at the machine, so it costs no extra wait. Then
    call ``tick`` every step: a clock read, except every ``CHECK_SECONDS``.
    """

    MIN_FIRST_LOOK_SECONDS = 0.1

    def __init__(self, chosen: int | None, follow_load: bool = True) -> None:
        """``chosen``: the user's count, kept; else all cores, followed to the idle ones
        unless ``follow_load`` is False (a deterministic run)."""
        import torch

        self._torch = torch
        self.cores = available_cores()
        self.fixed = chosen is not None or not follow_load
        self.threads = int(chosen) if chosen is not None else self.cores
        self._load = None
        if not self.fixed and self.cores > 1 and MachineLoad.supported():
            self._load = MachineLoad()
        self._started = time.monotonic()
        self._next_check = 0.0
        self._proposed: int | None = None
        torch.set_num_threads(self.threads)

    def begin(self) -> int:
        """Size the thread count to the cores idle since the set-up began; returns it."""
        if self._load is not None:
            time.sleep(max(0.0, self._started + self.MIN_FIRST_LOOK_SECONDS - time.monotonic()))
            self.threads = idle_cores(self._load, self.cores)
            self._torch.set_num_threads(self.threads)
        self._next_check = time.monotonic() + CHECK_SECONDS
        return self.threads

    def tick(self) -> None:
        if self._load is None or time.monotonic() < self._next_check:
            return
        self._next_check = time.monotonic() + CHECK_SECONDS
        wanted = idle_cores(self._load, self.cores)
        if wanted < self.threads or wanted == self._proposed:  # fewer at once, more twice
            self.threads, self._proposed = wanted, None
            self._torch.set_num_threads(wanted)
        else:
            self._proposed = wanted if wanted > self.threads else None
