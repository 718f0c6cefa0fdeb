"""Population-based training on the worker slots (``--algorithm pbt``; Jaderberg et al.
2017, Ray Tune's ``PopulationBasedTraining`` is the reference).

``population`` members, each one Optuna trial (its first parameters are the sampler's draws)
and one MLflow run, train segment by segment: every member trains to the next multiple of
``interval`` steps and pauses there with a checkpoint (``RunConfig.pause_at``). Once all have
paused, the bottom quantile copy a top member's checkpoint (weights, optimizer state, step)
into their own checkpoint folder and take its hyperparameters, explored (``_pbt_policy``);
then every member resumes its own checkpoint in its own run (``continue_run_id``,
``retune``), so its curves go on from the copied step, each step logged once. Generations are
synchronous (Ray's ``synch=True``): the decisions depend on the population only, not on which
member a slot happened to finish first, and a resumed coordinator repeats them.

The population's state (members, their trials and runs, the step each paused at, their
parameters and exploits, the generation) is the study's user attr ``PBT_ATTR``, written at
every change: a coordinator killed (kill -9) and run again with the same sweep name takes
back the members' trials before they are reconciled as dead, and resumes each member from its
checkpoint. The Optuna trial is told the member's final objective value.
"""

from __future__ import annotations

import json
import math
import os
import random
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from engine.atomic_files import write_atomically
from engine.errors import UsageError
from engine.events import EvalMetrics, RunCancelled, RunFinished, RunStarted
from engine.sweeps._algorithms import interval_steps
from engine.sweeps._events import TrialStarted
from engine.sweeps._outcomes import RunningTrial
from engine.sweeps._pbt_policy import Range, decide
from engine.sweeps._reconcile import HEARTBEAT_ATTR, HOST_ATTR, PID_ATTR
from engine.sweeps._runner import SweepRunner, _intermediate_metric

PBT_ATTR = "netyard.pbt"  # the study's user attr holding the population
MEMBER_TAG = "netyard.pbt.member"
EXPLOITED_TAG = "netyard.pbt.exploited"  # how many times the member copied another
EXPLOITS_ARTIFACT = "pbt_exploits.json"  # each exploit: step, source, old and new values
FINAL_PARAMS_ATTR = "netyard.pbt.final_params"  # a trial's parameters when it finished
LAST = "last.ckpt"


@dataclass
class Member:
    index: int
    trial: int  # its Optuna trial's number
    params: dict[str, Any]  # its searched hyperparameters now
    run_id: str | None = None
    step: int = 0  # where it last paused
    score: float | None = None  # its objective's validation value there
    exploits: list[dict[str, Any]] = field(default_factory=list)
    done: bool = False  # finished, failed or stopped: out of the population


def ranges_of(distributions: dict[str, Any]) -> dict[str, Range]:
    """Where each searched hyperparameter may move, from its Optuna distribution."""
    from optuna.distributions import CategoricalDistribution, IntDistribution

    ranges = {}
    for name, dist in distributions.items():
        if isinstance(dist, CategoricalDistribution):
            ranges[name] = Range(choices=tuple(dist.choices))
        else:
            integer = isinstance(dist, IntDistribution)
            ranges[name] = Range(dist.low, dist.high, log=dist.log, integer=integer)
    return ranges


