"""The 2-D Gaussian mixtures and the ``folder:`` image source, with each of its errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from mlflow.tracking import MlflowClient
from PIL import Image

from engine.data import dataset_info, list_sources, load_dataset
from engine.errors import UsageError
from engine.metrics import mode_coverage
from engine.runner import RunConfig, execute_run, prepare_run
from engine.workspace import Workspace


# -- ring8 and grid25 -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dataset_id", "count", "sigma"), [("ring8", 8, 0.01), ("grid25", 25, 0.05)]
)
def test_mixtures_are_points_at_their_modes(
    tmp_path: Path, dataset_id: str, count: int, sigma: float
) -> None:
    dataset = load_dataset(dataset_id, tmp_path, seed=3)
    spec = dataset.spec
    assert (spec.kind, spec.task, spec.input_shape) == ("points", "generation", (2,))
    assert len(spec.extra["modes"]) == count and spec.extra["sigma"] == sigma
    # Real data scores as a perfect generator would: every mode, about 98.9 % within 3 sigma.
    coverage = mode_coverage(dataset.test.x.numpy(), np.array(spec.extra["modes"]), sigma)
    assert coverage.modes == count
    assert 0.97 < coverage.high_quality <= 1.0
    assert coverage.reverse_kl < 0.02
    # Targets say which mode each point came from.
    modes = np.array(spec.extra["modes"])[dataset.train.y.numpy()]
    assert np.abs(dataset.train.x.numpy() - modes).max() < 6 * sigma
    # The training points' mean and overall std, for models that work in standard units.
    train = dataset.train.x.numpy()
    np.testing.assert_allclose(spec.extra["center"], train.mean(axis=0), atol=1e-5)
    assert spec.extra["scale"] == pytest.approx(np.sqrt(((train - train.mean(0)) ** 2).mean()))


def test_ring_modes_lie_on_the_unit_circle_and_grid_on_even_coordinates(tmp_path: Path) -> None:
    ring = np.array(load_dataset("ring8", tmp_path).spec.extra["modes"])
    assert np.allclose(np.linalg.norm(ring, axis=1), 1.0)
    grid = np.array(load_dataset("grid25", tmp_path).spec.extra["modes"])
    assert sorted(set(grid[:, 0].round(6))) == [-4, -2, 0, 2, 4]


def test_mixture_splits_follow_the_seed_and_test_is_fixed(tmp_path: Path) -> None:
    first, again, other = (load_dataset("ring8", tmp_path, seed=s) for s in (1, 1, 2))
    assert np.array_equal(first.train.x.numpy(), again.train.x.numpy())
    assert not np.array_equal(first.train.x.numpy(), other.train.x.numpy())
    assert np.array_equal(first.test.x.numpy(), other.test.x.numpy())


# -- folder: ----------------------------------------------------------------------------------
def write_image(path: Path, size: tuple[int, int] = (6, 5), mode: str = "L", value: int = 0):
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(value)
    channels = {"L": (size[1], size[0]), "RGB": (size[1], size[0], 3)}[mode]
    Image.fromarray(rng.integers(0, 256, channels, dtype=np.uint8), mode).save(path)


@pytest.fixture
def shapes(tmp_path: Path) -> Path:
    """Two classes of small greyscale PNGs (circles and crosses), 8 each, plus a JPEG."""
    root = tmp_path / "shapes"
    for index in range(8):
        write_image(root / "circle" / f"c{index}.png", value=index)
        write_image(root / "cross" / f"x{index}.png", value=100 + index)
    write_image(root / "cross" / "extra.jpg", value=7)
    (root / "cross" / "notes.txt").write_text("not an image: ignored")
    return root


def test_folder_reads_classes_from_subfolder_names(tmp_path: Path, shapes: Path) -> None:
    info = dataset_info(f"folder:{shapes}")
    assert (info.kind, info.task) == ("image", "classification")
    dataset = info.load(tmp_path / "cache", seed=0)
    spec = dataset.spec
    assert spec.class_names == ("circle", "cross") and spec.num_classes == 2
    assert spec.input_shape == (1, 5, 6)  # channels x height x width
    assert sum(dataset.sizes().values()) == 17
    assert len(dataset.test) == round(17 * 0.2)
    for split in (dataset.train, dataset.val, dataset.test):
        assert split.x.dtype.is_floating_point
        assert 0.0 <= float(split.x.min()) and float(split.x.max()) <= 1.0
    labels = np.concatenate([s.y.numpy() for s in (dataset.train, dataset.val, dataset.test)])
    assert np.bincount(labels).tolist() == [8, 9]


def test_folder_pixels_match_the_files(tmp_path: Path) -> None:
    root = tmp_path / "tiny"
    for name, value in (("a", 10), ("b", 20), ("c", 30)):
        (root / name).mkdir(parents=True)
        Image.fromarray(np.full((2, 3), value, np.uint8), "L").save(root / name / "i.png")
    dataset = load_dataset(f"folder:{root}", tmp_path / "cache")
    values = sorted(
        round(float(split.x[i].mean()) * 255)
        for split in (dataset.train, dataset.val, dataset.test)
        for i in range(len(split))
    )
    assert values == [10, 20, 30]


def test_folder_colour_and_resizing_options(tmp_path: Path, shapes: Path) -> None:
    write_image(shapes / "circle" / "big.png", size=(12, 9), mode="RGB", value=3)
    # Any colour image makes the whole set RGB; size resizes everything to N x N.
    rgb = load_dataset(f"folder:{shapes}?size=4", tmp_path / "cache")
    assert rgb.spec.input_shape == (3, 4, 4)
    gray = load_dataset(f"folder:{shapes}?size=7&color=gray", tmp_path / "cache")
    assert gray.spec.input_shape == (1, 7, 7)


def test_folder_is_listed_as_a_source() -> None:
    assert list_sources()["folder"].startswith("folder:PATH")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda root: None, "does not exist"),
        (lambda root: root.parent.mkdir(parents=True) or root.write_text("x"), "is not a folder"),
        (lambda root: root.mkdir(parents=True), r"no class subfolders \(nothing usable\)"),
        (
            lambda root: write_image(root / "loose.png"),
            r"no class subfolders \(only loose images\)",
        ),
    ],
    ids=["missing", "file", "empty", "no-subfolders"],
)
def test_folder_errors_found_before_loading(tmp_path: Path, make, message: str) -> None:
    root = tmp_path / "data" / "images"
    make(root)
    with pytest.raises(UsageError, match=message) as error:
        dataset_info(f"folder:{root}")
    assert str(root) in str(error.value)


def test_a_single_class_is_refused_before_loading(tmp_path: Path) -> None:
    root = tmp_path / "one"
    for index in range(4):
        write_image(root / "circle" / f"c{index}.png", value=index)
    with pytest.raises(UsageError, match=r"only one class subfolder \('circle'\)") as error:
        dataset_info(f"folder:{root}")
    assert str(root) in str(error.value)
    assert "at least 2 classes (one subfolder of images per class)" in str(error.value)
    with pytest.raises(UsageError, match="at least 2 classes"):
        load_dataset(f"folder:{root}", tmp_path / "cache")


def test_empty_class_folder_is_named(tmp_path: Path, shapes: Path) -> None:
    (shapes / "triangle").mkdir()
    with pytest.raises(UsageError, match=r"class folder '.*triangle' holds no images"):
        load_dataset(f"folder:{shapes}", tmp_path / "cache")


def test_unreadable_image_is_named(tmp_path: Path, shapes: Path) -> None:
    (shapes / "cross" / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(UsageError, match=r"cannot read image '.*broken\.png'"):
        load_dataset(f"folder:{shapes}", tmp_path / "cache")


def test_mixed_sizes_are_reported_with_the_fix(tmp_path: Path, shapes: Path) -> None:
    write_image(shapes / "circle" / "odd.png", size=(9, 9))
    with pytest.raises(UsageError, match=r"differ in size .*odd\.png is 9x9.*\?size=N"):
        load_dataset(f"folder:{shapes}", tmp_path / "cache")
    resized = load_dataset(f"folder:{shapes}?size=5", tmp_path / "cache")
    assert resized.spec.input_shape == (1, 5, 5)


def test_too_few_images(tmp_path: Path) -> None:
    write_image(tmp_path / "few" / "a" / "1.png")
    write_image(tmp_path / "few" / "b" / "1.png")
    with pytest.raises(UsageError, match="holds 2 images; at least 3"):
        load_dataset(f"folder:{tmp_path / 'few'}", tmp_path / "cache")


@pytest.mark.parametrize(
    ("suffix", "message"),
    [
        ("?size=0", "invalid size '0'"),
        ("?size=big", "invalid size 'big'"),
        ("?color=cmyk", "invalid color 'cmyk'.*gray, rgb"),
        ("?colour=rgb", "unknown option 'colour'.*size, color"),
    ],
)
def test_bad_options(shapes: Path, suffix: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        dataset_info(f"folder:{shapes}{suffix}")


def test_bad_folder_leaves_nothing_in_the_tracking_store(
    tracked_workspace: Path, shapes: Path
) -> None:
    (shapes / "cross" / "broken.png").write_bytes(b"garbage")
    config = RunConfig("cnn", f"folder:{shapes}", workspace=str(tracked_workspace))
    with pytest.raises(UsageError, match="broken.png"):
        prepare_run(config)
    client = MlflowClient(Workspace.resolve(tracked_workspace).tracking_uri)
    experiments = client.search_experiments()
    assert client.search_runs([e.experiment_id for e in experiments]) == []


@pytest.mark.parametrize("plugin", ["cnn", "gan"])
def test_plugins_train_on_a_folder(tracked_workspace: Path, shapes: Path, plugin: str) -> None:
    tiny = {
        "cnn": {"channels": 4, "depth": 2},
        "gan": {"g_width": 16, "d_width": 16, "g_depth": 1, "d_depth": 1, "latent_dim": 4},
    }[plugin]
    config = RunConfig(
        plugin,
        f"folder:{shapes}",
        {**tiny, "steps": 3, "batch_size": 8, "eval_every": 3},
        workspace=str(tracked_workspace),
        threads=1,
    )
    outcome = execute_run(prepare_run(config))
    assert outcome.status == "finished", outcome.error
    client = MlflowClient(Workspace.resolve(tracked_workspace).tracking_uri)
    run = client.get_run(outcome.run_id)
    assert run.data.params["dataset"] == f"folder:{shapes}"
    artifacts = {item.path for item in client.list_artifacts(outcome.run_id)}
    if plugin == "cnn":
        assert 0.0 <= run.data.metrics["test_accuracy"] <= 1.0
        assert "confusion_matrix.png" in artifacts
    else:
        assert "test_modes" in run.data.metrics and "samples.png" in artifacts
