"""Qt test set-up: offscreen, throwaway settings, a workspace per test, errors collected.

The app's error reporter is replaced by a list so an unexpected error dialog fails the test
(``errors`` fixture) instead of waiting for a click; tests that expect one read the list.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app._none_refcount import protect_none  # noqa: E402

# pytest-qt's qapp, not app.main.create_application, makes the tests' QApplication, so the
# guard against PySide6 6.12 releasing None once per Qt call (on Python 3.11) goes on here.
protect_none()

import mlflow.tracking  # noqa: E402, F401 - the tests read stores from the main thread too
import pytest  # noqa: E402
from PySide6.QtCore import QCoreApplication, QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QFileDialog, QInputDialog, QMessageBox  # noqa: E402

from app import _errors  # noqa: E402
from app._tasks import wait_for_background_tasks  # noqa: E402

LONG_MS = 180_000  # worker start-up imports torch and MLflow; generous on a busy machine


@pytest.fixture(autouse=True)
def _forks_from_the_zygote(zygote) -> None:
    """The app starts a worker zygote at launch (app.main): its runs and sweeps fork from it,
    as they do for a user, instead of each importing torch and MLflow afresh. The tests ask
    for the session's (tests/conftest.py)."""


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, qapp) -> Iterator[Path]:
    # pytest-qt processes events once more after the fixtures' teardown: a form's debounce
    # timer firing there starts a task after the wait below. Each test starts with idle
    # pools, so with automatic garbage collection.
    wait_for_background_tasks(120_000)
    folder = tmp_path / "settings"
    QCoreApplication.setOrganizationName("netyard-tests")
    QCoreApplication.setApplicationName("netyard-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    QSettings().clear()
    yield folder
    # Idle pools, so the next test (maybe not a Qt one) has automatic garbage collection.
    # Generous: a dataset preview may still be building MNIST-1D on a busy machine.
    wait_for_background_tasks(120_000)


@pytest.fixture
def errors() -> Iterator[list[tuple[str, str, str]]]:
    shown: list[tuple[str, str, str]] = []
    _errors.set_reporter(lambda *error: shown.append(error))
    yield shown
    _errors.set_reporter(_errors.show_error_dialog)


def pytest_configure(config) -> None:
    config.addinivalue_line(
        "markers", "new_workspace: the window opens a workspace with no MLflow store yet"
    )


@pytest.fixture
def app_workspace(request, workspace: Path, _empty_mlflow_store: Path) -> Path:
    """The window's workspace, with its MLflow store made already (a copy of a migrated one:
    the window would otherwise run MLflow's migrations on a new one in each test), as a
    workspace the user opens again. A test marked ``new_workspace`` gets none."""
    if request.node.get_closest_marker("new_workspace") is None:
        shutil.copyfile(_empty_mlflow_store, workspace / "mlflow.db")
    return workspace


@pytest.fixture
def window(qtbot, app_workspace: Path, errors) -> Iterator:
    from app.window import MainWindow

    win = MainWindow(workspace=str(app_workspace))
    opened: list[str] = []
    win.web.opener = opened.append  # record instead of launching a web browser
    win.opened_urls = opened
    qtbot.addWidget(win)
    win.show()
    win.finish_startup()
    qtbot.waitUntil(lambda: win.catalog.datasets_loaded, timeout=LONG_MS)
    yield win
    win.jobs.shutdown(grace_ms=20000)
    win.web.stop_all()
    wait_for_background_tasks()
    for job in win.jobs.jobs:
        job.wait(10000)


@pytest.fixture
def cnn_sweep_form(qtbot, errors, tmp_path) -> Iterator:
    """A sweep form on its own, for the CNN, its workspace a fresh folder."""
    from app._catalog import Catalog
    from app.form import SweepForm

    catalog = Catalog()
    catalog.load_in_background()
    qtbot.waitUntil(lambda: catalog.datasets_loaded, timeout=LONG_MS)
    sweep_form = SweepForm(catalog)
    qtbot.addWidget(sweep_form)
    sweep_form.workspace = str(tmp_path / "ws")
    sweep_form.set_plugin(next(e.plugin for e in catalog.plugins if e.id == "cnn"))
    yield sweep_form
    wait_for_background_tasks()
    assert errors == []


def answer_next_dialog(button: QMessageBox.StandardButton) -> list[str]:
    """Click ``button`` on the next modal message box as soon as it is open; returns its text."""
    seen: list[str] = []

    def click() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.button(button).click()
        else:
            QTimer.singleShot(20, click)

    QTimer.singleShot(0, click)
    return seen


def answer_next(value: str) -> None:
    """Type ``value`` into the next input or file dialog and accept it."""

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, QInputDialog):
            dialog.setTextValue(value)
            dialog.accept()
        elif isinstance(dialog, QFileDialog):
            dialog.selectFile(value)
            dialog.accept()
        else:
            QTimer.singleShot(20, answer)

    QTimer.singleShot(0, answer)


def record_next_message() -> list[str]:
    """Accept the next message box; its text goes into the list returned."""
    messages: list[str] = []

    def record() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            messages.append(box.text())
            box.accept()
        else:
            QTimer.singleShot(20, record)

    QTimer.singleShot(0, record)
    return messages


def type_into(qtbot, widget, text: str) -> None:
    """Replace a field's text the way a user does: select all, then type."""
    from PySide6.QtCore import Qt

    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(widget, Qt.Key.Key_Delete)
    qtbot.keyClicks(widget, text)


@pytest.fixture
def fill_tiny_cnn(qtbot) -> Callable:
    """Set the run form to a tiny, fast CNN on digits with one thread."""

    def fill(win, steps: int) -> None:
        form = win.run_form
        assert win.gallery.select("cnn")
        index = form.dataset.combo.findData("digits")
        form.dataset.combo.setCurrentIndex(index)
        fields = form.schema_form.fields
        type_into(qtbot, fields["channels"].spin.lineEdit(), "4")
        type_into(qtbot, fields["depth"].spin.lineEdit(), "2")
        type_into(qtbot, fields["batch_size"].spin.lineEdit(), "16")
        type_into(qtbot, fields["steps"].spin.lineEdit(), str(steps))
        type_into(qtbot, fields["eval_every"].spin.lineEdit(), "10")
        type_into(qtbot, form.threads.lineEdit(), "1")

    return fill


def opened_browser(qtbot, uri: str, timeout_ms: int = LONG_MS):
    """A runs browser on the store ``uri``, shown, with its first rows listed."""
    from app.browser import RunsBrowser

    browser = RunsBrowser()
    qtbot.addWidget(browser)
    browser.set_tracking_uri(uri)
    browser.show()
    qtbot.waitUntil(lambda: not browser.loading and bool(browser.model.rows), timeout=timeout_ms)
    return browser
