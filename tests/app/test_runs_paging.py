"""The runs browser on a store larger than a page: the first page and an "N of M" count,
more pages on scrolling, and MLflow doing the filtering and sorting (a real SQLite store)."""

from __future__ import annotations

import shutil

import pytest
from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient
from PySide6.QtCore import QModelIndex, QPoint, Qt

from app.browser import RunsBrowser
from app.browser._query import PAGE_SIZE

RUNS = 450
WITH_LATE_KEYS = 20  # the oldest runs, so on the last page: their metric and param come late
START_MS = 1_700_000_000_000
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def store(tmp_path_factory, _empty_mlflow_store) -> str:
    """450 runs in two experiments; m0 takes every value 0.0 .. 44.9 once, in shuffled order."""
    folder = tmp_path_factory.mktemp("paging")
    shutil.copyfile(_empty_mlflow_store, folder / "mlflow.db")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiments = [client.create_experiment("alpha"), client.create_experiment("beta")]
    for index in range(RUNS):
        started = START_MS + index * 1000
        run_id = client.create_run(
            experiments[index % 3 == 2], start_time=started, run_name=f"run-{index:03d}"
        ).info.run_id
        metrics = [
            Metric("m0", index * 37 % RUNS / 10, started, 0),
            Metric("m1", index, started, 0),
        ]
        params = [Param("p0", str(index % 5))]
        if index < WITH_LATE_KEYS:
            metrics.append(Metric("m_late", 1.0, started, 0))
            params.append(Param("p_late", "yes"))
        client.log_batch(run_id, metrics=metrics, params=params)
        if index % 4 == 0:
            status = "FAILED" if index % 8 == 0 else "FINISHED"
            client.set_terminated(run_id, status, end_time=started + 500)
    return uri


def store_search(uri: str, filter_string: str = "", experiment: str = "") -> set[str]:
    client = MlflowClient(tracking_uri=uri)
    ids = [e.experiment_id for e in client.search_experiments() if experiment in ("", e.name)]
    runs = client.search_runs(ids, filter_string=filter_string, max_results=1000)
    return {run.info.run_id for run in runs}


def opened(qtbot, uri: str) -> RunsBrowser:
    browser = RunsBrowser()
    qtbot.addWidget(browser)
    browser.set_tracking_uri(uri)
    browser.resize(1400, 700)
    browser.show()  # a stale browser loads when shown
    qtbot.waitUntil(lambda: not browser.loading and bool(browser.model.rows), timeout=WAIT_MS)
    return browser


def answered(qtbot, browser: RunsBrowser, ask) -> None:
    """Do ``ask`` (a query change) and wait for its first page or its failure."""
    with qtbot.waitSignal(browser.loaded, timeout=WAIT_MS):
        ask()


