"""The one command protocol to engine processes: JSON objects, one per line."""

from __future__ import annotations

import json

from engine.worker import command
from engine.worker._protocol import read_command


def test_a_command_is_one_json_line_that_reads_back_whole():
    line = command("run", job=3, config={"plugin": "cnn", "hparams": {"steps": 5}})
    assert "\n" not in line and json.loads(line)["command"] == "run"
    assert read_command(line + "\n") == {
        "command": "run", "job": 3, "config": {"plugin": "cnn", "hparams": {"steps": 5}}
    }  # fmt: skip
    assert read_command(command("cancel_trial", trial=2)) == {"command": "cancel_trial", "trial": 2}


def test_lines_that_are_no_command_are_told_apart_not_raised():
    # The old text commands, a bare spec, a list, broken JSON: none is a command.
    for line in ("stop 0", "cancel", '{"plugin": "cnn"}', "[1]", '{"command": 1}', "{oops"):
        assert read_command(line) is None, line
