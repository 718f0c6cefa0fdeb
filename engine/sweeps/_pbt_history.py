"""A population's history as plain data, for the dashboard: who copied whom at which step
(the lineage), and the hyperparameter schedule that trained the best member's weights.

A member that copied another at step ``s`` carries weights trained before ``s`` under the
source's hyperparameters, so its schedule is the source's up to ``s`` (recursively, as Ray
Tune's PBT replay reads it), then its own explored values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from engine.sweeps._pbt import PBT_ATTR


@dataclass
class Population:
    members: list[dict[str, Any]]  # ``_pbt.Member`` as stored
    interval: int
    steps: int
    maximize: bool
    values: dict[int, float] = field(default_factory=dict)  # final values, by member index

    def best(self) -> int | None:
        """The member with the best final value (else the best last evaluation)."""
        scores = self.values or {
            m["index"]: m["score"] for m in self.members if m.get("score") is not None
        }
        finite = {i: v for i, v in scores.items() if math.isfinite(v)}
        if not finite:
            return None
        return (max if self.maximize else min)(finite, key=finite.__getitem__)

    def last_step(self) -> int:
        """The steps each member trains (a state written without them: past the last exploit)."""
        exploits = self.exploits()
        return self.steps or (exploits[-1][0] if exploits else 0) + self.interval

    def exploits(self) -> list[tuple[int, int, int]]:
        """Every exploit as (step, source member, copying member), in step order."""
        found = [(e["step"], e["source"], m["index"]) for m in self.members for e in m["exploits"]]
        return sorted(found)

    def schedule(self, index: int, end: int | None = None) -> list[tuple[int, dict[str, Any]]]:
        """(from step, searched values) that trained member ``index``'s weights up to ``end``
        (its last step when None): its sources' values before each copy."""
        member = self.members[index]
        end = math.inf if end is None else end
        earlier = [e for e in member["exploits"] if e["step"] < end]
        if not earlier:
            initial = member["exploits"][0]["old"] if member["exploits"] else member["params"]
            return [(0, dict(initial))]
        last = max(earlier, key=lambda e: e["step"])
        return [*self.schedule(last["source"], last["step"]), (last["step"], dict(last["new"]))]

    def ancestry(self, index: int) -> list[tuple[int, int, int]]:
        """The exploits on the best member's line: (step, source, copier), latest last."""
        member, found, end = index, [], math.inf
        while True:
            earlier = [e for e in self.members[member]["exploits"] if e["step"] < end]
            if not earlier:
                return found[::-1]
            last = max(earlier, key=lambda e: e["step"])
            found.append((last["step"], last["source"], member))
            member, end = last["source"], last["step"]


def read_population(storage_url: str, name: str) -> Population | None:
    """The population of sweep ``name`` (None: not a population-based sweep)."""
    import optuna

    from engine.sweeps._storage import open_storage

    study = optuna.load_study(study_name=name, storage=open_storage(storage_url))
    state = study.user_attrs.get(PBT_ATTR)
    if not state:
        return None
    by_trial = {t.number: t.value for t in study.get_trials(deepcopy=False) if t.value is not None}
    values = {m["index"]: by_trial[m["trial"]] for m in state["members"] if m["trial"] in by_trial}
    maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
    return Population(state["members"], int(state["interval"]), int(state.get("steps") or 0),
                      maximize, values)  # fmt: skip
