"""``python -m engine.sweeps``: a sweep coordinator in its own process, driven over pipes.

Its first command (``engine.worker._protocol``) is ``sweep`` with a ``SweepSpec``; it runs
``SweepRunner`` and prints its events as JSON lines, like ``netyard sweep --json``. Further
commands let the app's Jobs panel and the queue act on the sweep and on one trial:

- ``stop``: start no new trial, let the running ones finish;
- ``cancel``: stop the running trials too (they run again when the sweep is run again), as
  SIGTERM does;
- ``cancel_trial`` (``trial``: N): stop trial N only (it ends stopped by you).

End of file on stdin (its parent is gone) cancels everything; it also dies with its parent.
Exit status: 0 finished, 130 stopped, 1 failed, 2 invalid spec.
"""

from __future__ import annotations

import sys
import threading


def main() -> int:
    from engine.errors import UsageError
    from engine.states import State
    from engine.sweeps import SweepSpec, runner_for
    from engine.worker import (
        JsonLines,
        UsageProblem,
        die_with_parent,
        on_stop_signals,
        read_command,
    )

    die_with_parent()
    emit = JsonLines(sys.stdout)
    first = read_command(sys.stdin.readline()) or {}
    try:
        if first.get("command") != "sweep":
            raise UsageError('the first command must be {"command": "sweep", "spec": {...}}')
        runner = runner_for(SweepSpec.from_dict(first.get("spec")), emit)
    except (UsageError, TypeError, ValueError) as error:
        emit(UsageProblem(message=str(error)))
        return 2

    def commands() -> None:
        for line in sys.stdin:
            fields = read_command(line) or {}
            name = fields.get("command")
            if name == "stop":
                runner.stop(cancel_running=False)
            elif name == "cancel":
                runner.stop(cancel_running=True)
            elif name == "cancel_trial" and isinstance(fields.get("trial"), int):
                runner.cancel_trial(fields["trial"])
        runner.stop(cancel_running=True)

    threading.Thread(target=commands, name="netyard-commands", daemon=True).start()
    on_stop_signals(lambda: runner.stop(cancel_running=True))
    finished = runner.run()
    return State(finished.status).exit_code


if __name__ == "__main__":
    sys.exit(main())
