"""A command says at once what it is doing: plain lines when piped, one line rewritten in
place on a terminal, erased before the command's own output or its error."""

from __future__ import annotations

import io
import os
import sys

from netyard_test_support import netyard_here

from engine.cli._status import Status


def test_piped_each_step_is_a_plain_line_on_stderr(workspace, capsys):
    assert netyard_here("sweeps", "--workspace", str(workspace)) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "Checking the workspace's runs...",
        f"Reading the sweeps in journal:{workspace / 'optuna.journal'}...",
    ]
    assert "\r" not in captured.err and "\x1b" not in captured.err
    assert captured.out.splitlines()[-1] == "No sweeps yet."  # the result, on stdout


def test_on_a_terminal_the_line_is_rewritten_in_place_and_erased():
    stream = io.StringIO()
    status = Status(stream, live=True)
    status.say("Loading the model")
    status.say("Predicting")
    status.clear()
    text = stream.getvalue()
    assert "\n" not in text
    assert text.startswith("\r| Loading the model...\x1b[K")
    assert "\r| Predicting...\x1b[K" in text
    assert text.endswith("\r\x1b[K")  # erased: what follows starts at the line's start


def test_an_error_on_a_terminal_starts_on_a_line_of_its_own(workspace, monkeypatch):
    """The spinner's line is erased before ``netyard: error: ...`` is printed."""
    leader, follower = os.openpty()
    terminal = open(follower, "w")  # noqa: SIM115 - closed below, read through the leader
    try:
        monkeypatch.setattr(sys, "stderr", terminal)
        code = netyard_here("run", "cnn", "--dataset", "no-such-set", "--workspace", str(workspace))
        terminal.flush()
        written = _read_all(leader)
    finally:
        terminal.close()
        os.close(leader)
    assert code == 2
    spinner, error = written.rsplit("\r\x1b[K", 1)
    assert "Loading plugin cnn and dataset no-such-set..." in spinner
    assert error.startswith("netyard: error: ") and "no-such-set" in error


def _read_all(leader: int) -> str:
    """Everything written to the terminal so far: a pty hands it over in pieces."""
    import select

    chunks = []
    while select.select([leader], [], [], 0.5)[0]:
        chunk = os.read(leader, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode()
