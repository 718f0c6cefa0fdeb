"""Where studies live: the workspace's journal file by default, or any Optuna RDB URL.

Optuna's FAQ advises against SQLite with parallel writers ("database is locked"), so the
default is Optuna's JournalStorage on a file in the workspace, which serialises appends with
a file lock. On top of that the sweep coordinator is the only process on a machine that writes
to the study: workers report through it, so no lock error can lose a trial. ``--storage URL``
takes any RDB URL (PostgreSQL for several machines; see ``netyard worker``).

Storage text forms: ``journal:PATH`` (or ``journal:///PATH``) and RDB URLs such as
``sqlite:///PATH`` or ``postgresql://user@host:port/db``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.database_urls import hide_password, with_installed_driver
from engine.errors import UsageError
from engine.sweeps._optuna_internals import journal_backend_class

JOURNAL_FILE = "optuna.journal"
CONNECT_TIMEOUT_SECONDS = 10
JOURNAL_SCHEME = "journal:"
_RDB_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb", "oracle", "mssql")


def default_storage_url(workspace_root: Path) -> str:
    return f"{JOURNAL_SCHEME}{workspace_root / JOURNAL_FILE}"


def open_storage(url: str):
    """An Optuna storage for a storage text; a bad or unreachable one is a ``UsageError``."""
    import optuna

    if url.startswith(JOURNAL_SCHEME):
        from optuna.storages.journal import JournalStorage

        path = Path(url[len(JOURNAL_SCHEME) :].removeprefix("//")).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        backend = journal_backend_class()(str(path))  # cuts off records torn by a failed write
        try:
            return JournalStorage(backend)
        except ValueError as error:  # damage that no torn write makes: say where, guess nothing
            raise UsageError(
                f"the journal {path} cannot be read ({error}): it was changed by something "
                f"other than Optuna; restore it from a backup or choose another --storage"
            ) from None
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if "://" not in url or scheme not in _RDB_SCHEMES:
        raise UsageError(
            f"invalid storage {url!r}: expected an RDB URL (sqlite:///PATH, "
            f"postgresql://USER@HOST:PORT/DB, ...) or journal:PATH"
        )
    engine_kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if scheme in ("postgresql", "postgres"):
        # An unreachable host fails in seconds, not after the system's TCP timeout (minutes).
        engine_kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
    try:
        return optuna.storages.RDBStorage(with_installed_driver(url), engine_kwargs=engine_kwargs)
    except Exception as error:  # noqa: BLE001 - driver errors vary; all mean "cannot open"
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise UsageError(f"cannot open storage {hide_password(url)!r}: {first}") from None


# The study's attributes a listing shows, written by the sweep that runs it.
PLUGIN_ATTR = "netyard.plugin"  # the study's plugin and dataset
DATASET_ATTR = "netyard.dataset"
METRICS_ATTR = "netyard.metrics"  # the objectives, in order
# Where the trials' runs go, written by the coordinator once its parent run exists.
PARENT_RUN_ATTR = "netyard.parent_run_id"
TRACKING_URI_ATTR = "netyard.tracking_uri"


@dataclass
class StudyInfo:
    """One study as the ``netyard sweeps`` listing and the app show it."""

    name: str
    plugin: str
    dataset: str
    metrics: list[str]
    directions: list[str]
    states: dict[str, int] = field(default_factory=dict)  # trials by State: finished, pruned...
    best_values: list[float] | None = None
    best_trial: int | None = None
    storage: str = ""
    parent_run_id: str | None = None
    tracking_uri: str | None = None

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def list_studies(storage_url: str) -> list[StudyInfo]:
    """Every study in a storage, with trial counts by state and the best value(s)."""
    import optuna
    from optuna.trial import TrialState

    from engine.sweeps._reconcile import count_states

    storage = open_storage(storage_url)
    result = []
    for frozen in storage.get_all_studies():
        study = optuna.load_study(study_name=frozen.study_name, storage=storage)
        trials = study.get_trials(deepcopy=False)
        states = count_states(trials)
        attrs = frozen.user_attrs
        best_values, best_trial = None, None
        complete = [t for t in trials if t.state == TrialState.COMPLETE]
        if complete and len(frozen.directions) == 1:
            best = study.best_trial
            best_values, best_trial = list(best.values), best.number
        elif complete:
            best_values = None
        result.append(
            StudyInfo(
                name=frozen.study_name,
                plugin=str(attrs.get(PLUGIN_ATTR, "")),
                dataset=str(attrs.get(DATASET_ATTR, "")),
                metrics=list(attrs.get(METRICS_ATTR, [])),
                directions=[d.name.lower() for d in frozen.directions],
                states=states,
                best_values=best_values,
                best_trial=best_trial,
                storage=storage_url,
                parent_run_id=attrs.get(PARENT_RUN_ATTR),
                tracking_uri=attrs.get(TRACKING_URI_ATTR),
            )
        )
    return result
