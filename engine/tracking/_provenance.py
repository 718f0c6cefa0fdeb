"""Where a run came from: the git commit it was started from and the installed packages.

The commit is that of the folder ``netyard`` was started in (the current working directory),
as MLflow's own ``mlflow.start_run`` records it: that is where a user keeps the code and the
configs they run. A folder outside any git work tree, or no ``git`` program, gives no tags
and no error. ``netyard.git.dirty`` says whether tracked files differ from that commit;
untracked files do not count (``git describe --dirty`` does the same), since run outputs
often land untracked inside a project.

The packages are read in-process from ``importlib.metadata`` (what ``pip freeze`` lists,
without its subprocess and its second of start-up) and logged as ``requirements.txt``.
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

GIT_COMMIT_TAG = "mlflow.source.git.commit"
GIT_BRANCH_TAG = "mlflow.source.git.branch"
GIT_DIRTY_TAG = "netyard.git.dirty"
REQUIREMENTS_FILE = "requirements.txt"
# A run must not wait long on a huge work tree or a hung network file system.
GIT_TIMEOUT_SECONDS = 3.0


def git_tags(folder: Path | None = None) -> dict[str, str]:
    """The commit, branch and dirty flag of the git work tree holding ``folder`` (the
    current working directory by default) as run tags; empty outside one or without git."""
    try:
        done = subprocess.run(
            ["git", "status", "--porcelain=v2", "--branch", "--untracked-files=no"],
            cwd=folder or Path.cwd(),
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_SECONDS,
            # Read only: without this, status refreshes the index and takes its lock, which
            # could make a user's own git command fail while a run starts.
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    if done.returncode != 0:  # not a work tree, or git refuses it (another user's)
        return {}
    return _tags_from_status(done.stdout)


def _tags_from_status(status: str) -> dict[str, str]:
    headers: dict[str, str] = {}
    changed = False
    for line in status.splitlines():
        if line.startswith("# "):
            key, _, value = line[2:].partition(" ")
            headers[key] = value
        elif line:
            changed = True
    commit = headers.get("branch.oid", "")
    if not commit or commit == "(initial)":  # a repository without a commit yet
        return {}
    tags = {GIT_COMMIT_TAG: commit, GIT_DIRTY_TAG: str(changed).lower()}
    branch = headers.get("branch.head", "")
    if branch and branch != "(detached)":
        tags[GIT_BRANCH_TAG] = branch
    return tags


@functools.cache
def requirements_text() -> str:
    """``name==version`` of every installed distribution, one a line, sorted by name, as
    ``pip freeze`` prints them (the first of a name on ``sys.path`` wins, as for imports).
    Cached: the packages of a running process do not change under it."""
    from importlib.metadata import distributions

    pinned: dict[str, str] = {}
    for distribution in distributions():
        name, version = _name_and_version(distribution)
        if name and version:
            pinned.setdefault(_normalized(name), f"{name}=={version}")
    return "".join(f"{pinned[key]}\n" for key in sorted(pinned))


def _name_and_version(distribution) -> tuple[str, str]:
    """Read from the metadata's header lines: ``distribution.metadata`` parses the whole file
    as e-mail (long descriptions included) and takes four times as long."""
    text = distribution.read_text("METADATA") or distribution.read_text("PKG-INFO") or ""
    name = version = ""
    for line in text.splitlines():
        if not line:  # the headers end at the first empty line
            break
        if line.startswith("Name:"):
            name = line[5:].strip()
        elif line.startswith("Version:"):
            version = line[8:].strip()
    return name, version


def _normalized(name: str) -> str:
    import re

    return re.sub(r"[-_.]+", "-", name).lower()


def log_requirements(client, run_id: str) -> None:
    """Log ``requirements_text()`` as the run's ``requirements.txt`` artifact (through the
    tracking server where runs log through one, like every artifact)."""
    client.log_text(run_id, requirements_text(), REQUIREMENTS_FILE)
