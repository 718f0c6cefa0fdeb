"""MLflow reads and writes for the runs browser. Called on pool threads only; mlflow is
imported inside each function so the GUI never loads it at start-up."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from contextlib import closing
from dataclasses import dataclass
from typing import Any

# History and fetch_histories are re-exported: the browser's reads of metric histories are
# the engine's, which the sweep dashboard's trial curves use too.
from engine.tracking import NOTE_TAG, History, RunRecord, fetch_histories  # noqa: F401

PAGE_SIZE = 200  # rows per page shown: a screenful many times over, fetched in well under 1 s
# Runs per page when counting. MLflow takes up to 50 000, but a page's runs are all in memory
# at once (about 70 kB each: 700 MB for 10 000 runs); 2000 cost no more time than 50 000.
COUNT_PAGE_SIZE = 2000
CANCEL_CHECK_SECONDS = 0.05
NEWEST_FIRST = ("attributes.start_time", False)


@dataclass(frozen=True)
class RunsQuery:
    """What the browser asks MLflow for: the user's filter, the status and experiment chosen
    (empty: any), and the sort as an MLflow ``order_by`` key with its direction."""

    filter_string: str = ""
    status: str = ""
    experiment_id: str = ""
    order_key: str = NEWEST_FIRST[0]
    ascending: bool = NEWEST_FIRST[1]
    archived: bool = False  # the archived runs (MLflow's deleted ones) instead of the active
    starred_only: bool = False

    def mlflow_filter(self) -> str:
        # MLflow's filter grammar has AND only and no parentheses, so clauses join flat.
        clauses = [self.filter_string.strip()] if self.filter_string.strip() else []
        if self.status:
            clauses.append(f"attributes.status = '{self.status}'")
        if self.starred_only:
            clauses.append("tags.`netyard.starred` = 'true'")  # _organise.STAR_TAG
        return " and ".join(clauses)

    def view_type(self) -> int:
        """MLflow's ``run_view_type``: ViewType.DELETED_ONLY (2) or ACTIVE_ONLY (1)."""
        return 2 if self.archived else 1

    def order_by(self) -> list[str]:
        return [f"{self.order_key} {'ASC' if self.ascending else 'DESC'}"]

    def experiment_ids(self, experiments: dict[str, str]) -> list[str]:
        return [self.experiment_id] if self.experiment_id else list(experiments)


class RunsPage(list):
    """One page of rows; like MLflow's PagedList, ``token`` asks for the next page (None on
    the last). ``experiments`` maps the id of every active experiment to its name: the next
    pages search the same experiments and name them the same way."""

    def __init__(self, rows: list[RunRecord], token: str | None, experiments: dict[str, str]):
        super().__init__(rows)
        self.token = token
        self.experiments = experiments


def _client(tracking_uri: str):
    from engine.tracking import open_client

    return open_client(tracking_uri)


_RECONCILED: set[str] = set()
_ANALYZED: set[str] = set()


def _reconcile_once(tracking_uri: str) -> None:
    """The first listing of a store in this app fails the runs whose process died while no
    Netyard was watching (kill -9, a crash), so they do not show RUNNING for ever."""
    if tracking_uri not in _RECONCILED:
        from engine.tracking import reconcile_dead_runs

        reconcile_dead_runs(tracking_uri)
        _RECONCILED.add(tracking_uri)


def _analyze_once(tracking_uri: str) -> None:
    """Table statistics for SQLite's query planner, once per store in this app.

    Without them SQLite (3.40 here) runs MLflow's sort by a metric or a param as a nested loop
    over every run times every row of that key: 6 s for a page at 10 000 runs. With them it
    indexes the key's rows on the fly: 0.05 s. ``analysis_limit`` bounds ANALYZE to a few
    milliseconds on a store of any size; it writes only SQLite's own ``sqlite_stat1``.
    """
    if not tracking_uri.startswith("sqlite:///") or tracking_uri in _ANALYZED:
        return
    import sqlite3

    try:
        with closing(sqlite3.connect(tracking_uri.removeprefix("sqlite:///"), timeout=2)) as db:
            db.execute("PRAGMA analysis_limit = 1000")
            db.execute("ANALYZE")
    except sqlite3.OperationalError:
        return  # a writer held the store: sorting is slower until the next first listing
    _ANALYZED.add(tracking_uri)


