"""The run queue's file: order, moves, removal, pause, claims, recovery after a crash."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from engine.errors import UsageError
from engine.queue import INTERRUPTED, RunQueue, entry_title, this_process

RUN = {"plugin": "cnn", "dataset": "digits", "hparams": {"steps": 5}, "seed": 0}
SWEEP = {"plugin": "cnn", "dataset": "digits", "search": {}, "parallel": 3}


def titles(run_queue: RunQueue) -> list[str]:
    return [f"{e.id}:{e.state}" for e in run_queue.state().entries]


def test_entries_keep_their_order_moves_and_removals_across_reopening(tmp_path):
    run_queue = RunQueue.of_workspace(tmp_path)
    for seed in (1, 2, 3):
        run_queue.add("run", {**RUN, "seed": seed})
    run_queue.move(3, 1)
    run_queue.remove(2)
    reopened = RunQueue.of_workspace(tmp_path)  # another process would read the same
    assert [(e.id, e.payload["seed"]) for e in reopened.state().entries] == [(3, 3), (1, 1)]
    assert reopened.add("run", RUN).id == 4  # ids are never reused
    assert reopened.entry(3).title == "cnn on digits (seed 3, 5 steps)"
    assert not list(tmp_path.glob(".queue-*"))  # no temporary file left behind


def test_bad_ids_and_positions_are_refused_naming_the_valid_ones(tmp_path):
    run_queue = RunQueue.of_workspace(tmp_path)
    run_queue.add("run", RUN)
    run_queue.add("run", RUN)
    with pytest.raises(UsageError, match=r"no queue entry 7; entries: 1, 2"):
        run_queue.remove(7)
    with pytest.raises(UsageError, match=r"invalid position 3: expected 1 to 2"):
        run_queue.move(1, 3)
    with pytest.raises(UsageError, match="invalid number of jobs at once 0"):
        run_queue.set_settings(max_jobs=0)
    assert titles(run_queue) == ["1:queued", "2:queued"]


def test_claims_go_in_order_and_respect_pause_and_room(tmp_path):
    run_queue = RunQueue.of_workspace(tmp_path)
    run_queue.add("sweep", SWEEP)  # three parallel trials: three of the jobs at once
    run_queue.add("run", RUN)
    me = this_process()
    run_queue.set_paused(True)
    assert run_queue.claim_next(me, free=4, jobs_at_once=4) is None
    run_queue.set_paused(False)
    assert run_queue.claim_next(me, free=2, jobs_at_once=4) is None  # the sweep holds the line
    assert run_queue.claim_next(me, free=4, jobs_at_once=4).id == 1
    assert run_queue.claim_next(me, free=1, jobs_at_once=4).id == 2
    with pytest.raises(UsageError, match="entry 1 is running; stop its job first"):
        run_queue.remove(1)
    assert run_queue.finish(1, "failed", "boom") is False  # stop_on_failure is off
    run_queue.set_settings(stop_on_failure=True)
    assert run_queue.finish(2, "failed", "boom again") is True
    state = run_queue.state()
    assert state.paused and [e.state for e in state.entries] == ["failed", "failed"]
    assert run_queue.clear_ended() == 2 and run_queue.state().entries == []


def test_an_entry_whose_runner_died_goes_back_in_the_queue(tmp_path):
    run_queue = RunQueue.of_workspace(tmp_path)
    run_queue.add("run", RUN)
    run_queue.add("run", RUN)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    gone = {**this_process(), "pid": int(dead.stdout), "since": None}
    assert run_queue.claim_next(gone, free=1, jobs_at_once=1).id == 1
    entries = RunQueue.of_workspace(tmp_path).state().entries
    assert [(e.id, e.state, e.message) for e in entries] == [
        (1, "queued", INTERRUPTED),  # its runner is gone: it runs again, first
        (2, "queued", ""),
    ]
    alive = this_process()
    assert run_queue.claim_next(alive, free=1, jobs_at_once=1).id == 1
    assert titles(run_queue) == ["1:running", "2:queued"]  # a live runner keeps it
    run_queue.requeue([1], gone)  # only the runner that holds it puts it back
    assert titles(run_queue) == ["1:running", "2:queued"]
    run_queue.requeue([1], alive)
    assert titles(run_queue) == ["1:queued", "2:queued"]


def test_an_unreadable_queue_file_is_reported_and_left_as_it_is(tmp_path):
    path = tmp_path / "queue.json"
    path.write_text("{not json")
    with pytest.raises(UsageError, match="cannot be read .* move it away"):
        RunQueue(path).add("run", RUN)
    assert path.read_text() == "{not json"


def test_what_another_runner_runs_counts_against_the_queues_limit(tmp_path):
    """The app's window and ``netyard queue start`` on one workspace: one limit for both."""
    run_queue = RunQueue.of_workspace(tmp_path)
    run_queue.add("run", RUN)
    run_queue.add("run", RUN)
    elsewhere = {"pid": 1, "host": "another-machine", "since": None}  # taken to be alive
    assert run_queue.claim_next(elsewhere, free=1, jobs_at_once=1).id == 1
    assert run_queue.claim_next(this_process(), free=1, jobs_at_once=1) is None
    assert run_queue.claim_next(this_process(), free=2, jobs_at_once=2).id == 2


