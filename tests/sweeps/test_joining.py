"""Joining a sweep (``netyard worker``) on a shared storage, without a PostgreSQL server: a
worker waits for the coordinator to say where the trials' runs go, or refuses with one line
and writes nothing, and its view of the best is the study's, not only its own trials'."""

from __future__ import annotations

import optuna
from optuna.distributions import FloatDistribution

from engine.cli import main
from engine.sweeps import BestChanged, SweepRunner, TrialStarted, join_sweep, resolve_spec
from engine.sweeps._reconcile import HOST_ATTR, PID_ATTR
from engine.sweeps._storage import open_storage
from engine.sweeps._study import SPEC_ATTR, open_study
from tests.sweeps.conftest import Recorder, tiny_spec


def test_a_worker_waits_for_the_coordinators_parent_run_then_refuses(workspace, tmp_path, capsys):
    """The study exists with its spec, as right after ``netyard sweep`` created it, but its
    coordinator has not yet made the parent run: trials run now would go to the worker's
    own store with no parent (issue 23: two of six trials missing from the server)."""
    storage = f"journal:{tmp_path / 'shared.journal'}"
    spec = tiny_spec(workspace, "unstarted", "lr=1e-3:1e-1:log", trials=2, storage=storage)
    open_study(resolve_spec(spec), open_storage(storage), join=False)
    own = tmp_path / "worker-machine"
    code = main(["worker", "--study", "unstarted", "--storage", storage, "--wait", "1",
                 "--workspace", str(own)])  # fmt: skip
    error = capsys.readouterr().err
    assert code == 2, error
    lines = error.strip().splitlines()
    assert lines[0] == (
        "netyard: waiting up to 1 s for sweep 'unstarted': sweep 'unstarted' has no MLflow "
        "parent run yet: its coordinator (netyard sweep ... --name unstarted) has not started "
        "it, and trials run now would not reach the sweep's tracking server"
    )
    assert len(lines) == 2 and lines[1].endswith("(waited 1 s)"), error
    assert not own.exists(), "the worker wrote to its own disk"


def test_a_joiner_shows_the_studys_best_not_only_its_own(workspace, tmp_path):
    storage = f"journal:{tmp_path / 'best.journal'}"
    name = "best-of-study"
    spec = tiny_spec(workspace, name, "lr=1e-3:1e-1:log", trials=1, storage=storage,
                     pruner="none")  # fmt: skip
    assert SweepRunner(spec).run().status == "finished"
    study = optuna.load_study(study_name=name, storage=open_storage(storage))
    first = study.best_trial
    # The budget raised (as `netyard sweep --trials 2` resuming it would): one more trial.
    study.set_user_attr(SPEC_ATTR, {**study.user_attrs[SPEC_ATTR], "trials": 2})
    events = Recorder()

    def emit(event) -> None:
        events(event)
        if isinstance(event, TrialStarted):  # meanwhile another machine finishes a better one
            study.add_trial(
                optuna.trial.create_trial(
                    params={"lr": 0.01},
                    distributions={"lr": FloatDistribution(1e-3, 1e-1, log=True)},
                    value=2.0,
                    user_attrs={HOST_ATTR: "another-machine", PID_ATTR: 1},
                )
            )

    assert join_sweep(name, storage, emit=emit, workspace=str(workspace)).run().status == "finished"
    best = events.of(BestChanged)
    assert (best[0].number, best[0].values) == (first.number, first.values)  # found on joining
    assert best[-1].values == [2.0] and best[-1].params == {"lr": 0.01}  # the study's, not ours
