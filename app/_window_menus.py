"""The main window's menu bar and toolbar: every command of the window, with its shortcut and
icon, in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QIcon, QKeySequence
from PySide6.QtWidgets import QMenu

from app._about import show_about
from app._icons import icon
from app._settings import recent_workspaces

if TYPE_CHECKING:
    from app.window import MainWindow

TABS = ("Train", "Live runs", "Sweeps", "Runs browser")  # the View menu's, Ctrl+1 to Ctrl+4


class MainMenus:
    """Builds ``window``'s menus and toolbar; each action calls one of its methods.
    ``fill_recent`` lists the recent workspaces again."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.toolbar = window.addToolBar("Main")
        self.toolbar.setObjectName("mainToolbar")
        bar, key = window.menuBar(), QKeySequence.StandardKey

        file = bar.addMenu("&File")
        self._add(file, "Open workspace…", window.choose_workspace, key.Open, "workspace", True)
        self.recent = file.addMenu("Recent workspaces")
        team = "Use a team's MLflow tracking server and Optuna storage (netyard server)"
        self._add(file, "Tracking server and storage…", window.choose_stores, tip=team)
        file.addSeparator()
        self._add(file, "Register model…", lambda: window.with_selected_run("register"))
        self.export_action = self._add(
            file, "Export model…", lambda: window.with_selected_run("export")
        )
        file.addSeparator()
        self._add(file, "Quit", window.close, key.Quit)

        run = bar.addMenu("&Run")
        self._add(run, "Start run", window.run_form.start, "Ctrl+R", "start", True)
        self._add(run, "Stop selected job", window.stop_selected, "Ctrl+.", "stop", True)
        self._add(run, "Kill selected job", window.kill_selected, "Ctrl+Shift+K", "kill", True)
        self._add(run, "Re-run selected job", window.rerun_selected, "Ctrl+Shift+R", "rerun", True)
        run.addSeparator()
        self._add(run, "Copy as CLI command", window.run_form.copy_command, "Ctrl+Shift+C")
        self._add(run, "Reset to defaults", window.run_form.reset)

        view = bar.addMenu("&View")
        for number, title in enumerate(TABS, start=1):
            self._add(view, title, lambda n=number: window.show_tab(n - 1), f"Ctrl+{number}")
        self._add(view, "Refresh runs", window.refresh_runs, "F5", "refresh", True)
        view.addSeparator()
        view.addAction(window.jobs_dock.toggleViewAction())
        view.addAction(window.system_dock.toggleViewAction())

        tools = bar.addMenu("&Tools")
        self._add(tools, "Open in MLflow UI", lambda: window.open_mlflow("", ""), "Ctrl+M",
                  "mlflow", True)  # fmt: skip
        self._add(tools, "Open in Optuna Dashboard", window.open_optuna, "Ctrl+Shift+O",
                  "optuna", True)  # fmt: skip

        help_menu = bar.addMenu("&Help")
        self._add(help_menu, "About Netyard", lambda: show_about(window), None, "about")

    def _add(self, menu: QMenu, text: str, slot, shortcut=None, icon_name: str = "",
             on_toolbar: bool = False, tip: str = "") -> QAction:  # fmt: skip
        action = QAction(icon(icon_name) if icon_name else QIcon(), text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip or text.replace("…", ""))
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        if on_toolbar:
            self.toolbar.addAction(action)
        return action

    def fill_recent(self) -> None:
        self.recent.clear()
        for path in recent_workspaces():
            action = self.recent.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.window.set_workspace(p))
        self.recent.setEnabled(bool(recent_workspaces()))
