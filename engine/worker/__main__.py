"""``python -m engine.worker``: read one RunConfig as JSON on stdin, run it, print events.

Exit status: 0 finished, 1 failed, 2 invalid config, 130 cancelled. The worker stops
cooperatively on SIGTERM or SIGINT, and when its parent dies (Linux parent-death signal, and
stdin reaching end of file), so no orphan keeps training.
"""

from __future__ import annotations

import sys

from engine.worker._child import run_child

if __name__ == "__main__":
    sys.exit(run_child(sys.stdin, sys.stdout))
