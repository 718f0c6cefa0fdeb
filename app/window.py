"""The main window: gallery and forms, live dashboards, runs browser, jobs and system docks."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app._busy import BusyIndicator
from app._catalog import Catalog
from app._checkpoint_use import CheckpointUseLabel
from app._icons import icon
from app._servers import WebUIs
from app._settings import remember_workspace, settings
from app._team_dialog import (
    Stores,
    StoresDialog,
    remember_stores,
    remembered_stores,
    with_team_file,
)
from app._window_menus import MainMenus
from app.form import RunForm, SweepForm
from app.gallery import PluginGallery
from app.jobs import AppQueue, JobManager, JobsPanel, RunJob, SweepJob, TrialJob
from engine.errors import UsageError
from engine.runner import RunConfig
from engine.states import State
from engine.sweeps import default_storage_url
from engine.workspace import Workspace

TITLE = "Netyard"
DOCK_HEIGHT = 220
# Start-up work that can wait for the first dataset preview waits this long at most.
AFTER_PREVIEW_AT_THE_LATEST_MS = 15000


class MainWindow(QMainWindow):
    def __init__(self, workspace: str | None = None, tracking_uri: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle(TITLE)
        self.setWindowIcon(icon("netyard"))
        self.setObjectName("mainWindow")
        self.catalog = Catalog(self)
        self.jobs = JobManager(self)
        self.queue = AppQueue(self.jobs, self)  # the workspace's run queue, run by self.jobs
        self.web = WebUIs(self)
        self.workspace = Workspace.resolve(workspace)
        self.custom_tracking_uri = tracking_uri
        self._tracking_uri_given = tracking_uri is not None  # overrides what is remembered
        self.stores = Stores()
        self.tracking_uris_used: set[str] = set()  # the stores whose creation the exit awaits
        self.confirm_close = self._ask_to_close  # tests answer the real dialog; see conftest

        # The dashboards and the runs browser draw with pyqtgraph, whose import alone takes
        # most of a second: their pages are filled in by ``finish_startup`` once the window
        # is on screen, so start-up never waits for it.
        self.live = self.sweeps = self.browser = self.system = None
        self.live_page, self.sweeps_page, self.browser_page = _page(), _page(), _page()
        self.system_page = _page()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._build_train_tab(), icon("plugin"), "Train")
        self.tabs.addTab(self.live_page, icon("system"), "Live runs")
        self.tabs.addTab(self.sweeps_page, icon("sweep"), "Sweeps")
        self.tabs.addTab(self.browser_page, icon("compare"), "Runs browser")
        self.setCentralWidget(self.tabs)
        self._build_docks()
        # Queued entries start once the GPUs to place them on are known.
        self.catalog.devices_changed.connect(self._queue_devices)
        self.catalog.datasets_changed.connect(self._queue_devices)
        self.queue.problem.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.jobs.job_added.connect(self._job_added)

        self.workspace_label = QLabel()
        self.jobs_label = QLabel()
        self.checkpoint_use = CheckpointUseLabel()  # the workspace's checkpoints on disk
        self.busy = BusyIndicator()  # what the app is doing that takes more than a moment
        self.statusBar().addPermanentWidget(self.busy)
        self.statusBar().addPermanentWidget(self.jobs_label)
        self.statusBar().addPermanentWidget(self.checkpoint_use)
        self.statusBar().addPermanentWidget(self.workspace_label)
        self.menus = MainMenus(self)
        self.export_action = self.menus.export_action  # File → Export model…
        self.gallery.set_entries(self.catalog.plugins)
        self.set_workspace(str(self.workspace.root), remember=False)
        self._restore_layout()
        QApplication.styleHints().colorSchemeChanged.connect(self._color_scheme_changed)

    def finish_startup(self) -> None:
        """List datasets, build the pyqtgraph pages; called once the window is shown.
        Not after it was closed (a signal may end the app before its first event)."""
        if self.live is not None or not self.isVisible():
            return
        from app.browser import RunsBrowser
        from app.dashboards import (
            LiveRunsView,
            SweepDashboard,
            SystemPanel,
            apply_theme,
            install_svg_exporter,
        )

        # First: the form's dataset preview, what the user looks at, waits for the list.
        self.catalog.load_in_background()
        apply_theme()
        install_svg_exporter()  # the plots' right-click Export… writes SVG that works
        self.live = LiveRunsView()
        self.sweeps = SweepDashboard()
        self.sweeps.optuna_button.clicked.connect(self.open_optuna)
        self.browser = RunsBrowser()
        self.browser.open_in_mlflow.connect(self.open_mlflow)
        # Resume… in the browser: a job like any run, in this workspace (its checkpoints).
        self.browser.organiser.resume_requested.connect(self.resume_run)
        self.browser.organiser.current_workspace = lambda: self.workspace
        self.system = SystemPanel()
        for page, widget in (
            (self.live_page, self.live),
            (self.sweeps_page, self.sweeps),
            (self.browser_page, self.browser),
            (self.system_page, self.system),
        ):
            page.layout().addWidget(widget)
        self.browser.set_tracking_uri(self.tracking_uri)
        self.browser.datasets_dir = self.sweeps.datasets_dir = self.workspace.datasets_dir
        self._restore_splitters()
        # The Runs browser's first listing pays MLflow's import and the store's checks ahead
        # of time; the Runs tab opened before then lists its runs at once all the same.
        self.after_first_preview(self.browser.warm_up)

    def after_first_preview(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` once, when the Train form's first dataset preview has settled
        (shown, or a message or an error instead), at once when the form is not on screen,
        and ``AFTER_PREVIEW_AT_THE_LATEST_MS`` from now at the latest.

        For start-up work that can wait (the worker zygote, the Runs browser's warm-up):
        the preview is what the user waits for after launch, and side by side with it on a
        2-core machine, that work's imports of torch and MLflow made it take a minute.
        """
        pending = [True]

        def call(*_args) -> None:
            if pending:
                pending.clear()
                callback()

        preview = self.run_form.preview
        if not preview.isVisible():
            QTimer.singleShot(0, self, call)
            return
        preview.settled.connect(call)
        QTimer.singleShot(AFTER_PREVIEW_AT_THE_LATEST_MS, self, call)

    def refresh_runs(self) -> None:
        if self.browser is not None:
            self.browser.refresh()

    # -- construction helpers ------------------------------------------------------------------
    def _build_train_tab(self) -> QSplitter:
        """The plugin gallery beside the run and sweep forms of the plugin chosen in it."""
        self.gallery = PluginGallery()
        self.run_form = RunForm(self.catalog)
        self.sweep_form = SweepForm(self.catalog)
        self.forms = QTabWidget()
        self.forms.setObjectName("formTabs")
        self.forms.addTab(self.run_form, icon("start"), "Run")
        self.forms.addTab(self.sweep_form, icon("sweep"), "Sweep")
        self.train_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.train_splitter.setObjectName("trainSplitter")
        self.train_splitter.addWidget(self.gallery)
        self.train_splitter.addWidget(self.forms)
        self.train_splitter.setStretchFactor(1, 1)
        self.train_splitter.setSizes([330, 700])
        for form in (self.run_form, self.sweep_form):
            self.gallery.plugin_chosen.connect(form.set_plugin)
        self.run_form.start_requested.connect(self.start_run)
        self.sweep_form.start_requested.connect(self.start_sweep)
        self.run_form.queue_requested.connect(
            lambda config: self.add_to_queue("run", config.to_dict())
        )
        self.sweep_form.queue_requested.connect(lambda spec: self.add_to_queue("sweep", spec))
        return self.train_splitter

    def _build_docks(self) -> None:
        """The jobs panel and the system page side by side under the tabs."""
        self.jobs_panel = JobsPanel(self.jobs, self.queue)
        self.jobs_panel.job_selected.connect(self._job_selected)
        self.jobs_dock = self._dock("Jobs", "jobsDock", self.jobs_panel)
        self.system_dock = self._dock("System", "systemDock", self.system_page)
        self.splitDockWidget(self.jobs_dock, self.system_dock, Qt.Orientation.Horizontal)
        self.resizeDocks([self.jobs_dock, self.system_dock], [700, 300], Qt.Orientation.Horizontal)
        # Tall enough for a few job rows and a readable system plot; a saved layout wins.
        self.resizeDocks([self.jobs_dock], [DOCK_HEIGHT], Qt.Orientation.Vertical)

    def _dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        return dock

    # -- workspace --------------------------------------------------------------------------------
    @property
    def tracking_uri(self) -> str:
        return self.custom_tracking_uri or self.workspace.tracking_uri

    def set_workspace(self, path: str, remember: bool = True) -> None:
        """Open a workspace, with the tracking server and storage remembered for it (unless
        the app was started with a tracking URI of its own)."""
        self.workspace = Workspace.resolve(path).ensure()
        root = str(self.workspace.root)
        if remember:
            remember_workspace(root)
        self.stores = remembered_stores(root)
        if self.stores.team_file:
            try:  # its passwords, for this process and the sweeps it starts
                with_team_file(self.stores)
            except UsageError as error:
                self.statusBar().showMessage(str(error), 15000)
        if not self._tracking_uri_given:
            self.custom_tracking_uri = self.stores.tracking_uri or None
        self.run_form.workspace = self.sweep_form.workspace = root
        self.queue.set_workspace(root)
        self.run_form.tracking_uri = self.sweep_form.tracking_uri = self.custom_tracking_uri
        self.sweep_form.set_storage(self.stores.storage or default_storage_url(self.workspace.root))
        self.sweep_form.schedule_check()
        self.tracking_uris_used.add(self.tracking_uri)
        where = f" · tracking {self.custom_tracking_uri}" if self.custom_tracking_uri else ""
        self.workspace_label.setText(f"Workspace: {self.workspace.root}{where}")
        self.checkpoint_use.refresh(self.workspace.checkpoints_dir)
        self.setWindowTitle(TITLE)
        if self.browser is not None:
            self.browser.set_tracking_uri(self.tracking_uri)
            self.browser.datasets_dir = self.sweeps.datasets_dir = self.workspace.datasets_dir
        self.menus.fill_recent()

    def choose_workspace(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open workspace", str(self.workspace.root))
        if path:
            self.set_workspace(path)

    def choose_stores(self) -> None:
        """The dialog; what it accepted (checked to answer) is remembered and used at once."""
        root = str(self.workspace.root)
        current = Stores(self.custom_tracking_uri or "", self.stores.storage, self.stores.team_file)
        dialog = StoresDialog(root, current, self)
        if dialog.exec() != StoresDialog.DialogCode.Accepted or dialog.chosen is None:
            return
        remember_stores(root, dialog.chosen)
        self.custom_tracking_uri = dialog.chosen.tracking_uri or None
        self._tracking_uri_given = False
        self.set_workspace(root, remember=False)

    def show_tab(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)

    # -- jobs -----------------------------------------------------------------------------------
    def start_run(self, config: RunConfig) -> RunJob:
        job = self.jobs.start_run(config)
        self.statusBar().showMessage(f"Started {job.title}", 5000)
        self.show_job(job)
        return job

    def resume_run(self, config: RunConfig) -> RunJob | None:
        """Start a resume from the Runs browser, unless a job resumes that checkpoint now."""
        running = self.jobs.resuming(config.resume)
        if running is not None:
            self.browser.status.setText(
                f"{running.title} is resuming that run already: wait for it to end or stop it"
            )
            self.tabs.setCurrentWidget(self.live_page)
            return None
        return self.start_run(config)

    def add_to_queue(self, kind: str, payload: dict) -> None:
        entry = self.queue.add(kind, payload)
        if entry is not None:
            paused = " (the queue is paused)" if self.queue.state.paused else ""
            self.statusBar().showMessage(f"Queued #{entry.id} {entry.title}{paused}", 5000)

    def _queue_devices(self) -> None:
        self.queue.set_gpus([str(gpu.index) for gpu in self.catalog.gpus])

    def start_sweep(self, spec: dict) -> SweepJob:
        job = self.jobs.start_sweep(spec)
        self.statusBar().showMessage(f"Started {job.title}", 5000)
        self.show_job(job)
        return job

    def show_job(self, job) -> None:
        """The page of a job the user just started (Start, Re-run, Resume). Jobs that start on
        their own (the queue's) never move the window: the next click would land elsewhere."""
        if isinstance(job, RunJob):
            self.tabs.setCurrentWidget(self.live_page)
        elif isinstance(job, SweepJob):
            self.tabs.setCurrentWidget(self.sweeps_page)

    def _job_added(self, job) -> None:
        self.finish_startup()
        if isinstance(job, RunJob):
            self.live.add_job(job)
        elif isinstance(job, SweepJob):
            self.sweeps.add_sweep(job)
        job.changed.connect(self._jobs_changed)
        self._jobs_changed()

    def _jobs_changed(self) -> None:
        active = len(self.jobs.active_jobs())
        self.jobs_label.setText(f"{active} job{'s' * (active != 1)} running")
        finished = [
            j for j in self.jobs.jobs if not j.active and not getattr(j, "_announced", False)
        ]
        for job in finished:
            job._announced = True
            # A message that only repeats the state ("FINISHED finished") is left out.
            message = job.message if job.message.lower() != job.state else ""
            self.statusBar().showMessage(f"{job.title}: {job.state.label} {message}".strip(), 8000)
            if job.state == State.FINISHED or getattr(job, "run_id", None):
                self.refresh_runs()
            self.checkpoint_use.refresh(self.workspace.checkpoints_dir)
            if isinstance(job, SweepJob):
                self.sweep_form.refresh_studies()

    def _job_selected(self, job) -> None:
        if self.live is None:
            return
        if isinstance(job, RunJob):
            self.live.show_job(job)
        elif isinstance(job, TrialJob | SweepJob):
            sweep = job.sweep if isinstance(job, TrialJob) else job
            if sweep in self.sweeps.sweeps:  # a new job is selected before it is shown
                self.sweeps.selector.setCurrentIndex(self.sweeps.sweeps.index(sweep))

    def stop_selected(self) -> None:
        if (job := self.jobs_panel.selected_job()) is not None:
            job.stop()

    def kill_selected(self) -> None:
        if (job := self.jobs_panel.selected_job()) is not None:
            job.kill()

    def rerun_selected(self) -> None:
        if (job := self.jobs_panel.selected_job()) is not None and not job.active:
            self.show_job(self.jobs.rerun(job))

    def with_selected_run(self, what: str) -> None:
        """Register or export the model of the run selected in the Runs browser."""
        self.finish_startup()
        self.tabs.setCurrentWidget(self.browser_page)
        rows = self.browser.selected_rows()
        if len(rows) != 1 or rows[0].status != "FINISHED":
            self.statusBar().showMessage("Select one finished run in the Runs browser first", 8000)
            return
        (self.browser.register_selected if what == "register" else self.browser.export_selected)()

    # -- web UIs ----------------------------------------------------------------------------------
    def open_mlflow(self, experiment_id: str = "", run_id: str = "") -> None:
        path = ""
        if experiment_id and run_id:
            path = f"#/experiments/{experiment_id}/runs/{run_id}"
        elif experiment_id:
            path = f"#/experiments/{experiment_id}"
        self.web.open_mlflow(
            self.tracking_uri,
            self.workspace.artifacts_dir,
            path,
            lambda url: self.statusBar().showMessage(f"MLflow UI at {url}", 10000),
        )

    def open_optuna(self) -> None:
        sweep = self.sweeps.sweep if self.sweeps is not None else None
        storage = sweep.storage if sweep and sweep.storage else self.sweep_form.storage
        self.web.open_optuna(
            storage,
            "",
            lambda url: self.statusBar().showMessage(f"Optuna Dashboard at {url}", 10000),
        )

    # -- layout and closing -----------------------------------------------------------------------
    def _restore_layout(self) -> None:
        store = settings()
        geometry = store.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 820)
        state = store.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        self._restore_splitters()
        self.tabs.setCurrentIndex(int(store.value("window/tab", 0) or 0))

    def _restore_splitters(self) -> None:
        store = settings()
        for splitter in self._splitters():
            saved = store.value(f"splitters/{splitter.objectName()}")
            if isinstance(saved, QByteArray):
                splitter.restoreState(saved)

    def save_layout(self) -> None:
        store = settings()
        store.setValue("window/geometry", self.saveGeometry())
        store.setValue("window/state", self.saveState())
        store.setValue("window/tab", self.tabs.currentIndex())
        for splitter in self._splitters():
            store.setValue(f"splitters/{splitter.objectName()}", splitter.saveState())
        store.sync()

    def _splitters(self) -> list[QSplitter]:
        return [s for s in self.findChildren(QSplitter) if s.objectName()]

    def _ask_to_close(self, count: int) -> bool:
        answer = QMessageBox.question(
            self,
            "Jobs are running",
            f"{count} job{'s are' if count > 1 else ' is'} still running. Stop "
            f"{'them' if count > 1 else 'it'} and quit? Stopped runs are marked KILLED and "
            "running sweep trials FAIL.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        active = self.jobs.active_jobs()
        if active and not self.confirm_close(len(active)):
            event.ignore()
            return
        self.statusBar().showMessage("Stopping jobs…")
        self.queue.shutdown()  # its running entries go back in the queue, for next time
        self.jobs.shutdown()
        self.web.close()  # and no web UI starts after this
        self.save_layout()
        event.accept()

    def _color_scheme_changed(self, _scheme) -> None:
        import pyqtgraph as pg

        from app.dashboards import apply_theme

        apply_theme()
        background = pg.getConfigOption("background")
        for view in self.findChildren(pg.GraphicsView):
            view.setBackground(background)


def _page() -> QWidget:
    """An empty tab or dock page that ``finish_startup`` fills."""
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    return page
