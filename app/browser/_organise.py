"""Organising runs in MLflow itself: tags, a star, a new name, archiving and restoring.

Everything is written to the tracking store, so the MLflow UI shows what the Runs browser
shows. Called on pool threads; mlflow is imported inside the functions. Each function checks
all of its input before it writes anything, and returns a line saying what it did.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from engine.errors import UsageError

# MLflow has no star or pin: a tag stands in. The MLflow UI lists it with the run's tags,
# and `tags.`netyard.starred` = 'true'` finds the starred runs there as here.
STAR_TAG = "netyard.starred"
# Tags MLflow, Netyard and Optuna write for themselves (run name, checkpoint, pid, sweep):
# the Tags dialog neither lists nor takes them, so a user cannot break a resume or a sweep.
RESERVED_PREFIXES = ("mlflow.", "netyard.", "optuna.")


def user_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """The tags a user set (none of MLflow's, Netyard's or Optuna's own)."""
    return {key: value for key, value in tags.items() if not key.startswith(RESERVED_PREFIXES)}


def is_starred(tags: Mapping[str, str]) -> bool:
    return tags.get(STAR_TAG) == "true"


def run_label(name: str, tags: Mapping[str, str]) -> str:
    """The Run column's text: the name, after a star when the run is starred."""
    return f"\N{BLACK STAR} {name}" if is_starred(tags) else name


def run_tooltip(run_id: str, note: str, tags: Mapping[str, str], name: str = "") -> str:
    """The Run column's tooltip: the run's name (the column may cut it), id, note and tags,
    one a line."""
    lines = [*([name] if name else []), run_id, *([note] if note else [])]
    lines += [f"{key} = {value}" for key, value in sorted(user_tags(tags).items())]
    return "\n".join(lines)


def check_tag_key(key: str) -> str:
    """The key without surrounding blanks; ``UsageError`` for an empty or a reserved one."""
    stripped = key.strip()
    if not stripped:
        raise UsageError("a tag key cannot be empty: give a name such as 'dataset-version'")
    if stripped.startswith(RESERVED_PREFIXES):
        raise UsageError(
            f"tag key {stripped!r} is reserved: keys starting with "
            f"{', '.join(RESERVED_PREFIXES)} are MLflow's, Netyard's and Optuna's own"
        )
    return stripped


def _client(tracking_uri: str):
    from engine.tracking import open_client

    return open_client(tracking_uri)


def _refused(error: Exception) -> UsageError:
    """MLflow's refusal in one line, saying "tag key" where it names its request field."""
    line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    line = re.sub(r"parameter 'tags\[\d+\]\.(key|value)' supplied", r"tag \1", line)
    line = re.sub(r"'tags\[\d+\]\.(key|value)'", r"tag \1", line)
    return UsageError(f"MLflow refused the tags: {line}")


def _runs(count: int) -> str:
    return f"{count} run{'s' * (count != 1)}"


def edit_tags(
    tracking_uri: str, run_ids: list[str], to_set: Mapping[str, str], to_remove: Iterable[str] = ()
) -> str:
    """Set ``to_set`` and remove ``to_remove`` on every run of ``run_ids``.

    MLflow checks a batch's tags before writing any (``log_batch``), and every run gets the
    same batch, so a key MLflow refuses stops the edit at the first run with nothing written.
    """
    from mlflow.entities import RunTag
    from mlflow.exceptions import MlflowException

    to_set = {check_tag_key(key): str(value) for key, value in to_set.items()}
    to_remove = [check_tag_key(key) for key in to_remove if key.strip() not in to_set]
    if not run_ids or not (to_set or to_remove):
        return "No tags changed"
    client = _client(tracking_uri)
    for run_id in run_ids:
        if to_set:
            try:
                client.log_batch(run_id, tags=[RunTag(k, v) for k, v in to_set.items()])
            except MlflowException as error:
                raise _refused(error) from None
        present = client.get_run(run_id).data.tags if to_remove else {}
        for key in to_remove:
            if key in present:  # MLflow refuses to delete a tag the run does not have
                client.delete_tag(run_id, key)
    changes = [f"set {', '.join(to_set)}" if to_set else "",
               f"removed {', '.join(to_remove)}" if to_remove else ""]  # fmt: skip
    return f"Tags on {_runs(len(run_ids))}: {'; '.join(c for c in changes if c)}"


def set_starred(tracking_uri: str, run_ids: list[str], starred: bool) -> str:
    """Star (the tag set to ``true``) or unstar (the tag removed) every run of ``run_ids``."""
    client = _client(tracking_uri)
    for run_id in run_ids:
        if starred:
            client.set_tag(run_id, STAR_TAG, "true")
        elif STAR_TAG in client.get_run(run_id).data.tags:
            client.delete_tag(run_id, STAR_TAG)
    return f"{'Starred' if starred else 'Unstarred'} {_runs(len(run_ids))}"


def rename_run(tracking_uri: str, run_id: str, name: str) -> str:
    """Give the run a new name (MLflow's run name, shown in its UI); not an empty one."""
    from mlflow.exceptions import MlflowException

    new_name = name.strip()
    if not new_name:
        raise UsageError("a run name cannot be empty: type a name, or cancel to keep it")
    try:
        _client(tracking_uri).update_run(run_id, name=new_name)
    except MlflowException as error:
        first = (str(error).strip().splitlines() or [""])[0]
        raise UsageError(f"MLflow refused the name {new_name!r}: {first}") from None
    return f"Renamed the run to {new_name}"


def archive_runs(tracking_uri: str, run_ids: list[str]) -> str:
    """MLflow's delete: the runs leave the active view (the MLflow UI lists them under
    "Deleted") and ``restore_runs`` brings them back until ``mlflow gc`` removes them."""
    client = _client(tracking_uri)
    runs = [client.get_run(run_id) for run_id in run_ids]
    running = [run.info.run_name or run.info.run_id for run in runs if run.info.status == "RUNNING"]
    if running:
        raise UsageError(
            f"cannot archive {', '.join(running)}: still running (stop it first; a run that is "
            "archived while it trains loses the rest of its metrics)"
        )
    for run_id in run_ids:
        client.delete_run(run_id)
    return f"Archived {_runs(len(run_ids))} (Show: Archived lists them; Restore brings them back)"


def restore_runs(tracking_uri: str, run_ids: list[str]) -> str:
    client = _client(tracking_uri)
    for run_id in run_ids:
        client.restore_run(run_id)
    return f"Restored {_runs(len(run_ids))}"
