"""The sweep configuration: what to search, the objectives, sampler, pruner, budget, workers
and GPU placement; sweep spec files (the CLI's YAML) loaded and saved; resuming a study.

The spec is checked by the engine's own ``resolve_spec`` (it imports Optuna, so on a pool
thread, a moment after the last edit); its one-sentence error is shown and blocks Start.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app._catalog import Catalog
from app._tasks import run_in_background
from app.form._common import (
    DatasetPicker,
    DeviceCombo,
    FormPage,
    SeedEdit,
    TaskDefaults,
    experiment_edit,
    threads_spin,
)
from app.form._dataset_preview import DatasetPreviewPanel, beside
from app.form._lr_finder_dialog import LrFinderDialog, finder_button
from app.form._search_editor import SearchRow
from engine.errors import UsageError
from engine.plugin import Plugin
from engine.runner import RunConfig
from engine.states import State
from engine.sweeps import (
    ALGORITHMS,
    PRUNERS,
    SAMPLERS,
    WARM_START_CONFIGS,
    Objective,
    SearchParam,
    SweepSpec,
    valid_metrics,
)

AUTO = "auto"
SAMPLE_AND_PRUNE = "sampler and pruner"
CHECK_DELAY_MS = 250
DIRECTIONS = (AUTO, "maximize", "minimize")


def _check(spec_data: dict[str, Any]) -> str:
    from engine.sweeps import resolve_spec

    return resolve_spec(SweepSpec.from_dict(spec_data)).name


def _studies(storage: str) -> list:
    from engine.sweeps import list_studies

    return list_studies(storage)


def _study_spec(storage: str, name: str) -> dict[str, Any]:
    import optuna

    from engine.sweeps import open_storage

    study = optuna.load_study(study_name=name, storage=open_storage(storage))
    return dict(study.user_attrs.get("netyard.spec") or {})


class ObjectiveRow(QWidget):
    def __init__(self, metrics: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.metric = QComboBox()
        self.metric.addItems(metrics)
        self.direction = QComboBox()
        self.direction.addItems(DIRECTIONS)
        self.remove = QPushButton("Remove")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.metric, 2)
        layout.addWidget(self.direction, 1)
        layout.addWidget(self.remove)

    def objective(self) -> Objective:
        direction = self.direction.currentText()
        return Objective(self.metric.currentText(), None if direction == AUTO else direction)


class SweepForm(FormPage):
    """``start_requested(spec dict)`` carries a ``SweepSpec.to_dict()``."""

    start_requested = Signal(dict)
    queue_requested = Signal(dict)  # the same spec dict, for the run queue
    checked = Signal(bool)

    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__("sweepFormTitle", "sweepFormStatus", parent)
        self.defaults = TaskDefaults()  # what the fixed values stand for, for the dataset's task
        self.catalog = catalog
        self.plugin: type[Plugin] | None = None
        self.rows: dict[str, SearchRow] = {}
        self.objectives: list[ObjectiveRow] = []
        self.workspace: str | None = None
        self.tracking_uri: str | None = None
        self.storage = ""
        self._version = 0
        self._valid_version = -1
        self.error = "choose a plugin in the gallery"
        self._checked_version = -1

        settings_box = self._build_settings(catalog)

        self.objective_box = QGroupBox("Objectives")
        self.objective_layout = QVBoxLayout(self.objective_box)
        self.add_objective_button = QPushButton("Add objective")
        self.add_objective_button.clicked.connect(lambda: self.add_objective())
        self.objective_layout.addWidget(self.add_objective_button, 0, Qt.AlignmentFlag.AlignLeft)

        self.search_box = QGroupBox("Hyperparameters (tick to search)")
        self.search_grid = QGridLayout(self.search_box)

        studies_box = self._build_studies()

        self.preview = DatasetPreviewPanel(
            self,
            lambda: self.rows["val_fraction"].fixed.value(),
            lambda name: self.rows[name].fixed.value(),  # a searched one: its fixed value
        )
        self.content.addLayout(beside(settings_box, self.preview))
        for box in (self.objective_box, self.search_box, studies_box):
            self.content.addWidget(box)

        self.load_button = QPushButton("Load spec…")
        self.save_button = QPushButton("Save spec…")
        self.start_button = QPushButton("Start sweep")
        self.start_button.setObjectName("startSweepButton")
        self.load_button.clicked.connect(self.choose_and_load)
        self.save_button.clicked.connect(self.choose_and_save)
        self.start_button.clicked.connect(self.start)
        self.queue_button = QPushButton("Add to queue")
        self.queue_button.setObjectName("queueSweepButton")
        self.queue_button.setToolTip("Run it after the queue's earlier entries (Jobs panel)")
        self.queue_button.clicked.connect(self.add_to_queue)
        self.buttons(
            self.load_button, self.save_button, start=self.start_button, queue=self.queue_button
        )

        self._check_timer = QTimer(self)
        self._check_timer.setSingleShot(True)
        self._check_timer.setInterval(CHECK_DELAY_MS)
        self._check_timer.timeout.connect(self._check_now)
        self.watch(self.schedule_check, self.dataset, self.sampler, self.pruner, self.trials)
        self.watch(self.schedule_check, self.timeout, self.parallel, self.trials_per_gpu)
        self.watch(self.schedule_check, self.device, self.threads, self.seed, self.retries)
        self.watch(self.schedule_check, self.trial_retries)
        self.watch(self.schedule_check, self.name, self.experiment)
        self.watch(self.schedule_check, self.seeds_per_config, self.warm_start)
        self.watch(self.schedule_check, self.algorithm, self.population, self.interval)
        self.log_models.toggled.connect(self.schedule_check)
        self.replace_stopped.toggled.connect(self.schedule_check)
        catalog.datasets_changed.connect(self.schedule_check)
        self._show_status()

    # -- building ----------------------------------------------------------------------------
    def _build_settings(self, catalog: Catalog) -> QGroupBox:
        """The sweep's own settings (not the plugin's hyperparameters), in a box."""
        self.dataset = DatasetPicker(catalog)
        self.sampler = QComboBox()
        self.sampler.addItems([AUTO, *SAMPLERS])
        self.pruner = QComboBox()
        self.pruner.addItems([AUTO, *PRUNERS])
        self.algorithm = QComboBox()
        self.algorithm.setObjectName("sweepAlgorithm")
        self.algorithm.addItems([SAMPLE_AND_PRUNE, *ALGORITHMS])
        self.algorithm.setToolTip(
            "pbt: population-based training. The population trains side by side; every "
            "interval the worst quarter copies a best member's weights and optimizer state "
            "and perturbs its searched values (the sampler draws the first ones)"
        )
        self.population = QSpinBox()
        self.population.setObjectName("sweepPopulation")
        self.population.setRange(2, 256)
        self.population.setValue(SweepSpec.population)
        self.population.setToolTip("pbt: members trained side by side (the sweep's trials)")
        self.interval = QSpinBox()
        self.interval.setObjectName("sweepInterval")
        self.interval.setRange(0, 10_000_000)
        self.interval.setSuffix(" steps")
        self.interval.setSpecialValueText("a fifth of the steps")
        self.interval.setToolTip("pbt: steps between two exploits")
        self.trials = QSpinBox()
        self.trials.setObjectName("sweepTrials")
        self.trials.setRange(0, 100000)
        self.trials.setValue(20)
        self.trials.setSpecialValueText("no limit (give a timeout)")
        self.timeout = QDoubleSpinBox()
        self.timeout.setRange(0, 1e7)
        self.timeout.setSuffix(" s")
        self.timeout.setSpecialValueText("none")
        self.parallel = QSpinBox()
        self.parallel.setObjectName("sweepParallel")
        self.parallel.setRange(1, 256)
        self.trials_per_gpu = QSpinBox()
        self.trials_per_gpu.setRange(1, 64)
        self.trials_per_gpu.setToolTip(
            "GPU placement: trials sharing one GPU (one GPU each by default)"
        )
        self.device = DeviceCombo(catalog)
        self.threads = threads_spin("the free cores")
        self.threads.setObjectName("sweepThreads")
        self.seed = SeedEdit("sweepSeed")
        self.log_models = QCheckBox("an MLflow Model for every complete trial")
        self.log_models.setObjectName("sweepLogModels")
        self.log_models.setToolTip("The best trial always gets one; this logs the others too")
        self.replace_stopped = QCheckBox("run another trial in place of one you stop")
        self.replace_stopped.setObjectName("sweepReplaceStopped")
        self.replace_stopped.setToolTip(
            "Off: a trial you stop from the Jobs panel counts as one of the sweep's trials. "
            "On: it does not, and another trial runs in its place."
        )
        self.retries = QSpinBox()
        self.retries.setRange(0, 100)
        self.trial_retries = QSpinBox()
        self.trial_retries.setObjectName("sweepTrialRetries")
        self.trial_retries.setRange(0, 100)
        self.trial_retries.setValue(SweepSpec.trial_retries)
        self.trial_retries.setToolTip(
            "A trial whose worker dies (killed, out of memory) goes on from its last checkpoint "
            "in the same run, up to this many times; then it fails"
        )
        self.seeds_per_config = QSpinBox()
        self.seeds_per_config.setObjectName("sweepSeedsPerConfig")
        self.seeds_per_config.setRange(1, 100)
        self.seeds_per_config.setToolTip(
            "Train each configuration with this many seeds (the sweep's seed, seed + 1, ...); "
            "the sweep optimises their mean and shows its standard error"
        )
        self.warm_start = QLineEdit()
        self.warm_start.setObjectName("sweepWarmStart")
        self.warm_start.setPlaceholderText("none (STUDY or STUDY:N; or pick one below)")
        self.warm_start.setToolTip(
            "Run the N best configurations (default 5) of a past sweep in this storage first"
        )
        self.name = QLineEdit()
        self.name.setObjectName("sweepName")
        self.name.setPlaceholderText("default: PLUGIN-DATASET-TIME (an existing name resumes it)")
        self.experiment = experiment_edit()

        settings_box = QGroupBox("Sweep")
        rows = QFormLayout(settings_box)
        rows.addRow("dataset", self.dataset)
        rows.addRow("sampler", self.sampler)
        rows.addRow("pruner", self.pruner)
        rows.addRow("algorithm", self.algorithm)
        rows.addRow("population", self.population)
        rows.addRow("exploit interval", self.interval)
        rows.addRow("trials", self.trials)
        rows.addRow("timeout", self.timeout)
        rows.addRow("parallel workers", self.parallel)
        rows.addRow("trials per GPU", self.trials_per_gpu)
        rows.addRow("device", self.device)
        rows.addRow("threads per trial", self.threads)
        rows.addRow("seed", self.seed)
        rows.addRow("retries", self.retries)
        rows.addRow("resumes after a crash", self.trial_retries)
        rows.addRow("seeds per configuration", self.seeds_per_config)
        rows.addRow("warm start from", self.warm_start)
        rows.addRow("models", self.log_models)
        rows.addRow("stopped trials", self.replace_stopped)
        rows.addRow("name", self.name)
        rows.addRow("experiment", self.experiment)
        return settings_box

    def _build_studies(self) -> QGroupBox:
        """The studies in the storage, to resume one."""
        self.studies = QListWidget()
        self.studies.setObjectName("studyList")
        self.studies.setMaximumHeight(110)
        self.refresh_studies_button = QPushButton("Refresh")
        self.resume_button = QPushButton("Resume selected")
        self.warm_start_button = QPushButton("Warm-start from selected")
        self.warm_start_button.setObjectName("warmStartButton")
        self.warm_start_button.setToolTip(
            "A new sweep that first runs the selected sweep's 5 best configurations"
        )
        self.refresh_studies_button.clicked.connect(self.refresh_studies)
        self.resume_button.clicked.connect(self.resume_selected)
        self.warm_start_button.clicked.connect(self.warm_start_from_selected)
        studies_box = QGroupBox("Existing sweeps (studies)")
        studies_layout = QVBoxLayout(studies_box)
        studies_layout.addWidget(self.studies)
        study_buttons = QHBoxLayout()
        study_buttons.addWidget(self.refresh_studies_button)
        study_buttons.addWidget(self.resume_button)
        study_buttons.addWidget(self.warm_start_button)
        study_buttons.addStretch(1)
        studies_layout.addLayout(study_buttons)
        return studies_box

    def set_plugin(self, plugin: type[Plugin]) -> None:
        if self.plugin is plugin:
            return
        QTimer.singleShot(0, self.guard_fields)  # the plugin's rows, once they are built
        self.plugin = plugin
        self.defaults.reset(plugin)
        self.title.setText(f"Sweep: {plugin.name} ({plugin.id})")
        self.dataset.set_kinds(tuple(plugin.data_kinds))
        while self.search_grid.count():
            widget = self.search_grid.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.rows = {}
        for header, column in (("search", 0), ("fixed value", 1), ("range or choices", 2)):
            label = QLabel(header)
            label.setStyleSheet("font-weight: 600;")
            self.search_grid.addWidget(label, 0, column)
        for index, param in enumerate(plugin.full_schema(), start=1):
            row = SearchRow(param)
            self.search_grid.addWidget(row.toggle, index, 0)
            self.search_grid.addWidget(row.fixed, index, 1)
            self.search_grid.addWidget(row.range, index, 2)
            row.toggle.toggled.connect(self.schedule_check)
            row.fixed.changed.connect(self.schedule_check)
            row.range.changed.connect(self.schedule_check)
            self.rows[param.name] = row
        if "lr" in self.rows and plugin.automatic_optimization:
            self.rows["lr"].fixed.layout_.addWidget(finder_button(self.find_lr))
        for objective in list(self.objectives):
            self._remove_objective(objective)
        self.add_objective()
        self.schedule_check()

    def add_objective(
        self, metric: str | None = None, direction: str | None = None
    ) -> ObjectiveRow:
        metrics = valid_metrics(self.plugin) if self.plugin else []
        row = ObjectiveRow(metrics)
        if metric is None and self.plugin is not None:
            metric = f"val_{self.plugin.monitor}"
        if metric:
            row.metric.setCurrentText(metric)
        row.direction.setCurrentText(direction or AUTO)
        row.metric.currentIndexChanged.connect(self.schedule_check)
        row.direction.currentIndexChanged.connect(self.schedule_check)
        row.remove.clicked.connect(lambda: self._remove_objective(row))
        self.objective_layout.insertWidget(self.objective_layout.count() - 1, row)
        self.objectives.append(row)
        self.guard_fields()
        self.schedule_check()
        return row

    def _remove_objective(self, row: ObjectiveRow) -> None:
        self.objectives.remove(row)
        row.setParent(None)
        row.deleteLater()
        self.schedule_check()

    # -- the spec ------------------------------------------------------------------------------
    def spec(self) -> SweepSpec:
        """The form as a ``SweepSpec``; a field that is not even a value raises ``UsageError``."""
        if self.plugin is None:
            raise UsageError("choose a plugin in the gallery")
        search, fixed = [], {}
        # Values at the dataset task's defaults are left to the runner, which fills them in.
        defaults = self.defaults.values
        for name, row in self.rows.items():
            if row.searched:
                search.append(row.range.search_param())
            else:
                value = row.fixed.value()
                if value != defaults[name] or name == "steps":
                    fixed[name] = value
        return SweepSpec(
            plugin=self.plugin.id,
            dataset=self.dataset.dataset_id(),
            search=search,
            fixed=fixed,
            objectives=[row.objective() for row in self.objectives],
            sampler=None if self.sampler.currentText() == AUTO else self.sampler.currentText(),
            pruner=None if self.pruner.currentText() == AUTO else self.pruner.currentText(),
            algorithm=None if self.algorithm.currentIndex() == 0 else self.algorithm.currentText(),
            population=self.population.value(),
            interval=self.interval.value() or None,
            trials=self.trials.value() or None,
            timeout=self.timeout.value() or None,
            parallel=self.parallel.value(),
            trials_per_gpu=self.trials_per_gpu.value(),
            device=self.device.device_id(),
            threads=self.threads.value() or None,
            seed=self.seed.value(),
            retries=self.retries.value(),
            trial_retries=self.trial_retries.value(),
            seeds_per_config=self.seeds_per_config.value(),
            warm_start=self.warm_start.text().strip() or None,
            log_models=self.log_models.isChecked(),
            replace_stopped=self.replace_stopped.isChecked(),
            name=self.name.text().strip() or None,
            workspace=self.workspace,
            tracking_uri=self.tracking_uri,
            experiment=self.experiment.text().strip() or None,
        )

    def set_spec(self, spec: SweepSpec) -> None:
        """Fill the form from a spec (a loaded file or a study to resume)."""
        entry = next((e for e in self.catalog.plugins if e.id == spec.plugin and e.ok), None)
        if entry is None:
            raise UsageError(
                f"the spec's plugin {spec.plugin!r} is not installed or failed to load"
            )
        self.set_plugin(entry.plugin)
        self.dataset.set_dataset_id(spec.dataset)
        searched = {s.name: s for s in spec.search}
        for name, row in self.rows.items():
            row.toggle.setChecked(name in searched)
            if name in searched:
                row.range.set_search(searched[name])
            if name in spec.fixed:
                row.fixed.set_value(spec.fixed[name])
        for objective in list(self.objectives):
            self._remove_objective(objective)
        for objective in spec.objectives or [Objective(f"val_{self.plugin.monitor}")]:
            self.add_objective(objective.metric, objective.direction)
        self.sampler.setCurrentText(spec.sampler or AUTO)
        self.pruner.setCurrentText(spec.pruner or AUTO)
        self.algorithm.setCurrentText(spec.algorithm or SAMPLE_AND_PRUNE)
        self.population.setValue(spec.population)
        self.interval.setValue(spec.interval or 0)
        self.trials.setValue(spec.trials or 0)
        self.timeout.setValue(spec.timeout or 0)
        self.parallel.setValue(spec.parallel)
        self.trials_per_gpu.setValue(spec.trials_per_gpu)
        self.device.set_device_id(spec.device)
        self.threads.setValue(spec.threads or 0)
        self.seed.set_value(spec.seed)
        self.retries.setValue(spec.retries)
        self.trial_retries.setValue(spec.trial_retries)
        self.seeds_per_config.setValue(spec.seeds_per_config)
        self.warm_start.setText(spec.warm_start or "")
        self.log_models.setChecked(spec.log_models)
        self.replace_stopped.setChecked(spec.replace_stopped)
        self.name.setText(spec.name or "")
        self.experiment.setText(spec.experiment or "")
        self.schedule_check()

    # -- checking ------------------------------------------------------------------------------
    def schedule_check(self, *_args) -> None:
        self._follow_task_defaults()
        self.preview.schedule()
        self._version += 1
        self.start_button.setEnabled(False)
        self.queue_button.setEnabled(False)
        self._check_timer.start()

    def _follow_task_defaults(self) -> None:
        """Fixed values and the first objective still at the defaults of the task before take
        the chosen dataset's (see ``TaskDefaults``)."""
        if self.plugin is None:
            return
        monitor = self.defaults.monitor
        current = {}
        for name, row in self.rows.items():
            try:
                current[name] = row.fixed.value()
            except UsageError:
                continue  # not a value: nothing to follow
        changed = self.defaults.follow(self.plugin, self.dataset.dataset_id(), self.catalog,
                                       current)  # fmt: skip
        for name, value in changed.items():
            self.rows[name].fixed.set_value(value)  # comes back here: the defaults are set
        first = self.objectives[0] if self.objectives else None
        metric = first.metric if first is not None else None
        if metric is not None and metric.currentText() == monitor != self.defaults.monitor:
            metric.setCurrentText(self.defaults.monitor)

    def _check_now(self) -> None:
        version = self._version
        if not self.catalog.datasets_loaded:
            self._checked(version, "datasets are still loading")
            return
        try:
            data = self.spec().to_dict()
        except UsageError as error:
            self._checked(version, str(error))
            return

        def done(_name: str) -> None:
            self._checked(version, "")

        def failed(message: str, _details: str) -> None:
            self._checked(version, message.removeprefix("UsageError: "))

        run_in_background(lambda: _check(data), done, failed, queue="optuna", owner=self)

    def _checked(self, version: int, error: str) -> None:
        if version != self._version:
            return  # the form changed since; a newer check is on its way
        self._checked_version = version
        self.error = error
        self._valid_version = version if not error else -1
        self._show_status()
        self.checked.emit(not error)

    def _show_status(self) -> None:
        self.show_status(f"Cannot start: {self.error}" if self.error else "")
        self.start_button.setEnabled(not self.error and self._valid_version == self._version)
        self.queue_button.setEnabled(self.start_button.isEnabled())
        self.save_button.setEnabled(self.plugin is not None)

    def check_settled(self) -> bool:
        """True once the check of the form as it is now has come back."""
        return self._checked_version == self._version

    def is_ready(self) -> bool:
        return self._valid_version == self._version and not self.error

    def find_lr(self) -> LrFinderDialog | None:
        """Open the learning-rate finder on one run of the sweep's fixed values; "Use" sets
        lr's fixed value, "Use as search range" searches lr over the finder's range."""
        try:
            spec = self.spec()
            hparams = {name: row.fixed.value() for name, row in self.rows.items()}
        except UsageError as error:
            self.show_status(f"Cannot find the lr: {error}")
            return None
        config = RunConfig(spec.plugin, spec.dataset, hparams, seed=spec.seed,
                           device=spec.device, workspace=self.workspace)  # fmt: skip
        dialog = LrFinderDialog(
            config.to_dict(), self.rows["lr"].fixed.set_value, self._search_lr, parent=self
        )
        dialog.open()
        return dialog

    def _search_lr(self, low: float, high: float) -> None:
        row = self.rows["lr"]
        row.toggle.setChecked(True)
        row.range.set_search(SearchParam("lr", low=low, high=high, log=True))
        self.schedule_check()

    def start(self) -> None:
        if self.is_ready():
            self.start_requested.emit(self.spec().to_dict())

    def add_to_queue(self) -> None:
        if self.is_ready():
            self.queue_requested.emit(self.spec().to_dict())

    # -- files and studies ---------------------------------------------------------------------
    def load_file(self, path: str) -> None:
        self.set_spec(SweepSpec.load(path))

    def save_file(self, path: str) -> None:
        self.spec().save(path)

    def choose_and_load(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load sweep spec", "", "YAML (*.yaml *.yml)")
        if path:
            try:
                self.load_file(path)
            except UsageError as error:
                self.show_status(f"Cannot load {path}: {error}")

    def choose_and_save(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Save sweep spec", "sweep.yaml", "YAML (*.yaml *.yml)"
        )
        if path:
            try:
                self.save_file(path)
            except UsageError as error:
                self.show_status(f"Cannot save: {error}")

    def set_storage(self, storage: str) -> None:
        self.storage = storage
        self.studies.clear()

    def refresh_studies(self) -> None:
        if not self.storage:
            return
        storage = self.storage
        run_in_background(
            lambda: _studies(storage), self._studies_loaded, queue="optuna", owner=self
        )

    def _studies_loaded(self, studies: list) -> None:
        self.studies.clear()
        for study in studies:
            counts = ", ".join(
                f"{study.states[state]} {state}" for state in State if study.states.get(state)
            )
            item = QListWidgetItem(
                f"{study.name} — {study.plugin} on {study.dataset}, {counts or 'no trials'}"
            )
            item.setData(Qt.ItemDataRole.UserRole, study.name)
            self.studies.addItem(item)

    def warm_start_from_selected(self) -> None:
        """Start the next sweep from the selected study's best configurations."""
        item = self.studies.currentItem()
        if item is not None:
            self.warm_start.setText(f"{item.data(Qt.ItemDataRole.UserRole)}:{WARM_START_CONFIGS}")

    def resume_selected(self) -> None:
        item = self.studies.currentItem()
        if item is None or not self.storage:
            return
        name, storage = item.data(Qt.ItemDataRole.UserRole), self.storage

        def loaded(data: dict[str, Any]) -> None:
            spec = SweepSpec.from_dict({**data, "name": name})
            spec.workspace, spec.tracking_uri = self.workspace, self.tracking_uri
            spec.storage = None
            self.set_spec(spec)

        run_in_background(lambda: _study_spec(storage, name), loaded, queue="optuna", owner=self)