def scroll_to_the_end(qtbot, browser: RunsBrowser) -> None:
    """Scroll down as a user does until MLflow has no page left."""
    for _page in range(RUNS // PAGE_SIZE + 1):
        if not browser.model.has_more:
            return
        browser.table.scrollToBottom()  # the view calls fetchMore at the end
        assert browser.model.fetching
        qtbot.waitUntil(lambda: not browser.model.fetching, timeout=WAIT_MS)
    assert not browser.model.has_more


def load_everything(qtbot, browser: RunsBrowser) -> None:
    while browser.proxy.canFetchMore(QModelIndex()):
        browser.proxy.fetchMore(QModelIndex())  # what the view calls at the table's end
        qtbot.waitUntil(lambda: not browser.model.fetching, timeout=WAIT_MS)


def shown_ids(browser: RunsBrowser) -> list[str]:
    return [row.run_id for row in browser.model.rows]


def click_header(qtbot, browser: RunsBrowser, column: int) -> None:
    browser.table.scrollTo(browser.proxy.index(0, column))
    header = browser.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


def column(browser: RunsBrowser, name: str) -> int:
    names = [browser.model.column_name(c) for c in range(browser.model.columnCount())]
    return names.index(name)


def test_the_first_page_shows_and_the_count_follows(qtbot, store, errors):
    counts_when_loaded: list[str] = []
    browser = RunsBrowser()
    qtbot.addWidget(browser)
    browser.loaded.connect(lambda _rows: counts_when_loaded.append(browser.run_count.text()))
    browser.set_tracking_uri(store)
    browser.refresh()
    qtbot.waitUntil(lambda: not browser.loading, timeout=WAIT_MS)

    assert len(browser.model.rows) == PAGE_SIZE
    assert [row.name for row in browser.model.rows[:2]] == ["run-449", "run-448"]  # newest
    assert counts_when_loaded == ["200 of … runs (counting)"]
    qtbot.waitUntil(lambda: browser.run_count.text() == "200 of 450 runs", timeout=WAIT_MS)
    experiments = [browser.experiment.itemText(i) for i in range(browser.experiment.count())]
    assert experiments == ["(all)", "Default", "alpha", "beta"]
    assert errors == []


def test_scrolling_to_the_end_loads_every_run_once_and_adds_late_columns(qtbot, store):
    browser = opened(qtbot, store)
    names = [browser.model.column_name(c) for c in range(browser.model.columnCount())]
    assert "m_late" not in names and "param: p_late" not in names  # no row has them yet
    browser.quick.setText("run-44")  # filters loaded rows only, and fetches no page for it
    assert browser.proxy.rowCount() == 10 and not browser.proxy.canFetchMore(QModelIndex())
    browser.quick.clear()

    scroll_to_the_end(qtbot, browser)

    ids = shown_ids(browser)
    assert len(ids) == len(set(ids)) == RUNS
    assert set(ids) == store_search(store)
    late = browser.model.index(RUNS - 1, column(browser, "m_late"))
    assert late.data() == "1"
    assert browser.proxy.index(RUNS - 1, column(browser, "param: p_late")).data() == "yes"
    qtbot.waitUntil(lambda: browser.run_count.text() == "450 of 450 runs", timeout=WAIT_MS)


def test_the_filter_status_and_experiment_are_mlflows_query(qtbot, store):
    browser = opened(qtbot, store)
    qtbot.keyClicks(browser.search, "metrics.m0 > 30.5")
    answered(qtbot, browser, lambda: qtbot.keyClick(browser.search, Qt.Key.Key_Return))
    load_everything(qtbot, browser)
    assert set(shown_ids(browser)) == store_search(store, "metrics.m0 > 30.5")
    assert len(browser.model.rows) == 144  # m0 from 30.6 to 44.9
    qtbot.waitUntil(lambda: browser.run_count.text() == "144 of 144 runs", timeout=WAIT_MS)

    answered(qtbot, browser, lambda: browser.status_filter.setCurrentText("FAILED"))
    load_everything(qtbot, browser)
    expected = store_search(store, "metrics.m0 > 30.5 and attributes.status = 'FAILED'")
    assert set(shown_ids(browser)) == expected and expected

    browser.search.clear()
    answered(qtbot, browser, lambda: browser.experiment.setCurrentText("beta"))
    load_everything(qtbot, browser)
    expected = store_search(store, "attributes.status = 'FAILED'", experiment="beta")
    assert set(shown_ids(browser)) == expected and expected
    assert {row.experiment for row in browser.model.rows} == {"beta"}


def test_a_header_click_sorts_on_the_server(qtbot, store):
    browser = opened(qtbot, store)
    m0 = column(browser, "m0")
    answered(qtbot, browser, lambda: click_header(qtbot, browser, m0))
    assert len(browser.model.rows) == PAGE_SIZE
    values = [row.metrics["m0"] for row in browser.model.rows]
    assert values[0] == 44.9 and values == sorted(values, reverse=True)  # of all 450 runs
    header = browser.table.horizontalHeader()
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (
        column(browser, "m0"),
        Qt.SortOrder.DescendingOrder,
    )

    answered(qtbot, browser, lambda: click_header(qtbot, browser, column(browser, "m0")))
    assert browser.model.rows[0].metrics["m0"] == 0.0

    loaded: list[int] = []
    browser.loaded.connect(loaded.append)
    click_header(qtbot, browser, column(browser, "Duration (s)"))
    assert browser.status.text() == "MLflow cannot sort runs by Duration (s)"
    assert not browser.loading and loaded == []
    assert header.sortIndicatorSection() == column(browser, "m0")


def test_a_bad_filter_says_mlflows_message_and_keeps_the_rows(qtbot, store, errors):
    browser = opened(qtbot, store)
    before = shown_ids(browser)
    qtbot.keyClicks(browser.search, "metrics.m0 >> 1")
    answered(qtbot, browser, lambda: qtbot.keyClick(browser.search, Qt.Key.Key_Return))

    message = browser.status.text()
    assert message.startswith("Could not load runs: ") and "\n" not in message
    assert "Invalid comparator '>>'" in message, message  # MLflow's own words
    assert shown_ids(browser) == before
    assert errors == []


def test_replies_to_an_older_query_are_dropped(qtbot, store):
    browser = opened(qtbot, store)
    firsts: list[int] = []
    browser.pager.first_page.connect(lambda page: firsts.append(len(page)))
    browser.search.setText("metrics.m0 < 10")
    browser.refresh()
    browser.search.setText("metrics.m0 < 30")  # asked before the first answer came
    answered(qtbot, browser, browser.refresh)
    assert firsts == [PAGE_SIZE]  # the page of "m0 < 10" (100 runs) came first, dropped
    assert set(shown_ids(browser)) <= store_search(store, "metrics.m0 < 30")

    browser.search.setText("metrics.m0 >= 20")  # while "m0 < 30" (300 runs) is counted
    answered(qtbot, browser, browser.refresh)
    qtbot.waitUntil(lambda: browser.pager.total is not None, timeout=WAIT_MS)
    assert browser.run_count.text() == "200 of 250 runs"