def warm_up(tracking_uri: str) -> None:
    """What a first listing pays once (MLflow imported, the store's engine opened and its
    schema checked, dead runs reconciled, SQLite analysed), done ahead of it: the app calls
    this after start-up so that opening the Runs browser shows its first page at once."""
    _reconcile_once(tracking_uri)
    _analyze_once(tracking_uri)
    _client(tracking_uri).search_experiments(max_results=1)


def fetch_runs(
    tracking_uri: str,
    query: RunsQuery | None = None,
    page_token: str | None = None,
    experiments: dict[str, str] | None = None,
    page_size: int = PAGE_SIZE,
) -> RunsPage:
    """One page of the runs matching ``query``, MLflow filtering and sorting them.

    A first page (no ``experiments`` yet) lists the active experiments; the next pages take
    that listing and the token of the page before.
    """
    query = query or RunsQuery()
    client = _client(tracking_uri)
    if experiments is None:
        _reconcile_once(tracking_uri)
        _analyze_once(tracking_uri)
        experiments = {e.experiment_id: e.name for e in client.search_experiments()}
    experiment_ids = query.experiment_ids(experiments)
    if not experiment_ids:
        return RunsPage([], None, experiments)
    runs = client.search_runs(
        experiment_ids,
        filter_string=query.mlflow_filter(),
        run_view_type=query.view_type(),
        max_results=page_size,
        order_by=query.order_by(),
        page_token=page_token,
    )
    return RunsPage([_row(run, experiments) for run in runs], runs.token, experiments)


def _row(run, experiments: dict[str, str]) -> RunRecord:
    """A run as the browser lists it: the environment's versions are left out, being the
    same on every run of an installation."""
    experiment = experiments.get(run.info.experiment_id, run.info.experiment_id)
    return RunRecord.from_mlflow(run, experiment, version_params=False)


def count_runs(
    tracking_uri: str, query: RunsQuery, experiments: dict[str, str], cancelled: threading.Event
) -> int | None:
    """How many runs match ``query``, or None once ``cancelled`` is set (the query changed).

    MLflow has no count, so every match is fetched (``count_matches``), in a child process:
    at 10 000 runs that makes millions of Python objects, and made in this process the GUI
    thread's garbage collection (``app._gc``) went through them, 0.1-1.6 s at a time.
    """
    experiment_ids = query.experiment_ids(experiments)
    if not experiment_ids:
        return 0
    request = json.dumps([tracking_uri, experiment_ids, query.mlflow_filter(), query.view_type()])
    with subprocess.Popen(
        [sys.executable, "-m", "app.browser._counting", request],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        while True:
            try:
                out, err = child.communicate(timeout=CANCEL_CHECK_SECONDS)
                break
            except subprocess.TimeoutExpired:
                if cancelled.is_set():
                    child.kill()
                    child.communicate()
                    return None
    if child.returncode != 0:
        lines = err.strip().splitlines() or [f"the counting process exited with {child.returncode}"]
        raise CountFailed(lines[-1])  # its traceback's last line: the error itself
    return int(out)


class CountFailed(Exception):
    """The counting process ended with an error (its message is that error's)."""


def count_matches(client, experiment_ids: list[str], filter_string: str, view_type: int = 1) -> int:
    """Every run matching ``filter_string``, fetched a page at a time and counted."""
    total, token = 0, None
    while True:
        runs = client.search_runs(
            experiment_ids,
            filter_string=filter_string,
            run_view_type=view_type,
            max_results=COUNT_PAGE_SIZE,
            page_token=token,
        )
        total, token = total + len(runs), runs.token
        if not token:
            return total


def save_note(tracking_uri: str, run_id: str, text: str) -> str:
    _client(tracking_uri).set_tag(run_id, NOTE_TAG, text)
    return run_id


def params_diff(rows: list[RunRecord]) -> list[tuple[str, list[str], bool]]:
    """(param, value per run, differs) for every param any of the runs has."""
    names = sorted({name for row in rows for name in row.params})
    table = []
    for name in names:
        values = [row.params.get(name, "") for row in rows]
        table.append((name, values, len(set(values)) > 1))
    table.sort(key=lambda entry: (not entry[2], entry[0]))
    return table


def describe(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)
