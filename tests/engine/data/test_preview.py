"""Dataset previews: the split a run would use, described before the run starts."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from engine.data import PreviewKind, load_dataset, preview
from engine.errors import UsageError
from engine.runner import RunConfig, prepare_run


def write_series_csv(path: Path, rows: int) -> Path:
    lines = ["time,load,temp"] + [f"{i},{(i * 7) % 23 + 0.5 * i},{i % 5}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_digits_preview_is_the_split_a_run_with_the_same_seed_trains_on(tmp_path):
    shown = preview("digits", tmp_path / "datasets", seed=3)
    prepared = prepare_run(
        RunConfig(plugin="cnn", dataset="digits", seed=3, device="cpu", workspace=str(tmp_path))
    )
    dataset = prepared.dataset
    assert shown.kind == PreviewKind.IMAGES
    assert shown.sizes == dataset.sizes() and shown.total == 1797
    assert shown.input_shape == (1, 8, 8)
    assert shown.class_names == tuple(str(i) for i in range(10))
    for split in ("train", "val", "test"):
        counts = shown.class_counts[split]
        assert sum(counts) == shown.sizes[split]
        labels = getattr(dataset, split).y.numpy()
        assert counts == tuple(np.bincount(labels, minlength=10))
    assert len(shown.samples) == 6
    first = shown.samples[0]
    assert np.array_equal(first.data, dataset.train.x[0].numpy())
    assert first.label == str(int(dataset.train.y[0]))
    # Another seed draws another training part (the test part is fixed by design).
    other = preview("digits", tmp_path / "datasets", seed=4)
    assert other.class_counts["test"] == shown.class_counts["test"]
    assert not np.array_equal(other.samples[0].data, first.data) or (
        other.class_counts["train"] != shown.class_counts["train"]
    )


def test_csv_series_preview_shows_the_target_over_time_with_the_split_boundaries(tmp_path):
    path = write_series_csv(tmp_path / "load.csv", 300)
    dataset_id = f"csv:{path}?target=load&inputs=temp&window=12&horizon=3"
    shown = preview(dataset_id, tmp_path, seed=1, val_fraction=0.2)
    loaded = load_dataset(dataset_id, tmp_path, seed=1, val_fraction=0.2)
    assert shown.kind == PreviewKind.FORECASTING
    assert shown.sizes == loaded.sizes()
    assert shown.input_shape == (12, 2)
    assert shown.class_counts == {}
    expected = np.array([(i * 7) % 23 + 0.5 * i for i in range(300)])
    assert np.allclose(shown.series, expected, atol=1e-4)
    assert shown.boundaries == tuple(loaded.spec.extra["boundaries"])
    assert "forecast 'load' 3 steps ahead from the last 12; other inputs: temp" in shown.notes
    window = shown.samples[0]
    assert np.allclose(window.data, expected[:12], atol=1e-4)
    assert window.label.startswith("next: ")


def test_text_preview_shows_excerpts_of_the_file(tmp_path):
    text = "".join(f"line {i}: the quick brown fox jumps over the lazy dog.\n" for i in range(60))
    path = tmp_path / "notes.txt"
    path.write_text(text)
    shown = preview(f"text:{path}?block=32", tmp_path)
    assert shown.kind == PreviewKind.TEXT
    assert shown.sizes == load_dataset(f"text:{path}?block=32", tmp_path).sizes()
    assert len(shown.samples) == 6
    for sample in shown.samples:
        assert isinstance(sample.data, str) and len(sample.data) == 32 and sample.data in text
    assert shown.samples[0].data == text[:32]
    assert any("context 32" in note for note in shown.notes)


def test_points_and_tokens_previews(tmp_path):
    ring = preview("ring8", tmp_path)
    assert ring.kind == PreviewKind.POINTS and ring.points.shape == (2000, 2)
    assert np.allclose(np.hypot(*ring.points.T), 1.0, atol=0.06)
    assert sum(ring.class_counts["train"]) == ring.sizes["train"] and len(ring.class_names) == 8
    tokens = preview("sort", tmp_path)
    assert tokens.kind == PreviewKind.TOKENS and tokens.class_counts == {}
    source, target = tokens.samples[1].data, tokens.samples[1].label
    assert sorted(source.split()) == target.split()


def test_a_malformed_csv_fails_with_the_message_a_run_gives(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("time,load\n1,2\n2,3,4\n")
    dataset_id = f"csv:{path}?target=load"
    with pytest.raises(UsageError) as run_error:
        prepare_run(RunConfig(plugin="rnn", dataset=dataset_id, workspace=str(tmp_path)))
    with pytest.raises(UsageError) as preview_error:
        preview(dataset_id, tmp_path)
    assert str(preview_error.value) == str(run_error.value)
    assert "line 3 has 3 fields" in str(preview_error.value)
    assert "\n" not in str(preview_error.value)


def test_an_empty_folder_fails_with_the_loader_message(tmp_path):
    (tmp_path / "images").mkdir()
    with pytest.raises(UsageError, match="has no class subfolders"):
        preview(f"folder:{tmp_path / 'images'}", tmp_path)


def test_a_preview_is_kept_until_its_file_changes(tmp_path):
    path = write_series_csv(tmp_path / "load.csv", 200)
    dataset_id = f"csv:{path}?target=load&window=8"
    first = preview(dataset_id, tmp_path)
    assert preview(dataset_id, tmp_path) is first
    write_series_csv(path, 400)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a later edit
    second = preview(dataset_id, tmp_path)
    assert second.total > first.total
    assert len(second.series) == 400


def test_an_image_folder_preview_follows_images_added_to_a_class(tmp_path):
    from PIL import Image

    def save(name: str, shade: int) -> None:
        folder = tmp_path / "shapes" / name.split("/")[0]
        folder.mkdir(parents=True, exist_ok=True)
        Image.new("L", (6, 6), shade).save(tmp_path / "shapes" / name)

    for index in range(5):
        save(f"dark/{index}.png", 20 * index)
        save(f"light/{index}.png", 150 + 20 * index)
    dataset_id = f"folder:{tmp_path / 'shapes'}"
    first = preview(dataset_id, tmp_path)
    assert first.kind == PreviewKind.IMAGES and first.class_names == ("dark", "light")
    assert first.total == 10 and first.input_shape == (1, 6, 6)
    save("light/5.png", 255)  # a new file in a class folder, the root folder unchanged
    second = preview(dataset_id, tmp_path)
    assert second.total == 11
    assert sum(second.class_counts[split][1] for split in second.sizes) == 6
