"""Checking the values of a queue file before anything reads or rewrites it.

``queue.json`` is plain JSON a user may edit. A file of the right shape with a wrong value (a
state that is no state, an id of -1, a time that is text) once made ``netyard queue list``
fail with a traceback, while ``queue add`` wrote it back with the new entry. ``check_queue``
raises ``InvalidQueue`` naming the entry, the bad value and what is valid; the store turns it
into one ``UsageError`` and leaves the file as it is.

Only what the queue itself reads is checked here. A payload's own values (a hyperparameter,
a dataset) are checked by the run or sweep when its entry starts, which then fails with that
check's sentence.
"""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn

from engine.queue._entries import KINDS, STATES

VERSION = 1
TOP_FIELDS = ("version", "paused", "max_jobs", "stop_on_failure", "next_id", "entries")
ENTRY_FIELDS = ("id", "kind", "payload", "title", "state", "message", "added_at",
                "started_at", "ended_at", "owner")  # fmt: skip
REQUIRED_ENTRY_FIELDS = ("id", "kind", "payload", "title")
OWNER_FIELDS = ("pid", "host", "since")
MAX_JOBS = 1024
LAST_TIME = 253_402_300_799.0  # 9999-12-31 23:59:59 UTC: the clock a listing can show


class InvalidQueue(ValueError):
    """A value of the queue file is wrong: the message names it and what is valid."""


def _shown(value: Any) -> str:
    """A value as the file spells it (JSON: null, true, "text"), cut short."""
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _whole(value: Any, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _time(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value) and 0 <= value <= LAST_TIME)  # fmt: skip


def _unknown(fields: dict[str, Any], valid: tuple[str, ...], where: str) -> None:
    unknown = [name for name in fields if name not in valid]
    if unknown:
        raise InvalidQueue(
            f"{where} has an unknown field {_shown(unknown[0])}; valid: {', '.join(valid)}"
        )


def check_queue(data: Any) -> None:
    """Raise ``InvalidQueue`` unless ``data`` (the parsed file) holds a valid queue."""
    if not isinstance(data, dict):
        raise InvalidQueue(f"it holds a JSON {type(data).__name__}, not an object")
    _unknown(data, TOP_FIELDS, "the queue")
    if data.get("version", VERSION) != VERSION:
        raise InvalidQueue(
            f"it has version {_shown(data['version'])}; this Netyard reads {VERSION}"
        )
    for name in ("paused", "stop_on_failure"):
        if not isinstance(data.get(name, False), bool):
            raise InvalidQueue(f"{name} is {_shown(data[name])}; valid: true or false")
    max_jobs = data.get("max_jobs")
    if max_jobs is not None and not (_whole(max_jobs, 1) and max_jobs <= MAX_JOBS):
        raise InvalidQueue(
            f"max_jobs is {_shown(max_jobs)}; valid: null (one per GPU) or 1 to {MAX_JOBS}"
        )
    entries = data.get("entries", [])
    if not isinstance(entries, list):
        raise InvalidQueue(f"entries is {_shown(entries)}; valid: a list of entries")
    ids: set[int] = set()
    for position, entry in enumerate(entries, start=1):
        entry_id = _check_entry(entry, position)
        if entry_id in ids:
            raise InvalidQueue(f"two entries have id {entry_id}; each needs its own")
        ids.add(entry_id)
    next_id = data.get("next_id", 1)
    if not _whole(next_id, max(ids, default=0) + 1):
        raise InvalidQueue(
            f"next_id is {_shown(next_id)}; valid: a whole number above every entry's id "
            f"(at least {max(ids, default=0) + 1})"
        )


def _check_entry(entry: Any, position: int) -> int:
    where = f"entry number {position} in the list"
    if not isinstance(entry, dict):
        raise InvalidQueue(f"{where} is {_shown(entry)}, not an object")
    _unknown(entry, ENTRY_FIELDS, where)
    for name in REQUIRED_ENTRY_FIELDS:
        if name not in entry:
            raise InvalidQueue(f"{where} has no {_shown(name)}")
    entry_id = entry["id"]
    if not _whole(entry_id, 1):
        raise InvalidQueue(f"{where} has id {_shown(entry_id)}; valid: a whole number from 1")
    where = f"entry {entry_id}"

    def refuse(name: str, valid: str) -> NoReturn:
        raise InvalidQueue(f"{where} has {name} {_shown(entry[name])}; valid: {valid}")

    if entry["kind"] not in KINDS:
        refuse("kind", ", ".join(KINDS))
    if entry.get("state", STATES[0]) not in STATES:
        refuse("state", ", ".join(STATES))
    for name in ("title", "message"):
        if not isinstance(entry.get(name, ""), str):
            refuse(name, "text")
    if not _time(entry.get("added_at", 0.0)):
        refuse("added_at", "seconds since 1970")
    for name in ("started_at", "ended_at"):
        if entry.get(name) is not None and not _time(entry[name]):
            refuse(name, "null or seconds since 1970")
    _check_owner(entry.get("owner"), where)
    payload = entry["payload"]
    if not isinstance(payload, dict):
        refuse("payload", f"an object (the {entry['kind']}'s settings)")
    parallel = payload.get("parallel")
    if entry["kind"] == "sweep" and parallel is not None and not _whole(parallel, 1):
        raise InvalidQueue(f"{where} has parallel {_shown(parallel)}; valid: a whole number from 1")
    return entry_id


def _check_owner(owner: Any, where: str) -> None:
    if owner is None:
        return
    valid = "null or {pid, host, since} of the process that runs it"
    if not isinstance(owner, dict):
        raise InvalidQueue(f"{where} has owner {_shown(owner)}; valid: {valid}")
    _unknown(owner, OWNER_FIELDS, f"{where}'s owner")
    since = owner.get("since")
    if not (_whole(owner.get("pid"), 1) and isinstance(owner.get("host"), str)
            and (since is None or _whole(since, 0))):  # fmt: skip
        raise InvalidQueue(f"{where} has owner {_shown(owner)}; valid: {valid}")
