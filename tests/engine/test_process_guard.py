"""The conftest's guard against leftover child processes finds and waits for them."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from netyard_test_support import command_line, live_children, wait_for_exit

# It says when it runs: until the exec, /proc shows the parent's command line (or none).
WAITS_FOR_STDIN = [sys.executable, "-c", "import sys; print('ready', flush=True); sys.stdin.read()"]


def test_a_running_child_is_found_and_waited_for():
    child = subprocess.Popen(
        WAITS_FOR_STDIN, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline() == "ready\n"
        assert child.pid in live_children(os.getpid())
        assert "sys.stdin.read()" in command_line(child.pid)
        # Still running when the (already passed) deadline comes.
        assert wait_for_exit([child.pid], time.monotonic()) == [child.pid]
        child.stdin.close()  # end of input: it exits
        assert wait_for_exit([child.pid], time.monotonic() + 60) == []
        # Exited but not yet reaped (a zombie): no longer counted as running.
        assert child.pid not in live_children(os.getpid())
    finally:
        child.kill()
        child.wait()
        child.stdout.close()


def test_processes_that_are_gone_are_not_waited_for():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert wait_for_exit([child.pid], time.monotonic() + 60) == []
    assert child.pid not in live_children(os.getpid())
