"""The line ``netyard run`` prints when a run is stopped resumes that same run: every option it
was started with, quoted for the shell (issue 25, part 5)."""

from __future__ import annotations

import shlex

from netyard_test_support import netyard_here


def test_the_resume_line_of_a_stopped_run_resumes_it_with_its_options(
    tmp_path, fixture_plugins, capsys
):
    workspace = tmp_path / "my workspace"  # a space: the line must be quoted
    argv = ["run", "stops_itself", "--dataset", "digits", "--set", "stop_at_step=2"]
    argv += ["--set", "lr=0.05", "--steps", "4", "--seed", "3", "--device", "cpu"]
    argv += ["--threads", "1", "--workspace", str(workspace), "--no-track"]
    assert netyard_here(*argv) == 130
    out = capsys.readouterr().out
    assert "Status: STOPPED at step 2" in out
    line = next(line for line in out.splitlines() if line.startswith("Resume: "))
    words = shlex.split(line.removeprefix("Resume: "))
    assert words[:3] == ["netyard", "run", "stops_itself"]
    for option in (["--set", "stop_at_step=2"], ["--set", "lr=0.05"], ["--set", "steps=4"],
                   ["--seed", "3"], ["--device", "cpu"], ["--threads", "1"],
                   ["--workspace", str(workspace)], ["--no-track"]):  # fmt: skip
        assert shlex.join(option) in shlex.join(words), (option, line)

    # Run as printed, it continues the run from its checkpoint (a changed lr would be refused).
    assert netyard_here(*words[1:]) == 0
    assert "Status: FINISHED at step 4" in capsys.readouterr().out