INVALID_VALUES = [
    (
        ("entries", 0, "state"),
        "bogus",
        'entry 1 has state "bogus"; valid: queued, running, finished, stopped, failed, killed',
    ),
    (("entries", 0, "id"), -1, "entry number 1 in the list has id -1; valid: a whole number"),
    (("entries", 0, "id"), None, "entry number 1 in the list has id null; valid: a whole"),
    (("entries", 1, "id"), 1, "two entries have id 1; each needs its own"),
    (("entries", 0, "kind"), "job", 'entry 1 has kind "job"; valid: run, sweep'),
    (("entries", 0, "added_at"), "yesterday", 'entry 1 has added_at "yesterday"; valid: seconds'),
    (("entries", 0, "payload"), [1], "entry 1 has payload [1]; valid: an object"),
    (("entries", 0, "owner"), "me", 'entry 1 has owner "me"; valid: null or {pid, host, since}'),
    (("entries", 1, "payload", "parallel"), "abc", 'entry 2 has parallel "abc"; valid: a whole'),
    (("max_jobs",), "two", 'max_jobs is "two"; valid: null (one per GPU) or 1 to 1024'),
    (("paused",), "no", 'paused is "no"; valid: true or false'),
    (("next_id",), 2, "next_id is 2; valid: a whole number above every entry's id (at least 3)"),
]


@pytest.mark.parametrize(
    ("where", "value", "problem"),
    INVALID_VALUES,
    ids=["state", "negative-id", "null-id", "same-id", "kind", "added-at", "payload", "owner",
         "parallel", "max-jobs", "paused", "next-id"],
)  # fmt: skip
def test_a_queue_file_with_a_bad_value_is_one_line_and_left_as_it_is(
    tmp_path, capsys, where, value, problem
):
    from engine.cli import main

    run_queue = RunQueue.of_workspace(tmp_path)
    run_queue.add("run", RUN)
    run_queue.add("sweep", SWEEP)
    data = json.loads(run_queue.path.read_text())
    *parents, last = where
    target = data
    for key in parents:
        target = target[key]
    target[last] = value
    text = json.dumps(data, indent=1)
    run_queue.path.write_text(text)
    assert main(["queue", "list", "--workspace", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    prefix = f"netyard: error: the queue file {run_queue.path} is not valid: "
    assert err.startswith(prefix + problem), err
    assert err.endswith("; correct it or move it away to start an empty queue\n")
    assert err.count("\n") == 1
    with pytest.raises(UsageError, match="is not valid"):
        run_queue.add("run", RUN)
    assert run_queue.path.read_text() == text  # nothing written into it


def test_queue_add_writes_nothing_into_a_queue_file_with_a_bad_value(tmp_path, capsys):
    from engine.cli import main

    run_queue = RunQueue.of_workspace(tmp_path)
    run_queue.add("run", RUN)
    text = run_queue.path.read_text().replace('"queued"', '"bogus"')
    run_queue.path.write_text(text)
    command = ["queue", "add", "run", "cnn", "--dataset", "digits", "--workspace", str(tmp_path)]
    assert main(command) == 2
    assert 'entry 1 has state "bogus"' in capsys.readouterr().err
    assert run_queue.path.read_text() == text


def test_entries_are_titled_by_what_they_run():
    assert entry_title("sweep", {**SWEEP, "name": "s1"}) == "sweep s1: cnn on digits, 20 trials"
