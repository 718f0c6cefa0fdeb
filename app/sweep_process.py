"""``python -m app.sweep_process``: the app's sweep coordinator process (no Qt in here).

It reads a ``SweepSpec`` as one JSON line on stdin, runs ``engine.sweeps.SweepRunner`` and
prints its events as JSON lines, like ``netyard sweep --json``; in addition it takes commands
on stdin so the jobs panel can act on one trial:

- ``stop``: start no new trial, let the running ones finish;
- ``cancel``: stop and cancel the running trials (they end FAIL), as SIGTERM does;
- ``cancel_trial N``: stop trial N only (it ends FAIL, cancelled).

Stdin closing (the app is gone) cancels everything; the process also dies with its parent.
"""

from __future__ import annotations

import json
import signal
import sys
import threading


def main() -> int:
    from engine.errors import UsageError
    from engine.sweeps import SweepRunner, SweepSpec
    from engine.worker import UsageProblem
    from engine.worker._child import ask_to_die_with_parent

    ask_to_die_with_parent()
    lock = threading.Lock()

    def emit(event) -> None:
        with lock:
            sys.stdout.write(event.to_json() + "\n")
            sys.stdout.flush()

    try:
        spec = SweepSpec.from_dict(json.loads(sys.stdin.readline()))
        runner = SweepRunner(spec, emit)
    except (UsageError, TypeError, ValueError) as error:
        emit(UsageProblem(message=str(error)))
        return 2

    def commands() -> None:
        for line in sys.stdin:
            words = line.split()
            if words == ["stop"]:
                runner.stop(cancel_running=False)
            elif words == ["cancel"]:
                runner.stop(cancel_running=True)
            elif len(words) == 2 and words[0] == "cancel_trial" and words[1].isdigit():
                runner.cancel_trial(int(words[1]))
        runner.stop(cancel_running=True)

    threading.Thread(target=commands, name="netyard-commands", daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: runner.stop(cancel_running=True))
    signal.signal(signal.SIGINT, lambda *_: runner.stop(cancel_running=True))
    finished = runner.run()
    return {"finished": 0, "stopped": 130}.get(finished.status, 1)


if __name__ == "__main__":
    sys.exit(main())
