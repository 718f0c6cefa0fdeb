"""``netyard gc [--dry-run]``: what the workspace's checkpoints take, per experiment and
sweep, and the files no run needs, freed (or only listed with ``--dry-run``).

No run needs: the checkpoints of runs deleted in MLflow (in the bin), the files of ended runs
beyond their retention (``keep_checkpoints`` and the best; a finished trial keeps its best
only, a pruned one its last: ``engine.checkpoint_files.beyond_retention``), and half-written
copies left by killed processes. A running run keeps everything but those copies. Folders
of runs this store does not know (purged from MLflow, or tracked in another store) are only
freed with ``--unknown``: the workspace may be shared with another tracking URI. Reads the
store with MLflow only: no torch.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from engine.checkpoint_files import (
    BEST,
    DEFAULT_KEEP,
    LAST,
    all_files,
    beyond_retention,
    disk_use,
    file_identity,
    human_size,
    stray_files,
)
from engine.cli._options import add_workspace_options

DELETED = "(deleted runs)"
UNKNOWN = "(runs not in this store)"
UNTRACKED = "(untracked runs)"
ENDED = ("FINISHED", "FAILED", "KILLED")
UNKNOWN_WHY = "run not in this store"


def add_command(commands: argparse._SubParsersAction) -> None:
    gc = commands.add_parser("gc", help="show the checkpoints' disk use and free what no run needs")
    gc.add_argument(
        "--dry-run", action="store_true", help="list what would be freed, delete nothing"
    )
    gc.add_argument(
        "--unknown", action="store_true",
        help="free the folders of runs this store does not know too (purged from MLflow)",
    )  # fmt: skip
    add_workspace_options(gc)
    gc.set_defaults(handler=gc_command)


@dataclass
class Group:
    """The checkpoints of one experiment (and sweep): what they take, what goes."""

    runs: int = 0
    files: list[Path] = field(default_factory=list)
    removed: list[tuple[Path, str]] = field(default_factory=list)  # (file, why)


def gc_command(args: argparse.Namespace) -> int:
    from engine.cli._status import clear, say
    from engine.workspace import STORE_FILE, Workspace

    workspace = Workspace.resolve(args.workspace)
    root = workspace.checkpoints_dir
    folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if not any(True for _ in all_files(root)):
        print(f"No checkpoints in workspace {workspace.root}: nothing to free.")
        return 0
    runs: dict = {}
    if args.tracking_uri or (workspace.root / STORE_FILE).exists():
        say("Reading the runs from MLflow")
        runs = _runs(args.tracking_uri or workspace.tracking_uri)
        clear()
    groups = plan(folders, runs, args.unknown)
    _report(root, groups, dry_run=args.dry_run)
    return 0


def plan(folders: list[Path], runs: dict, unknown: bool) -> dict[str, Group]:
    """Each folder's group and the files to remove from it, with why."""
    groups: dict[str, Group] = defaultdict(Group)
    for folder in folders:
        run = runs.get(folder.name)
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        strays = [(p, "half-written") for p in stray_files(folder)]
        if run is None:
            untracked = folder.name.startswith("untracked-")
            name = UNTRACKED if untracked else UNKNOWN
            freed = unknown and not untracked
            gone = [(p, UNKNOWN_WHY) for p in files] if freed else strays
        elif run.info.lifecycle_stage == "deleted":
            name, gone = DELETED, [(p, "run deleted") for p in files]
        else:
            name = _group_name(run)
            gone = strays + (_beyond(folder, run) if run.info.status in ENDED else [])
        group = groups[name]
        group.runs += 1
        group.files += files
        group.removed += gone
    return dict(groups)


def _beyond(folder: Path, run) -> list[tuple[Path, str]]:
    from engine.states import State, from_trial_tag
    from engine.tracking import SWEEP_TAG, TRIAL_STATE_TAG

    tags = run.data.tags
    only = None
    if tags.get(SWEEP_TAG):
        state = from_trial_tag(tags.get(TRIAL_STATE_TAG, ""))
        only = {State.FINISHED: BEST, State.PRUNED: LAST}.get(state)
    try:
        keep = int(run.data.params.get("keep_checkpoints", DEFAULT_KEEP))
    except ValueError:
        keep = DEFAULT_KEEP
    why = "beyond the trial's needs" if only else f"beyond keep_checkpoints={keep}"
    return [(p, why) for p in beyond_retention(folder, keep, only)]


def _group_name(run) -> str:
    from engine.tracking import SWEEP_TAG

    experiment = run.data.tags.get("netyard.experiment_name") or run.info.experiment_id
    sweep = run.data.tags.get(SWEEP_TAG)
    return f"{experiment} / {sweep}" if sweep else experiment


def _runs(tracking_uri: str) -> dict:
    """Every run of the store, deleted ones too, by id; its tags carry the experiment's name."""
    from mlflow.entities import ViewType

    from engine.tracking import open_client

    client = open_client(tracking_uri)
    experiments = client.search_experiments(view_type=ViewType.ALL)
    names = {e.experiment_id: e.name for e in experiments}
    runs, token = {}, None
    while True:
        page = client.search_runs(
            list(names), run_view_type=ViewType.ALL, max_results=10_000, page_token=token
        )
        for run in page:
            run.data.tags["netyard.experiment_name"] = names.get(run.info.experiment_id, "")
            runs[run.info.run_id] = run
        token = page.token
        if not token:
            return runs


def _report(root: Path, groups: dict[str, Group], dry_run: bool) -> None:
    removed = [path for group in groups.values() for path, _ in group.removed]
    removed_set = set(removed)
    staying = {file_identity(p) for p in all_files(root) if p not in removed_set}
    total = disk_use(all_files(root))
    print(f"Checkpoints in {root}: {human_size(total.bytes)} in {total.files} files.\n")
    rows = []
    for name in sorted(groups):
        group = groups[name]
        frees = _freed([p for p, _ in group.removed], staying)
        rows.append([name, str(group.runs), human_size(disk_use(group.files).bytes),
                     human_size(frees)])  # fmt: skip
    from engine.cli._commands import _table

    print(_table(rows, ["EXPERIMENT / SWEEP", "RUNS", "USES", "FREES"]))
    freed = _freed(removed, staying)
    if UNKNOWN in groups and not any(why == UNKNOWN_WHY for _, why in groups[UNKNOWN].removed):
        print(f"\n{UNKNOWN}: kept; --unknown frees them (runs purged from MLflow, or tracked "
              "in another store with this workspace)")  # fmt: skip
    if not removed:
        print("\nNothing to free: every checkpoint is one a run needs.")
        return
    if dry_run:
        print("\nWould delete:")
        for group in groups.values():
            for path, why in group.removed:
                print(f"  {path.relative_to(root)}  ({why})")
        print(f"\nWould free {human_size(freed)} ({len(removed)} files): run without --dry-run.")
        return
    for group in groups.values():
        for path, _ in group.removed:
            path.unlink(missing_ok=True)
        for folder in {path.parent for path, _ in group.removed}:
            if folder != root and not any(folder.iterdir()):
                folder.rmdir()
    print(f"\nFreed {human_size(freed)} ({len(removed)} files).")


def _freed(paths: list[Path], staying: set) -> int:
    """Bytes gone once ``paths`` are: a file with a name that stays (a best checkpoint that
    is the last too) frees nothing."""
    return disk_use(p for p in paths if file_identity(p) not in staying).bytes
