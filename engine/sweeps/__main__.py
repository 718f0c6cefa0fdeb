"""``python -m engine.sweeps``: a sweep coordinator in its own process, driven over pipes.

It reads a ``SweepSpec`` as one JSON line on stdin, runs ``SweepRunner`` and prints its
events as JSON lines, like ``netyard sweep --json``; it also takes commands on stdin, so the
app's jobs panel can act on the sweep and on one trial:

- ``stop``: start no new trial, let the running ones finish;
- ``cancel``: stop and cancel the running trials (they end FAIL, rerun if the sweep is run
  again), as SIGTERM does;
- ``cancel_trial N``: stop trial N only (it ends stopped by you).

End of file on stdin (its parent is gone) cancels everything; it also dies with its parent.
Exit status: 0 finished, 130 stopped, 1 failed, 2 invalid spec.
"""

from __future__ import annotations

import json
import signal
import sys
import threading


def main() -> int:
    from engine.errors import UsageError
    from engine.states import State
    from engine.sweeps import SweepRunner, SweepSpec
    from engine.worker import JsonLines, UsageProblem, die_with_parent

    die_with_parent()
    emit = JsonLines(sys.stdout)
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
    return State(finished.status).exit_code


if __name__ == "__main__":
    sys.exit(main())
