"""The dataset preview beside the run and sweep forms, driven like a user drives it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import type_into
from PySide6.QtWidgets import QLabel

from app._tasks import wait_for_background_tasks
from engine.data import load_dataset
from engine.errors import UsageError

WAIT_MS = 60_000  # the first preview imports torch and scikit-learn on a busy machine


@pytest.fixture
def catalog(qtbot, errors) -> Iterator:
    from app._catalog import Catalog

    listed = Catalog()
    listed.load_in_background()
    qtbot.waitUntil(lambda: listed.datasets_loaded, timeout=WAIT_MS)
    yield listed
    wait_for_background_tasks()
    assert errors == []


def plugin(catalog, plugin_id: str):
    return next(entry.plugin for entry in catalog.plugins if entry.id == plugin_id)


def make_form(qtbot, catalog, form_class, plugin_id: str, tmp_path):
    form = form_class(catalog)
    qtbot.addWidget(form)
    form.workspace = str(tmp_path / "ws")
    form.set_plugin(plugin(catalog, plugin_id))
    form.show()
    return form


def choose_user_data(qtbot, form, scheme: str, path) -> None:
    picker = form.dataset
    picker.combo.setCurrentIndex(picker.combo.findData("user:" + scheme))
    type_into(qtbot, picker.argument, str(path))


def thumbnails(panel) -> list[QLabel]:
    return [label for label in panel.findChildren(QLabel, "previewThumbnail") if label.isVisible()]


def test_choosing_digits_shows_its_split_sizes_and_six_thumbnails(qtbot, catalog, tmp_path):
    from app.form import RunForm

    form = make_form(qtbot, catalog, RunForm, "cnn", tmp_path)
    form.dataset.set_dataset_id("digits")
    panel = form.preview
    sizes = load_dataset("digits", tmp_path, seed=0, val_fraction=0.1).sizes()
    expected = (
        f"{sum(sizes.values()):,} samples: train {sizes['train']:,} / val {sizes['val']:,} / "
        f"test {sizes['test']:,}"
    )
    qtbot.waitUntil(lambda: panel.summary.text() == expected, timeout=WAIT_MS)
    assert expected == "1,797 samples: train 1,294 / val 144 / test 359"
    assert len(thumbnails(panel)) == 6
    assert "input 1 × 8 × 8" in panel.details.text() and "10 classes" in panel.details.text()
    assert panel.bars is not None and panel.bars.isVisible()
    assert not panel.error.isVisible()
    assert form.start_button.isEnabled()

    # A larger validation share is previewed as the run would split it.
    type_into(qtbot, form.schema_form.fields["val_fraction"].edit, "0.5")
    qtbot.waitUntil(lambda: "val 719" in panel.summary.text(), timeout=WAIT_MS)


def test_a_malformed_csv_shows_the_runs_one_line_error(qtbot, catalog, tmp_path):
    from app.form import RunForm

    path = tmp_path / "bad.csv"
    path.write_text("time,load\n1,2\n2,3,4\n")
    with pytest.raises(UsageError) as run_error:
        load_dataset(f"csv:{path}", tmp_path)
    form = make_form(qtbot, catalog, RunForm, "rnn", tmp_path)
    form.dataset.set_dataset_id("sines")
    panel = form.preview
    qtbot.waitUntil(lambda: panel.preview is not None, timeout=WAIT_MS)

    choose_user_data(qtbot, form, "csv", path)
    qtbot.waitUntil(lambda: panel.error.isVisible(), timeout=WAIT_MS)
    assert panel.error.text() == str(run_error.value)
    assert "\n" not in panel.error.text()
    assert panel.preview is None and thumbnails(panel) == []
    assert not panel.plot.isVisible()


def test_the_sweep_form_says_when_the_plugin_cannot_take_the_data(qtbot, catalog, tmp_path):
    from app._catalog import check_dataset
    from app.form import SweepForm

    path = tmp_path / "load.csv"
    path.write_text("time,load\n" + "".join(f"{i},{i % 7}\n" for i in range(100)))
    form = make_form(qtbot, catalog, SweepForm, "cnn", tmp_path)
    choose_user_data(qtbot, form, "csv", path)
    problem = check_dataset(form.dataset.dataset_id(), plugin(catalog, "cnn"))
    assert problem and "cannot take dataset" in problem
    qtbot.waitUntil(lambda: form.preview.error.text() == problem, timeout=WAIT_MS)
    qtbot.waitUntil(form.check_settled, timeout=WAIT_MS)
    assert problem in form.status.text()


def test_an_augmentation_shows_the_samples_augmented_beside_the_originals(qtbot, catalog, tmp_path):
    from app.form import RunForm

    form = make_form(qtbot, catalog, RunForm, "cnn", tmp_path)
    form.dataset.set_dataset_id("digits")
    panel = form.preview
    qtbot.waitUntil(lambda: len(thumbnails(panel)) == 6, timeout=WAIT_MS)
    assert not panel.augmented_caption.isVisible()

    type_into(qtbot, form.schema_form.fields["augment_cutout"].edit, "0.5")
    qtbot.waitUntil(lambda: len(augmented(panel)) == 6, timeout=WAIT_MS)
    assert panel.augmented_caption.isVisible() and len(thumbnails(panel)) == 6
    originals = [label.pixmap().toImage() for label in thumbnails(panel)]
    assert [label.pixmap().toImage() for label in augmented(panel)] != originals
    assert [label.toolTip() for label in augmented(panel)] == [
        label.toolTip() for label in thumbnails(panel)
    ]

    type_into(qtbot, form.schema_form.fields["augment_cutout"].edit, "0")
    qtbot.waitUntil(lambda: augmented(panel) == [], timeout=WAIT_MS)
    assert not panel.augmented_caption.isVisible() and len(thumbnails(panel)) == 6
    assert not panel.busy.isVisible()


def augmented(panel) -> list[QLabel]:
    found = panel.findChildren(QLabel, "previewAugmentedThumbnail")
    return [label for label in found if label.isVisible()]


def test_a_new_image_folder_shows_how_far_its_decoding_is(qtbot, catalog, tmp_path):
    import numpy as np
    from PIL import Image

    from app.form import RunForm

    root = tmp_path / "pictures"
    for label in ("a", "b"):
        (root / label).mkdir(parents=True)
        for index in range(4):
            Image.fromarray(np.full((4, 4), 60 * index, np.uint8), "L").save(
                root / label / f"{index}.png"
            )
    form = make_form(qtbot, catalog, RunForm, "cnn", tmp_path)
    panel = form.preview
    seen = []  # each step as the panel showed it (connected after the panel's own slot)
    panel.loading_step.connect(
        lambda _key, what, done, total: seen.append(
            (what, done, total, panel.summary.text(), panel.busy.maximum(), panel.busy.value())
        )
    )
    choose_user_data(qtbot, form, "folder", root)
    qtbot.waitUntil(lambda: "8 samples: train" in panel.summary.text(), timeout=WAIT_MS)
    decoding = [step for step in seen if step[0].startswith("decoding 8 images")]
    assert decoding and decoding[-1][1:3] == (8, 8)
    assert "decoding 8 images" in decoding[-1][3] and "8 of 8" in decoding[-1][3]
    assert decoding[-1][4:] == (8, 8)  # the bar, full
