"""A run's MLflow Model logged whole or not at all, and told apart from a broken one.

``mlflow.pyfunc.load_model`` reads the folder ``model`` of a run's artifacts: its ``MLmodel``
and the files that names. MLflow copies a folder file by file, so a run killed meanwhile
left an ``MLmodel`` without its weights, a model that never loads (issue 23).

- A store on this machine (a ``file:`` artifact location, the workspace's): the folder is
  copied under a hidden name beside ``model`` and renamed into place (``publish_folder``).
- A tracking server: its artifact API has no rename, so ``MLmodel`` goes last. A folder
  without it is no model to MLflow or to Netyard: a reader sees the model whole or not at
  all, and an upload cut short is made again (``netyard run --resume``, ``netyard register``).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

from engine.atomic_files import publish_folder
from engine.models._trained import CONFIG_FILE, WEIGHTS_FILE

MODEL_ARTIFACT = "model"
MLMODEL_FILE = "MLmodel"
CODE_FILE = "_pyfunc_code.py"
# Inside the model folder, the copies of the run's own files that ``load_context`` reads.
MODEL_FILES = ("artifacts/" + CONFIG_FILE, "artifacts/" + WEIGHTS_FILE)


def log_mlflow_model(client, run_id: str, folder: Path) -> None:
    """Log the MLflow Model saved in ``folder`` as the run's artifact ``model``, replacing
    the one there (a broken one); whole or not at all (the module's docstring says how)."""
    local = local_artifact_dir(client.get_run(run_id).info.artifact_uri)
    if local is not None:
        publish_folder(folder, local / MODEL_ARTIFACT)
        return
    for entry in sorted(folder.iterdir()):
        if entry.name == MLMODEL_FILE:
            continue
        if entry.is_dir():
            client.log_artifacts(run_id, str(entry), f"{MODEL_ARTIFACT}/{entry.name}")
        else:
            client.log_artifact(run_id, str(entry), MODEL_ARTIFACT)
    client.log_artifact(run_id, str(folder / MLMODEL_FILE), MODEL_ARTIFACT)


def has_whole_model(client, run_id: str) -> bool:
    """Whether the run's ``model`` holds an MLflow Model that can load: its ``MLmodel``, its
    code and copies of the run's config and weights as large as the run's own (a copy cut
    short by a kill is smaller)."""
    sizes = _sizes(client, run_id, MODEL_ARTIFACT) | _sizes(client, run_id, "model/artifacts")
    needed = (MLMODEL_FILE, CODE_FILE, *MODEL_FILES)
    if not all(sizes.get(f"{MODEL_ARTIFACT}/{name}") for name in needed):
        return False
    own = _sizes(client, run_id, None)
    return all(
        own.get(name) in (None, sizes[f"{MODEL_ARTIFACT}/artifacts/{name}"])
        for name in (CONFIG_FILE, WEIGHTS_FILE)
    )


def local_artifact_dir(artifact_uri: str) -> Path | None:
    """The folder of a run's artifacts when they are on this machine (``file:`` or a plain
    path); ``None`` for a tracking server or a cloud store."""
    parsed = urlparse(artifact_uri)
    if parsed.scheme == "file":
        return Path(url2pathname(parsed.path))
    if parsed.scheme == "" or len(parsed.scheme) == 1:  # a path (C: is a drive, not a scheme)
        return Path(artifact_uri)
    return None


def _sizes(client, run_id: str, path: str | None) -> dict[str, int]:
    return {f.path: f.file_size or 0 for f in client.list_artifacts(run_id, path) if not f.is_dir}
