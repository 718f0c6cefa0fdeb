"""The runs browser's "Compare images" tab: the selected runs' image artifacts side by side,
one column per run, one kind at a time (confusion matrices, GAN sample grids, attention maps,
forecasts). The columns zoom and pan together, so the same cells of two confusion matrices
sit side by side at a size that reads.

An image's kind is its artifact path without a step in it, so ``samples/step_0000200.png``
and ``samples/step_0000400.png`` are two steps of the kind ``samples``; for such kinds a step
slider picks the step, and each run shows its image nearest to it. Listing and downloading run
on the MLflow queue, one task at a time, the latest winning; downloads are kept in a temporary
folder for the session (a run's artifact at a path does not change).
"""

from __future__ import annotations

import functools
import re
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from app._tasks import LatestTask
from app.browser._query import RunRecord
from app.dashboards import ZoomImage, link_views

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
# "step_0000200", "step-200", "step200" as a whole path part or at the end of a name.
STEP = re.compile(r"(?:^|(?<=[_\-./]))step[_\-]?(\d+)(?=$|[_\-./])", re.IGNORECASE)
MAX_DEPTH = 3  # folders below the run's artifact root that are searched for images
NO_RUNS = "Select runs in the table and press Compare to see their images side by side."


@dataclass(frozen=True)
class ImageArtifact:
    path: str  # inside the run's artifacts
    kind: str
    step: int | None


def image_kind(path: str) -> tuple[str, int | None]:
    """(kind, step) of an artifact path: the path without its step, and the step if any."""
    step: int | None = None

    def without_step(text: str) -> str:
        nonlocal step
        match = STEP.search(text)
        if match is None:
            return text
        step = int(match.group(1)) if step is None else step
        left = text[: match.start()] + "_" + text[match.end() :]
        return re.sub(r"[_\-.]{2,}", "_", left).strip("_-.")

    pure = PurePosixPath(path)
    folders = [without_step(part) for part in pure.parent.parts if part != "."]
    name = without_step(pure.stem)
    if step is None:
        return path, None
    parts = [part for part in folders if part]
    kind = "/".join([*parts, name + pure.suffix] if name else parts)
    return kind or "images by step", step


def list_images(tracking_uri: str, run_ids: list[str]) -> dict[str, list[ImageArtifact]]:
    """Every image artifact of each run, MAX_DEPTH folders down (not the MLflow model)."""
    from engine.models import MODEL_ARTIFACT
    from engine.tracking import open_client

    client = open_client(tracking_uri)
    found: dict[str, list[ImageArtifact]] = {}
    for run_id in run_ids:
        images, folders = [], [(None, 0)]
        while folders:
            folder, depth = folders.pop()
            for info in client.list_artifacts(run_id, folder):
                if info.is_dir:
                    if depth < MAX_DEPTH and info.path != MODEL_ARTIFACT:
                        folders.append((info.path, depth + 1))
                elif info.path.lower().endswith(IMAGE_SUFFIXES):
                    images.append(ImageArtifact(info.path, *image_kind(info.path)))
        found[run_id] = sorted(images, key=lambda image: (image.kind, image.step or 0))
    return found


def nearest(images: list[ImageArtifact], step: int | None) -> ImageArtifact | None:
    """The image nearest to ``step`` (the earlier one of two as near), or the only one."""
    if not images:
        return None
    if step is None:
        return images[-1]
    return min(images, key=lambda image: (abs((image.step or 0) - step), image.step or 0))


@functools.cache
def _downloads() -> tempfile.TemporaryDirectory:
    # A copy, for this session: removed when the app ends.
    return tempfile.TemporaryDirectory(prefix="netyard-compare-images-", ignore_cleanup_errors=True)


def download_folder() -> Path:
    return Path(_downloads().name)