def check_shapes_kept(resolved, datasets_dir: Path) -> None:
    """One ``UsageError`` for a searched hyperparameter that changes the network's shapes:
    an exploit copies a member's weights into another member's network, which must take
    them whatever values each holds. Each searched value is tried at its ends (or each
    choice) with the others at their lows, on the sweep's dataset; tiny next to a sweep."""
    from engine.runner import dataset_for

    spec, plugin_cls = resolved.spec, resolved.plugin_cls
    ranges = ranges_of(resolved.distributions)
    if not ranges:
        return
    dataset = dataset_for(plugin_cls, spec.dataset).load(
        datasets_dir, spec.seed, float(resolved.fixed.get("val_fraction", 0.1))
    )
    lows = {name: where.choices[0] if where.choices else where.low
            for name, where in ranges.items()}  # fmt: skip

    def shapes(values: dict[str, Any]) -> dict[str, tuple[int, ...]]:
        plugin = plugin_cls({**resolved.fixed, **lows, **values}, dataset.spec)
        plugin.setup(dataset)
        return {key: tuple(v.shape) for key, v in plugin.build_model().state_dict().items()}

    base = shapes({})
    for name, where in ranges.items():
        tried = where.choices if where.choices else (where.high,)
        if any(shapes({name: value}) != base for value in tried):
            raise UsageError(
                f"population-based training cannot search {name!r}: its values change the "
                f"network's shapes, and an exploit copies one member's weights into another; "
                f"fix {name} (--set {name}=...) and search what keeps the shapes (lr, "
                f"weight_decay, dropout...), or use another --algorithm"
            )


