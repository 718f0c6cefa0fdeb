"""Every use of Optuna's private API, in one place (pyproject bounds Optuna below 6).

Optuna has no public call for these: a trial's storage id (what MLflow tags name a trial by
across processes), writing a stale trial's state without a ``Trial`` object of the process
that ran it, and the journal file's lock and op codes (for fewer fsyncs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.errors import as_no_space


def trial_id(trial) -> int:
    """The storage's id of ``trial`` (unique across studies; ``number`` is per study)."""
    return trial._trial_id


def fail_stale_trial(study, trial, attrs: dict[str, Any]) -> None:
    """Set ``attrs`` on a trial another process ran and end it FAIL."""
    from optuna.trial import TrialState

    storage = study._storage
    for key, value in attrs.items():
        storage.set_trial_user_attr(trial._trial_id, key, value)
    storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)


def journal_backend_class() -> type:
    """Optuna's journal file backend, made safe against torn writes and fsyncing only what
    decides a trial's fate.

    Torn writes: opening the journal cuts off a torn record under the file's lock
    (``_journal_repair``), and an append that fails (a full disk) is cut back to where it
    began and raises ``NoSpaceLeft``: no record is ever half in the file, and no append ever
    lands after half a record (which made every study in the file unreadable).

    Fewer fsyncs: Optuna fsyncs every append (7 ms each against 0.5 ms without, measured
    here), and a trial makes many: its parameters one by one, the coordinator's attributes
    (host, pid, MLflow run) and one report per evaluation. Those are still written under the
    file lock, in order, but without their own fsync; creating a trial and its final state
    (tell) are fsynced as before, which makes everything written before them durable too. A
    power loss can only lose details of a trial that is running, which is then reconciled
    FAIL anyway. (Uses Optuna's private ``get_lock_file`` and the journal's op codes.)
    """
    import json
    import sys

    from optuna.storages.journal import JournalFileBackend
    from optuna.storages.journal._file import get_lock_file
    from optuna.storages.journal._storage import JournalOperation

    from engine.sweeps._journal_repair import append_whole, repair_journal

    unsynced = {
        JournalOperation.SET_TRIAL_PARAM,
        JournalOperation.SET_TRIAL_INTERMEDIATE_VALUE,
        JournalOperation.SET_TRIAL_USER_ATTR,
    }

    class TornWriteSafeJournalFileBackend(JournalFileBackend):
        def __init__(self, file_path: str) -> None:
            try:
                super().__init__(file_path)
                with get_lock_file(self._lock):
                    dropped = repair_journal(Path(file_path))
            except OSError as error:
                raise _no_space_or(error, file_path) from None
            for piece in dropped:
                print(
                    f"netyard: journal {file_path} held {piece}, left by a write that failed "
                    "(a full disk or a crash): dropped it; the studies read as before it",
                    file=sys.stderr,
                )

        def append_logs(self, logs: list[dict[str, Any]]) -> None:
            text = "\n".join(json.dumps(log, separators=(",", ":")) for log in logs) + "\n"
            sync = not all(log.get("op_code") in unsynced for log in logs)
            try:
                with get_lock_file(self._lock):
                    append_whole(Path(self._file_path), text.encode("utf-8"), sync)
            except OSError as error:
                raise _no_space_or(error, self._file_path) from None

    return TornWriteSafeJournalFileBackend


def _no_space_or(error: OSError, journal: str) -> BaseException:
    """``NoSpaceLeft`` naming the journal's folder if a full disk caused ``error``, else it."""
    return as_no_space(error, str(Path(journal).parent)) or error
