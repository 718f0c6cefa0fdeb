"""The runs browser's "Compare images" tab: the selected runs' image artifacts side by side,
one kind at a time, at the step chosen (each run's nearest), from a real MLflow store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from PySide6.QtGui import QColor, QImage

from app.browser import RunsBrowser
from app.browser._artifacts import image_kind, nearest

WAIT_MS = 30_000
RED, BLUE, GREEN = QColor(200, 30, 30), QColor(30, 30, 200), QColor(30, 160, 30)


def png(folder: Path, name: str, color: QColor) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    image = QImage(24, 16, QImage.Format.Format_RGB32)
    image.fill(color)
    assert image.save(str(path))
    return path


@pytest.fixture
def store(tmp_path, _empty_mlflow_store) -> str:
    """Run "red" logged a red confusion matrix and samples at steps 100 and 300; run "blue"
    a blue matrix and samples at step 200; run "plain" no image at all."""
    shutil.copyfile(_empty_mlflow_store, tmp_path / "mlflow.db")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("images", artifact_location=str(tmp_path / "art"))
    files = tmp_path / "files"
    logged = {
        "red": [("confusion_matrix.png", RED), ("samples/step_0000100.png", GREEN),
                ("samples/step_0000300.png", RED)],
        "blue": [("confusion_matrix.png", BLUE), ("samples/step_0000200.png", BLUE)],
        "plain": [],
    }  # fmt: skip
    for index, (name, images) in enumerate(logged.items()):
        run_id = client.create_run(experiment, start_time=1000 + index, run_name=name).info.run_id
        for path, color in images:
            local = png(files / run_id, path, color)
            folder = str(Path(path).parent)
            client.log_artifact(run_id, str(local), None if folder == "." else folder)
        client.set_terminated(run_id, "FINISHED")
    return uri


def test_image_kinds_and_nearest_steps():
    assert image_kind("confusion_matrix.png") == ("confusion_matrix.png", None)
    assert image_kind("samples/step_0000200.png") == ("samples", 200)
    assert image_kind("attention_step300.png") == ("attention.png", 300)
    assert image_kind("step_40/grid.png") == ("grid.png", 40)
    images = [img for p in ("s/step_1.png", "s/step_5.png") for img in [_image(p)]]
    assert nearest(images, 2).step == 1 and nearest(images, 4).step == 5
    assert nearest(images, 3).step == 1  # as near: the earlier
    assert nearest([], 3) is None


def _image(path: str):
    from app.browser._artifacts import ImageArtifact

    return ImageArtifact(path, *image_kind(path))


def color_of(browser: RunsBrowser, column: int) -> QColor | None:
    pixmap = browser.images.pictures[column].original
    return None if pixmap is None else pixmap.toImage().pixelColor(3, 3)


def test_two_runs_images_side_by_side_at_the_same_step(qtbot, store, errors):
    browser = RunsBrowser()
    qtbot.addWidget(browser)
    browser.set_tracking_uri(store)
    browser.resize(1200, 800)
    browser.show()
    qtbot.waitUntil(lambda: not browser.loading and len(browser.model.rows) == 3, timeout=WAIT_MS)
    browser.table.selectAll()
    browser.compare_selected()
    images = browser.images
    qtbot.waitUntil(lambda: images.kind.count() > 0 and not images.loading, timeout=WAIT_MS)

    names = [row.name for row in images.rows]
    assert names == ["plain", "blue", "red"]  # newest first, as in the table
    assert [images.kind.itemData(i) for i in range(images.kind.count())] == [
        "confusion_matrix.png", "samples"
    ]  # fmt: skip
    assert images.kind.itemText(0) == "confusion_matrix.png (2 of 3 runs)"
    assert not images.step.isVisibleTo(images)  # one matrix per run: no step to choose
    assert color_of(browser, 1) == BLUE and color_of(browser, 2) == RED
    assert color_of(browser, 0) is None
    assert "no confusion_matrix.png" in images.pictures[0].text()

    images.kind.setCurrentIndex(1)  # samples, logged at steps
    qtbot.waitUntil(lambda: not images.loading, timeout=WAIT_MS)
    assert images.step.isVisibleTo(images) and images.steps == [100, 200, 300]
    assert images.chosen_step == 300  # the last
    by_name = {row.name: images.shown[row.run_id] for row in images.rows}
    assert by_name["red"].step == 300 and by_name["blue"].step == 200  # its nearest
    assert color_of(browser, 2) == RED and color_of(browser, 1) == BLUE

    images.set_step(100)
    qtbot.waitUntil(lambda: not images.loading, timeout=WAIT_MS)
    assert color_of(browser, 2) == GREEN  # red's step 100
    assert images.titles[2].text().endswith("step 100")
    assert images.titles[1].text().endswith("step 200")  # blue's only one
    assert not errors
