"""The decoded-image cache of ``folder:`` data: built once, reused, rebuilt when the folder or
the options change, never read half-built; images stay uint8 until a batch is taken."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from engine.data import load_dataset
from engine.data._folder import listed_images
from engine.data._image_cache import FOLDER, IMAGES_FILE, META_FILE, cached_images
from engine.data._progress import loading_progress
from engine.errors import UsageError

PER_CLASS = 10


def write_png(path: Path, value: int, size: tuple[int, int] = (5, 4)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(value).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels, "RGB").save(path)


@pytest.fixture
def pictures(tmp_path: Path) -> Path:
    """Two classes of 10 small colour PNGs each."""
    root = tmp_path / "pictures"
    for index in range(PER_CLASS):
        write_png(root / "cat" / f"c{index:02d}.png", index)
        write_png(root / "dog" / f"d{index:02d}.png", 100 + index)
    return root


def entries(cache: Path) -> list[Path]:
    """The cache entries (whole, decoded folders) under a datasets folder."""
    return sorted(cache.glob(f"{FOLDER}/*/[!.]*/{IMAGES_FILE}"))


def stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def test_second_load_reads_the_cache_without_decoding(tmp_path: Path, pictures: Path) -> None:
    cache = tmp_path / "cache"
    first = load_dataset(f"folder:{pictures}", cache)
    [store] = entries(cache)
    built = stamp(store)
    decoded: list[str] = []
    with loading_progress(lambda what, done, total: decoded.append(what)):
        again = load_dataset(f"folder:{pictures}", cache)
    assert entries(cache) == [store] and stamp(store) == built  # the same file, not rewritten
    assert decoded == []  # nothing decoded, nothing to report
    assert torch.equal(first.train.x, again.train.x)


def test_a_changed_or_added_file_rebuilds_the_cache(tmp_path: Path, pictures: Path) -> None:
    cache = tmp_path / "cache"
    before = load_dataset(f"folder:{pictures}", cache)
    [old_store] = entries(cache)
    changed = pictures / "cat" / "c03.png"
    write_png(changed, 999)
    after = load_dataset(f"folder:{pictures}", cache)
    [new_store] = entries(cache)  # the outdated entry is gone
    assert new_store != old_store
    files, _, _ = listed_images(pictures)
    row = files.index(str(changed))
    expected = np.asarray(Image.open(changed)).transpose(2, 0, 1)
    assert np.array_equal(np.load(new_store)[row], expected)
    # A dataset loaded before keeps its (now outdated) map: removing the entry breaks no run.
    assert not torch.equal(before.train.stored_x[row], after.train.stored_x[row])
    write_png(pictures / "dog" / "d99.png", 4242)
    added = load_dataset(f"folder:{pictures}", cache)
    assert sum(added.sizes().values()) == 2 * PER_CLASS + 1
    assert len(entries(cache)) == 1 and entries(cache) != [new_store]


def test_options_make_entries_of_their_own(tmp_path: Path, pictures: Path) -> None:
    cache = tmp_path / "cache"
    plain = load_dataset(f"folder:{pictures}", cache)
    small = load_dataset(f"folder:{pictures}?size=3", cache)
    gray = load_dataset(f"folder:{pictures}?color=gray", cache)
    assert len(entries(cache)) == 3  # one per way of reading the folder, none evicting another
    assert (plain.spec.input_shape, small.spec.input_shape) == ((3, 4, 5), (3, 3, 3))
    assert gray.spec.input_shape == (1, 4, 5)
    load_dataset(f"folder:{pictures}?size=3", cache)
    assert len(entries(cache)) == 3


def test_images_stay_uint8_and_batches_are_floats_in_0_1(tmp_path: Path, pictures: Path) -> None:
    dataset = load_dataset(f"folder:{pictures}", tmp_path / "cache")
    for split in (dataset.train, dataset.val, dataset.test):
        assert split.stored_x.dtype == torch.uint8
        batch = split.take(torch.arange(len(split)))
        assert batch.x.dtype == torch.float32 and batch.y.dtype == torch.int64
        assert 0.0 <= float(batch.x.min()) and float(batch.x.max()) <= 1.0
        assert torch.equal(batch.x, split.stored_x[split.rows].float() / 255)
        assert torch.equal(split.x, batch.x)  # the whole split, as models take it
    # What a model is given for one file at prediction time is exactly the batch's values.
    files, _, _ = listed_images(pictures)
    from engine.data import image_for

    first = dataset.train.rows[0]
    from_file = image_for(files[int(first)], dataset.spec.input_shape)
    assert np.array_equal(from_file, dataset.train.inputs(slice(0, 1))[0].numpy())


def test_splits_are_views_of_one_store(tmp_path: Path, pictures: Path) -> None:
    dataset = load_dataset(f"folder:{pictures}", tmp_path / "cache")
    [store] = entries(tmp_path / "cache")
    base = np.load(store, mmap_mode="r")
    splits = (dataset.train, dataset.val, dataset.test)
    for split in splits:
        assert np.shares_memory(split.stored_x.numpy(), dataset.train.stored_x.numpy())
        assert split.stored_x.shape == base.shape  # the whole store, not a copy of some rows
    rows = np.concatenate([split.rows.numpy() for split in splits])
    assert sorted(rows) == list(range(2 * PER_CLASS))  # each image in exactly one split
    # Moving a dataset moves the shared store once: its splits stay views of one tensor.
    moved = dataset.to("cpu")
    assert moved.train.stored_x is moved.val.stored_x is moved.test.stored_x


def test_a_damaged_or_half_built_cache_is_never_used(tmp_path: Path, pictures: Path) -> None:
    cache = tmp_path / "cache"
    expected = load_dataset(f"folder:{pictures}", cache).train.x
    [store] = entries(cache)
    # A decode killed half-way leaves its folder under a hidden name: never read, then removed.
    leftover = store.parent.with_name(".building-1-dead")
    leftover.mkdir()
    (leftover / IMAGES_FILE).write_bytes(b"half")
    with open(store, "r+b") as stream:  # a truncated store (a disk that lost its end)
        stream.truncate(store.stat().st_size // 2)
    assert torch.equal(load_dataset(f"folder:{pictures}", cache).train.x, expected)
    assert not leftover.exists()
    [store] = entries(cache)
    (store.parent / META_FILE).write_text("{not json")
    assert torch.equal(load_dataset(f"folder:{pictures}", cache).train.x, expected)
    assert entries(cache) and (store.parent / META_FILE).read_text().startswith("{")


def test_an_unreadable_image_is_named_and_nothing_is_cached(tmp_path: Path, pictures: Path) -> None:
    cache = tmp_path / "cache"
    broken = pictures / "dog" / "d05.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n but not really")
    with pytest.raises(UsageError, match=r"cannot read image '.*d05\.png'") as error:
        load_dataset(f"folder:{pictures}", cache)
    assert str(error.value).count("\n") == 0
    assert entries(cache) == [] and not list(cache.glob(f"{FOLDER}/*/.building-*"))


def test_parallel_decoding_gives_the_same_pixels_and_reports_progress(
    tmp_path: Path, pictures: Path
) -> None:
    files, _, _ = listed_images(pictures)
    here, _ = cached_images(pictures, files, None, None, tmp_path / "here", workers=1)
    progress: list[tuple[str, int, int]] = []
    with loading_progress(lambda *told: progress.append(told)):
        pool, color = cached_images(pictures, files, None, None, tmp_path / "pool", workers=2)
    assert color == "rgb" and np.array_equal(here, pool)
    decoding = [(done, total) for what, done, total in progress if what.startswith("decoding")]
    assert decoding[0] == (0, len(files)) and decoding[-1] == (len(files), len(files))
    assert len(decoding) > 2  # chunk by chunk, not only at the start and the end
    assert os.fspath(pictures) in progress[-1][0]
