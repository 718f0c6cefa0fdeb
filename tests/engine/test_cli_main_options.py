"""Options the main parser takes before the command (issue 25, part 5)."""

from __future__ import annotations

from netyard_test_support import netyard_here


def test_workspace_may_come_before_the_command_and_the_commands_own_wins(tmp_path, capsys):
    before, own = tmp_path / "before", tmp_path / "own"
    assert netyard_here("--workspace", str(before), "sweeps") == 0
    assert f"Storage: journal:{before}/" in capsys.readouterr().out
    assert netyard_here("--workspace", str(before), "sweeps", "--workspace", str(own)) == 0
    assert f"Storage: journal:{own}/" in capsys.readouterr().out