class PbtRunner(SweepRunner):
    """A ``SweepRunner`` whose trials are a population trained in segments."""

    def __init__(self, spec, emit=lambda event: None, *, join: bool = False) -> None:
        super().__init__(spec, emit, join=join)
        from engine.workspace import Workspace

        check_shapes_kept(self.resolved, Workspace.resolve(spec.workspace).datasets_dir)
        self.interval = interval_steps(spec, self.resolved.steps)
        self.members: list[Member] = []
        self.generation = 0
        self.exploit_seconds: list[float] = []  # each checkpoint copy (the benchmark's)
        self._trials: dict[int, Any] = {}  # trial number -> optuna.Trial

    # -- the population's state -------------------------------------------------------------
    def _adopt_trials(self) -> None:
        """A population left by a dead coordinator: its members' trials become this process's
        before the reconcile would fail them."""
        import optuna

        state = self.study.user_attrs.get(PBT_ATTR)
        if not state:
            return
        self.generation = int(state["generation"])
        self.members = [Member(**member) for member in state["members"]]
        running = {t.number: t for t in self.study.get_trials(deepcopy=False)
                   if t.state == optuna.trial.TrialState.RUNNING}  # fmt: skip
        for member in self.members:
            frozen = running.get(member.trial)
            if frozen is None:
                member.done = True  # ended (or failed) meanwhile: out of the population
                continue
            trial = optuna.trial.Trial(self.study, frozen._trial_id)
            self._claim(trial)
            self._trials[member.trial] = trial

    def _claim(self, trial) -> None:
        trial.set_user_attr(HOST_ATTR, socket.gethostname())
        trial.set_user_attr(PID_ATTR, os.getpid())
        trial.set_user_attr(HEARTBEAT_ATTR, time.time())

    def _save(self) -> None:
        state = {"generation": self.generation, "interval": self.interval,
                 "steps": self.resolved.steps,
                 "members": [asdict(member) for member in self.members]}  # fmt: skip
        with self.optuna_clock:
            self.study.set_user_attr(PBT_ATTR, state)

    def _create_population(self) -> None:
        with self.optuna_clock:
            for index in range(self.spec.population):
                trial = self.study.ask(self.resolved.distributions)
                self._claim(trial)
                self._trials[trial.number] = trial
                self.members.append(Member(index, trial.number, dict(trial.params)))
        self._save()

    # -- generations ------------------------------------------------------------------------
    def _boundary(self) -> int:
        return min(self.resolved.steps, (self.generation + 1) * self.interval)

    def _loop(self, started: float) -> None:
        if not self.members:
            self._create_population()
        total = self.resolved.steps
        while any(not member.done for member in self.members):
            boundary = self._boundary()
            self._train_to(boundary)
            if self._stopping or boundary >= total:
                return
            self._exploit(boundary)
            self.generation += 1
            self._save()

    def _train_to(self, boundary: int) -> None:
        """Every member still in the population to ``boundary``, on the free slots."""
        waiting = [m for m in self.members if not m.done and m.step < boundary]
        while waiting or self._running:
            self._drain_commands()
            if self._stopping:
                waiting = []
            for slot in range(len(self.environments)):
                if slot not in self._running and waiting:
                    self._start_member(slot, waiting.pop(0))
            if not self._running:
                return
            self._next_event()

    def _start_member(self, slot: int, member: Member) -> None:
        trial = self._trials[member.trial]
        worker = self.slots.worker(slot, self.environments[slot])
        running = RunningTrial(trial, worker, dict(member.params), time.monotonic(), 1)
        self._running[slot] = running
        self._trials_started += 1
        self._start_seed(slot, running)  # with ``_segment``'s fields
        self.emit(TrialStarted(trial.number, dict(member.params), slot, worker.pid))

    def _member(self, running: RunningTrial) -> Member:
        return next(m for m in self.members if m.trial == running.number)

    def _checkpoint(self, member: Member) -> Path:
        return self.workspace.checkpoints_dir / str(member.run_id) / LAST

    def _segment(self, running: RunningTrial, config: dict[str, Any]) -> dict[str, Any]:
        member, boundary = self._member(running), self._boundary()
        config = {
            **config,
            "pause_at": boundary if boundary < self.resolved.steps else None,
            "tags": {**config["tags"], MEMBER_TAG: str(member.index)},
        }
        if member.run_id and self._checkpoint(member).is_file():
            config.update(resume=str(self._checkpoint(member)), continue_run_id=member.run_id,
                          retune=True)  # fmt: skip
        return config

    # -- one worker event -------------------------------------------------------------------
    def _handle(self, slot: int, event: Any) -> None:
        running = self._running.get(slot)
        if running is None:
            super()._handle(slot, event)
            return
        member = self._member(running)
        if isinstance(event, RunStarted) and event.run_id and member.run_id != event.run_id:
            member.run_id = event.run_id
            self._save()
        elif isinstance(event, EvalMetrics):
            metric = _intermediate_metric(self.resolved.metrics[0])
            value = event.metrics.get(metric) if metric else None
            member.score = float(value) if value is not None else None
        elif isinstance(event, RunCancelled) and (running.interrupted or not running.cancelled):
            # Paused at the boundary (or stopped with the sweep): resumed from here.
            del self._running[slot]
            member.step = event.step
            self._save()
            return
        elif isinstance(event, RunFinished):
            with self.optuna_clock:
                running.trial.set_user_attr(FINAL_PARAMS_ATTR, member.params)
        super()._handle(slot, event)
        if slot not in self._running or self._running[slot] is not running:
            member.done = True  # finished, failed or stopped by you
            self._save()

    # -- exploit and explore ----------------------------------------------------------------
    def _exploit(self, boundary: int) -> None:
        alive = [m for m in self.members if not m.done]
        scores = {m.index: m.score if m.score is not None else math.nan for m in alive}
        params = {m.index: m.params for m in alive}
        maximize = self.resolved.directions[0] == "maximize"
        # Seeded by the sweep and the generation: a resumed coordinator decides the same.
        rng = random.Random(f"{self.spec.seed}:{self.resolved.name}:{self.generation}")
        ranges = ranges_of(self.resolved.distributions)
        by_index = {m.index: m for m in self.members}
        for exploit in decide(scores, params, ranges, maximize, rng):
            member, source = by_index[exploit.member], by_index[exploit.source]
            started = time.perf_counter()
            data = self._checkpoint(source).read_bytes()
            write_atomically(self._checkpoint(member), data)
            self.exploit_seconds.append(time.perf_counter() - started)
            member.exploits.append({
                "step": boundary, "source": source.index, "source_run_id": source.run_id,
                "old": member.params, "new": exploit.params,
            })  # fmt: skip
            member.params = dict(exploit.params)
            self._record(member)

    def _record(self, member: Member) -> None:
        """The exploit count as a tag and every exploit as the run's JSON artifact."""
        from engine.tracking import open_client

        client = open_client(self.tracking_uri)
        client.set_tag(member.run_id, EXPLOITED_TAG, str(len(member.exploits)))
        client.log_text(member.run_id, json.dumps(member.exploits, indent=1), EXPLOITS_ARTIFACT)
