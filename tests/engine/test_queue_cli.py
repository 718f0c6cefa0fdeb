"""``netyard queue``: adding (checked like ``netyard run``), listing, moving, removing,
settings, and ``queue start`` running entries in order in worker processes."""

from __future__ import annotations

import json

import pytest
from netyard_test_support import TINY_CNN, all_runs, tracking_uri, wait_while_running

from engine.cli import main
from engine.queue import QueueRunner, RunQueue

TINY = [arg for key, value in TINY_CNN.items() for arg in ("--set", f"{key}={value}")]
TINY_RUN = ["cnn", "--dataset", "digits", *TINY, "--threads", "1", "--no-model"]

pytestmark = pytest.mark.usefixtures("zygote")  # entries' workers fork from it, as in the app


def listed(capsys, workspace) -> dict:
    capsys.readouterr()
    assert main(["queue", "list", "--json", "--workspace", str(workspace)]) == 0
    return json.loads(capsys.readouterr().out)


def test_bad_input_is_refused_with_the_run_commands_message_and_nothing_is_queued(
    workspace, capsys
):
    code = main(["queue", "add", "run", "cnnn", "--dataset", "digits", "--workspace",
                 str(workspace)])  # fmt: skip
    assert code == 2
    assert "unknown plugin 'cnnn' (did you mean cnn?)" in capsys.readouterr().err
    code = main(["queue", "add", "sweep", "cnn", "--dataset", "digits", "--search", "lr=5:1",
                 "--workspace", str(workspace)])  # fmt: skip
    assert code == 2 and "lr" in capsys.readouterr().err
    assert not (workspace / "queue.json").exists()
    assert main(["queue", "remove", "9", "--workspace", str(workspace)]) == 2
    assert "no queue entry 9; entries: none, the queue is empty" in capsys.readouterr().err


def test_entries_are_listed_moved_removed_and_the_queue_paused(workspace, capsys):
    ws = ["--workspace", str(workspace)]
    for steps in ("5", "6"):
        assert main(["queue", "add", "run", *TINY_RUN, "--steps", steps, *ws]) == 0
    assert main(["queue", "add", "sweep", "cnn", "--dataset", "digits", "--search",
                 "lr=1e-3:1e-1:log", "--trials", "2", "--steps", "5", *ws]) == 0  # fmt: skip
    assert "Queued entry 3: sweep: cnn on digits, 2 trials" in capsys.readouterr().out
    assert main(["queue", "move", "3", "--to", "1", *ws]) == 0
    assert main(["queue", "remove", "2", *ws]) == 0
    assert main(["queue", "pause", *ws]) == 0
    assert main(["queue", "config", "--jobs", "2", "--stop-on-failure", "on", *ws]) == 0
    data = listed(capsys, workspace)
    assert [(e["id"], e["kind"], e["state"]) for e in data["entries"]] == [
        (3, "sweep", "queued"),
        (1, "run", "queued"),
    ]
    run = data["entries"][1]["payload"]
    assert run["hparams"] == {**TINY_CNN, "steps": 5} and run["workspace"] == str(workspace)
    assert data["paused"] and data["max_jobs"] == 2 and data["stop_on_failure"]
    assert main(["queue", "config", "--jobs", "auto", *ws]) == 0
    assert listed(capsys, workspace)["max_jobs"] is None
    assert main(["queue", "move", "3", "--to", "5", *ws]) == 2
    assert "invalid position 5: expected 1 to 2" in capsys.readouterr().err


def test_start_runs_entries_in_order_and_a_failure_does_not_stop_the_queue(
    tracked_workspace, capsys
):
    ws = ["--workspace", str(tracked_workspace)]
    # Valid when queued, but not once it runs: the worker refuses it, the entry fails.
    RunQueue.of_workspace(tracked_workspace).add(
        "run",
        {
            "plugin": "cnn",
            "dataset": "digits",
            "hparams": {"depth": 40},
            "workspace": str(tracked_workspace),
        },  # fmt: skip
    )
    assert main(["queue", "add", "run", *TINY_RUN, "--steps", "4", *ws]) == 0
    assert main(["queue", "start", *ws]) == 1  # an entry failed
    out = capsys.readouterr().out
    assert out.index("[1] failed: invalid value 40 for depth") < out.index("[2] started run")
    assert "[2] finished" in out and "1 finished, 1 failed or killed, 0 still queued" in out
    states = [e["state"] for e in listed(capsys, tracked_workspace)["entries"]]
    assert states == ["failed", "finished"]
    runs = all_runs(tracking_uri(tracked_workspace))
    assert [(r.info.status, r.data.params["steps"]) for r in runs] == [("FINISHED", "4")]


def test_stopping_the_runner_puts_the_running_entry_back_in_the_queue(workspace):
    run_queue = RunQueue.of_workspace(workspace)
    config = {"plugin": "cnn", "dataset": "digits", "hparams": {**TINY_CNN, "steps": 100000},
              "threads": 1, "track": False, "workspace": str(workspace)}  # fmt: skip
    run_queue.add("run", config)
    run_queue.add("run", config)
    seen = []

    def emit(entry_id, event):
        seen.append((entry_id, event.kind))
        if event.kind == "step_metrics":
            runner.stop()

    runner = QueueRunner(run_queue, emit, gpus=[])
    summary = runner.run()
    assert summary.stopped and (summary.finished, summary.failed) == (0, 0)
    assert (2, "queue_entry_started") not in seen  # nothing new starts once stopping
    assert [e.state for e in run_queue.state().entries] == ["queued", "queued"]
    assert run_queue.state().entries[0].message == "interrupted; runs again from its start"


# -- one runner per queue ----------------------------------------------------------------------
CLI = "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))"


def test_a_second_queue_start_on_a_workspace_is_refused_while_the_first_runs(workspace, capsys):
    """Two runners once counted only their own jobs: with a limit of one, both ran one. The
    first runs in a process of its own; the second is refused before it runs anything, so
    it runs here."""
    import signal
    import subprocess
    import sys

    from engine.queue import exclusive_runner

    run_queue = RunQueue.of_workspace(workspace)
    long_run = {"plugin": "cnn", "dataset": "digits", "hparams": {**TINY_CNN, "steps": 100000},
                "threads": 1, "track": False, "workspace": str(workspace)}  # fmt: skip
    run_queue.add("run", long_run)
    run_queue.add("run", long_run)
    run_queue.set_settings(max_jobs=1)
    start = [sys.executable, "-c", CLI, "queue", "start", "--workspace", str(workspace)]
    first = subprocess.Popen(start, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_while_running(lambda: run_queue.state().running(), first, "entry running")
        assert main(start[3:]) == 2
        second = capsys.readouterr()
        assert second.out == ""
        assert second.err == (
            f"netyard: error: the queue of {workspace} is already run by pid {first.pid} "
            "(netyard queue start); entries added now start there in turn\n"
        )
        assert [e.state for e in run_queue.state().entries] == ["running", "queued"]
    finally:
        first.send_signal(signal.SIGTERM)  # stops after its step; the entry goes back
        first.communicate(timeout=120)
    assert first.returncode == 130
    assert [e.state for e in run_queue.state().entries] == ["queued", "queued"]
    with exclusive_runner(run_queue.path):  # the runner's exit released the lock
        pass
