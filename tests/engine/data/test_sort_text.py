"""Token data for the Transformer: the built-in ``sort`` task and ``text:`` user files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.data import dataset_info, list_datasets, list_sources, load_dataset
from engine.data._sort import LENGTH, SYMBOLS, TEST_SAMPLES, all_inputs, hash_unit, split_of
from engine.data._text import DEFAULT_BLOCK, TEST_FRACTION, minimum_length
from engine.errors import UsageError


def distinct(split) -> set[tuple[int, ...]]:
    return {tuple(row) for row in split.x.tolist()}


# -- sort ---------------------------------------------------------------------------------------
def test_sort_is_listed_as_a_token_task():
    info = {info.id: info for info in list_datasets()}["sort"]
    assert (info.kind, info.task) == ("tokens", "sort")


def test_sort_targets_are_the_sorted_inputs(tmp_path):
    dataset = load_dataset("sort", tmp_path)
    assert dataset.spec.input_shape == (LENGTH,) and dataset.spec.vocab_size == SYMBOLS
    for split in (dataset.train, dataset.val, dataset.test):
        x, y = split.x.numpy(), split.y.numpy()
        assert x.shape[1:] == (LENGTH,) and x.min() >= 0 and x.max() < SYMBOLS
        assert np.array_equal(np.sort(x, axis=1), y)


def test_sort_splits_never_share_an_input(tmp_path):
    dataset = load_dataset("sort", tmp_path, val_fraction=0.2)
    train, val, test = distinct(dataset.train), distinct(dataset.val), distinct(dataset.test)
    assert not train & test and not val & test and not train & val
    assert len(dataset.test) == TEST_SAMPLES
    # Train and validation hold each of their inputs once; together they cover the rest.
    assert len(train) == len(dataset.train) and len(val) == len(dataset.val)
    assert train | val | test == set(all_inputs())
    assert 0.15 < len(test) / len(all_inputs()) < 0.35


def test_sort_test_inputs_do_not_depend_on_seed_or_validation_share(tmp_path):
    first = load_dataset("sort", tmp_path, seed=0, val_fraction=0.1)
    second = load_dataset("sort", tmp_path, seed=5, val_fraction=0.3)
    assert np.array_equal(first.test.x.numpy(), second.test.x.numpy())
    # A larger validation share only moves training inputs to validation.
    assert distinct(first.val) < distinct(second.val)
    assert distinct(second.train) < distinct(first.train)


def test_sort_hash_is_stable_across_processes():
    sequence = (2, 0, 1, 1, 0, 2)
    script = f"from engine.data._sort import hash_unit;print(repr(hash_unit({sequence!r})))"
    values = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert values == {repr(hash_unit(sequence))}
    assert split_of(sequence, 0.1) == split_of(sequence, 0.1)


# -- text ---------------------------------------------------------------------------------------
def write(folder: Path, content: str | bytes, name: str = "corpus.txt") -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_text_is_a_listed_source():
    assert list_sources()["text"] == "text:PATH?block=128"


def test_text_windows_are_shifted_by_one_and_cut_in_file_order(tmp_path):
    text = "".join(chr(ord("a") + i % 26) + ("\n" if i % 7 == 0 else "é") for i in range(600))
    path = write(tmp_path, text)
    dataset = load_dataset(f"text:{path}?block=16", tmp_path, val_fraction=0.1)
    spec = dataset.spec
    alphabet = spec.extra["alphabet"]
    assert (spec.kind, spec.task, spec.input_shape) == ("text", "language_modeling", (16,))
    assert alphabet == "".join(sorted(set(text))) and spec.vocab_size == len(alphabet)

    def decoded(split) -> list[str]:
        return ["".join(alphabet[c] for c in row) for row in split.x.tolist()]

    for split in (dataset.train, dataset.val, dataset.test):
        assert np.array_equal(split.x.numpy()[:, 1:], split.y.numpy()[:, :-1])
        for window in decoded(split):
            assert window in text
    # Training comes first, then validation, then test: no character is in two parts.
    test_start = len(text) - int(len(text) * TEST_FRACTION)
    val_start = test_start - int(test_start * 0.1)
    assert decoded(dataset.test)[0] == text[test_start : test_start + 16]
    assert decoded(dataset.val)[0] == text[val_start : val_start + 16]
    last_train_start = (val_start - 17) // 8 * 8  # windows start every block // 2
    assert decoded(dataset.train)[-1] == text[last_train_start : last_train_start + 16]
    assert last_train_start + 16 < val_start <= last_train_start + 8 + 16


def test_text_default_block(tmp_path):
    path = write(tmp_path, "abc " * 1000)
    dataset = load_dataset(f"text:{path}", tmp_path)
    assert dataset.spec.input_shape == (DEFAULT_BLOCK,)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "is empty"),
        ("  \n\t\n", "is empty"),
        (b"caf\xe9 au lait" * 100, "is not UTF-8 text"),
        ("short text", f"holds 10 characters; at least {minimum_length(128)} are needed"),
    ],
)
def test_bad_text_files_are_one_usage_error_naming_the_file(tmp_path, content, problem):
    path = write(tmp_path, content)
    with pytest.raises(UsageError, match=problem) as raised:
        load_dataset(f"text:{path}", tmp_path)
    assert str(path) in str(raised.value)
    assert "\n" not in str(raised.value)


def test_missing_folder_and_unreadable_text_files(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        dataset_info(f"text:{tmp_path / 'nothing.txt'}")
    with pytest.raises(UsageError, match="is not a file"):
        dataset_info(f"text:{tmp_path}")
    locked = write(tmp_path, "x" * 5000, "locked.txt")
    locked.chmod(0)
    try:
        if locked.stat().st_mode and not _readable(locked):
            with pytest.raises(UsageError, match="cannot be read"):
                dataset_info(f"text:{locked}")
    finally:
        locked.chmod(0o644)


def _readable(path: Path) -> bool:
    try:
        path.read_bytes()
    except OSError:
        return False
    return True  # running as root: permissions do not apply


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ("?block=1", "invalid block '1'"),
        ("?block=x", "invalid block 'x'"),
        ("?blok=8", "unknown option 'blok=8' \\(did you mean block\\?\\)"),
    ],
)
def test_bad_text_options(tmp_path, options, problem):
    path = write(tmp_path, "abc " * 1000)
    with pytest.raises(UsageError, match=problem):
        dataset_info(f"text:{path}{options}")