def download_images(tracking_uri: str, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Local files of (run_id, artifact path) pairs, downloaded once per session."""
    from engine.tracking import open_client

    client, local = None, {}
    for run_id, path in wanted:
        target = download_folder() / run_id / path
        if not target.exists():
            client = client or open_client(tracking_uri)
            target.parent.mkdir(parents=True, exist_ok=True)
            client.download_artifacts(run_id, path, str(download_folder() / run_id / _parent(path)))
        local[(run_id, path)] = str(target)
    return local


def _parent(path: str) -> str:
    parent = str(PurePosixPath(path).parent)
    return "" if parent == "." else parent


class ArtifactCompare(QWidget):
    """``set_runs(tracking_uri, rows)`` lists the runs' images; the kind combo and the step
    slider choose what is shown, one column per run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tracking_uri = ""
        self.rows: list[RunRecord] = []
        self.images: dict[str, list[ImageArtifact]] = {}
        self.steps: list[int] = []
        self.local: dict[tuple[str, str], str] = {}  # downloaded: (run_id, path) -> file
        self.shown: dict[str, ImageArtifact | None] = {}  # run_id -> its image in sight
        self._task = LatestTask(self, "mlflow")  # listing the runs' images, or downloading

        self.kind = QComboBox()
        self.kind.setObjectName("imageKind")
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.step = QSlider(Qt.Orientation.Horizontal)
        self.step.setObjectName("imageStep")
        self.step.valueChanged.connect(self._show)
        self.step_label = QLabel()
        self.info = QLabel(NO_RUNS)
        self.info.setObjectName("imageInfo")
        top = QHBoxLayout()
        top.addWidget(QLabel("image"))
        top.addWidget(self.kind, 1)
        top.addWidget(self.step_label)
        top.addWidget(self.step, 2)
        top.addWidget(self.info, 2)
        self.grid = QGridLayout()
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.titles: list[QLabel] = []
        self.pictures: list[ZoomImage] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addLayout(self.grid, 1)
        self._show_step_chooser(False)

    @property
    def loading(self) -> bool:
        """Whether the images listed or downloaded last are still on their way."""
        return self._task.running

    # -- listing -----------------------------------------------------------------------------
    def set_runs(self, tracking_uri: str, rows: list[RunRecord]) -> None:
        run_ids = [row.run_id for row in rows]
        self.tracking_uri, self.rows, self.images = tracking_uri, rows, {}
        self._make_columns()
        self.kind.clear()
        self.info.setText(f"Listing the images of {len(rows)} runs…")
        self._task.start(lambda: list_images(tracking_uri, run_ids), self._listed, self._failed)

    def _listed(self, images: dict[str, list[ImageArtifact]]) -> None:
        self.images = images
        runs_with = Counter(kind for run in images.values() for kind in {i.kind for i in run})
        # The kinds most runs have first: those are the ones worth putting side by side.
        kinds = sorted(runs_with, key=lambda kind: (-runs_with[kind], kind))
        self.kind.blockSignals(True)
        self.kind.clear()
        for kind in kinds:
            self.kind.addItem(f"{kind} ({runs_with[kind]} of {len(self.rows)} runs)", kind)
        self.kind.blockSignals(False)
        if not kinds:
            self.info.setText(f"None of the {len(self.rows)} runs logged an image artifact.")
            self._show_step_chooser(False)
            for picture in self.pictures:
                picture.set_image(None, "no images")
            return
        self.info.clear()
        self._kind_changed()

    def _failed(self, message: str, _details: str) -> None:
        self.info.setText(f"Could not read the runs' images: {message.splitlines()[0]}")

    # -- choosing ----------------------------------------------------------------------------
    def _of_kind(self, run_id: str) -> list[ImageArtifact]:
        kind = self.kind.currentData()
        return [image for image in self.images.get(run_id, []) if image.kind == kind]

    def _kind_changed(self, *_args) -> None:
        steps = {image.step for row in self.rows for image in self._of_kind(row.run_id)}
        self.steps = sorted(step for step in steps if step is not None)
        self.step.blockSignals(True)
        self.step.setRange(0, max(len(self.steps) - 1, 0))
        self.step.setValue(max(len(self.steps) - 1, 0))  # the last step: the trained model's
        self.step.blockSignals(False)
        self._show_step_chooser(bool(self.steps))
        self._show()

    def _show_step_chooser(self, shown: bool) -> None:
        self.step.setVisible(shown)
        self.step_label.setVisible(shown)

    @property
    def chosen_step(self) -> int | None:
        return self.steps[self.step.value()] if self.steps else None

    def set_step(self, step: int) -> None:
        """Show the images nearest to ``step`` (the slider moves to the nearest step logged)."""
        if self.steps:
            self.step.setValue(min(range(len(self.steps)), key=lambda i: abs(self.steps[i] - step)))

    # -- showing -----------------------------------------------------------------------------
    def _make_columns(self) -> None:
        for widget in (*self.titles, *self.pictures):
            self.grid.removeWidget(widget)
            widget.deleteLater()
        self.titles, self.pictures, self.shown = [], [], {}
        for column, row in enumerate(self.rows):
            title = QLabel(row.name)
            title.setAlignment(Qt.AlignmentFlag.AlignCenter)
            title.setToolTip(row.run_id)
            picture = ZoomImage("…", opens=ZoomImage.WIDTH)
            picture.setObjectName(f"comparedImage{column}")
            picture.setMinimumSize(160, 160)
            self.grid.addWidget(title, 0, column)
            self.grid.addWidget(picture, 1, column)
            self.grid.setColumnStretch(column, 1)
            self.titles.append(title)
            self.pictures.append(picture)
        self.grid.setRowStretch(1, 1)
        link_views(self.pictures)  # the same part of each run's image, side by side

    def _show(self, *_args) -> None:
        step = self.chosen_step
        self.step_label.setText(f"step {step}" if step is not None else "")
        wanted = []
        for column, row in enumerate(self.rows):
            image = nearest(self._of_kind(row.run_id), step)
            self.shown[row.run_id] = image
            at = f" · step {image.step}" if image is not None and image.step is not None else ""
            self.titles[column].setText(f"{row.name} ({row.run_id[:6]}){at}")
            if image is None:
                self.pictures[column].set_image(None, f"no {self.kind.currentData()} in this run")
            elif (row.run_id, image.path) not in self.local:
                wanted.append((row.run_id, image.path))
        self._paint()
        if not wanted:
            self._task.cancel()  # what an earlier step or kind still downloads is not in sight
            return
        uri = self.tracking_uri
        self._task.start(lambda: download_images(uri, wanted), self._downloaded, self._failed)

    def _downloaded(self, local: dict[tuple[str, str], str]) -> None:
        self.local.update(local)
        self._paint()

    def _paint(self) -> None:
        for column, row in enumerate(self.rows):
            image = self.shown.get(row.run_id)
            if image is None:
                continue
            file = self.local.get((row.run_id, image.path))
            if file is None:
                self.pictures[column].set_image(None, "downloading…")
                continue
            pixmap = QPixmap(file)
            if pixmap.isNull():
                self.pictures[column].set_image(None, f"{image.path} is not an image Qt can read")
            else:
                self.pictures[column].set_image(pixmap)
