"""No silent waits, and closing never waits on start-up work: the busy indicator, the dataset
preview's busy bar, the address shown when no web browser opens, and the exit that drops
background work instead of joining it (app/_busy.py, app/_url_dialog.py, app/_exit.py)."""

from __future__ import annotations

import signal
import threading

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QWidget

from app._busy import BusyIndicator, busy_work
from app._exit import end_zygote, prepare_exit
from app._servers import WebUIs
from app._tasks import run_in_background, wait_for_background_tasks
from app._url_dialog import UrlDialog

WAIT_MS = 60_000


def test_the_busy_indicator_says_what_runs_until_it_is_done(qtbot):
    bar = QWidget()
    qtbot.addWidget(bar)
    indicator = BusyIndicator(parent=bar)
    bar.show()
    assert not indicator.isVisible()
    release = threading.Event()
    done: list[object] = []
    run_in_background(lambda: release.wait(30), done.append, busy="Starting the MLflow UI…")
    assert indicator.isVisible()  # at once, not when the task has started or ended
    assert indicator.label.text() == "Starting the MLflow UI…"
    release.set()
    qtbot.waitUntil(lambda: bool(done), timeout=WAIT_MS)
    assert not indicator.isVisible()


def test_the_dataset_preview_shows_a_busy_bar_while_it_loads(qtbot, tmp_path):
    from app._catalog import Catalog
    from app.form import RunForm

    catalog = Catalog()
    catalog.load_in_background()
    qtbot.waitUntil(lambda: catalog.datasets_loaded, timeout=WAIT_MS)
    form = RunForm(catalog)
    qtbot.addWidget(form)
    form.workspace = str(tmp_path / "ws")
    form.show()
    panel = form.preview
    # The preview's queue is busy with something else: its load waits, and says so.
    release = threading.Event()
    run_in_background(lambda: release.wait(30), queue="dataset-preview")
    form.set_plugin(next(e.plugin for e in catalog.plugins if e.id == "gan"))
    form.dataset.set_dataset_id("ring8")  # made in milliseconds
    try:
        qtbot.waitUntil(lambda: panel.summary.text() == "Loading a preview of ring8…")
        assert panel.busy.isVisible()
    finally:
        release.set()
    with qtbot.waitSignal(panel.shown, timeout=WAIT_MS):
        pass
    assert not panel.busy.isVisible()


def test_an_address_no_browser_opens_is_shown_with_a_copy_button(qtbot, tmp_path):
    # Offscreen, Qt has no way to open a web browser (QDesktopServices.openUrl is False).
    parent = QWidget()
    qtbot.addWidget(parent)
    web = WebUIs(parent)
    opened: list[str] = []
    web.open_mlflow("http://127.0.0.1:5000", tmp_path, "#/experiments/1", opened.append)
    url = "http://127.0.0.1:5000/#/experiments/1"
    assert opened == [url]
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, UrlDialog)]
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    dialog = dialogs[0]
    assert dialog.field.text() == url
    QGuiApplication.clipboard().clear()
    dialog.copy_button.click()
    assert QGuiApplication.clipboard().text() == url
    dialog.close()


def test_leaving_drops_start_up_work_and_waits_for_writes():
    started, release = threading.Event(), threading.Event()
    queued: list[str] = []
    run_in_background(lambda: (started.set(), release.wait(60)), queue="exit-test")
    run_in_background(lambda: queued.append("ran"), queue="exit-test")  # waits behind it
    write_allowed = threading.Event()
    written: list[str] = []
    run_in_background(
        lambda: (write_allowed.wait(60), written.append("note")),
        queue="exit-test-writes",
        finish_before_exit=True,
    )
    assert started.wait(30)
    threading.Timer(0.2, write_allowed.set).start()
    try:
        left = prepare_exit()
        # Returned with the start-up work still running (``release`` is set only below):
        # not joined, and the app leaves with ``os._exit``. The write was waited for.
        assert written == ["note"]
        assert left == 2  # the running task and the one queued behind it
    finally:
        release.set()
    assert wait_for_background_tasks()
    assert queued == []  # queued before the exit began: it never started


def test_the_zygote_is_ended_without_waiting_for_its_imports():
    from engine.worker._processes import Zygote

    zygote = Zygote()  # importing torch and MLflow for seconds before it reads its stdin
    end_zygote(zygote)
    assert zygote.process.returncode == -signal.SIGTERM
    assert not zygote.folder.exists()


def test_no_web_ui_starts_once_the_app_is_closing(qtbot, tmp_path, errors):
    web = WebUIs()
    web.close()
    web.open_optuna(f"sqlite:///{tmp_path / 'optuna.db'}")
    # The refusal's answer has reached the GUI thread once the busy sentence is gone.
    qtbot.waitUntil(lambda: not busy_work().sentences, timeout=WAIT_MS)
    (dashboard,) = web.optuna.values()
    assert dashboard.process is None
    assert errors == []  # refused quietly: nobody is there to read it
