"""A new SQLite store copied from an empty one made before, not migrated anew.

MLflow makes a new SQLite store by running its alembic migrations one by one: 2-8 s on the
2-core machine, paid by the first ``netyard run`` in each fresh workspace, the first
``netyard ui mlflow`` and the app's first runs listing. An empty store's schema depends only
on MLflow's version, so the first store made with a version is kept in the user's cache
(``$XDG_CACHE_HOME/netyard``, else ``~/.cache/netyard``) and each new store after it is a
copy of it (milliseconds). MLflow still checks the copy's schema against its own when it
opens it, as it does any store. Without a cache it can write, a store is made as before.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "netyard"


def template_path() -> Path:
    """The template of this MLflow version's empty store."""
    from mlflow.version import VERSION

    return cache_folder() / f"mlflow-{VERSION}-empty-store.db"


def seed_new_store(database: Path) -> None:
    """Make ``database`` a copy of the template when it is absent or empty (a new store),
    making the template first if this MLflow version has none. Call it under the store's
    creation lock (``open_client``); any failure leaves MLflow to create the store."""
    if database.exists() and database.stat().st_size > 0:
        return
    partial = database.with_name(database.name + ".new")
    try:
        template = template_path()
        if not template.exists():
            _make_template(template)
        shutil.copyfile(template, partial)
        os.replace(partial, database)
    except Exception:  # noqa: BLE001 - any failure (no cache, a full disk): MLflow makes it
        partial.unlink(missing_ok=True)


def _make_template(template: Path) -> None:
    """An empty store made by MLflow in a file of its own, put in place whole (two processes
    making it at once each put a complete one)."""
    from mlflow.tracking import MlflowClient

    template.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=template.parent, prefix=".store-", suffix=".db")
    os.close(handle)
    try:
        os.unlink(name)  # MLflow creates it
        MlflowClient(tracking_uri=f"sqlite:///{name}").search_experiments(max_results=1)
        os.replace(name, template)
    finally:
        if os.path.exists(name):
            os.unlink(name)
