"""``sort``: learn to sort 6 tokens over a 3-symbol vocabulary (minGPT's demo task).

There are only 3**6 = 729 distinct inputs, so which input goes to which split is decided by a
stable hash of the input itself (blake2b, not Python's per-process ``hash``): test and
training inputs never overlap, and every run and seed sees the same held-out inputs. As in
minGPT, a quarter of the inputs (hash bucket 0 of 4) is held out for testing, and the test
split is ``TEST_SAMPLES`` sequences drawn uniformly, with repetition, from that bucket (about
180 distinct inputs); exact match on it is the score. The remaining inputs are divided
between validation and training by the same hash, each distinct input appearing once.
"""

from __future__ import annotations

import hashlib
import itertools
from pathlib import Path

import numpy as np

from engine.data._registry import DatasetInfo, register
from engine.data._spec import Dataset, DataSpec
from engine.data._splits import to_split

KIND = "tokens"
TASK = "sort"
LENGTH = 6
SYMBOLS = 3
TEST_BUCKETS = 4  # one bucket in four is held out, as in minGPT's SortDataset
TEST_SAMPLES = 5000
TEST_SEED = 3


def hash_unit(sequence: tuple[int, ...]) -> float:
    """A stable number in [0, 1) for a sequence: the same on every machine and run."""
    digest = hashlib.blake2b(bytes(sequence), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def split_of(sequence: tuple[int, ...], val_fraction: float) -> str:
    """``test``, ``val`` or ``train`` for one input, decided only by its hash."""
    unit = hash_unit(sequence)
    test_share = 1.0 / TEST_BUCKETS
    if unit < test_share:
        return "test"
    return "val" if unit < test_share + (1.0 - test_share) * val_fraction else "train"


def all_inputs(length: int = LENGTH, symbols: int = SYMBOLS) -> list[tuple[int, ...]]:
    return list(itertools.product(range(symbols), repeat=length))


def _pairs(inputs: list[tuple[int, ...]]) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(inputs, dtype=np.int64).reshape(len(inputs), LENGTH)
    return x, np.sort(x, axis=1)


def load(cache_dir: Path, seed: int, val_fraction: float) -> Dataset:
    groups: dict[str, list[tuple[int, ...]]] = {"train": [], "val": [], "test": []}
    for sequence in all_inputs():
        groups[split_of(sequence, val_fraction)].append(sequence)
    # The test sample is fixed (not the run's seed) so every run is scored on the same 5000.
    rng = np.random.default_rng(TEST_SEED)
    drawn = rng.integers(0, len(groups["test"]), TEST_SAMPLES)
    test = [groups["test"][index] for index in drawn]
    spec = DataSpec(
        kind=KIND,
        task=TASK,
        input_shape=(LENGTH,),
        vocab_size=SYMBOLS,
        class_names=tuple(str(symbol) for symbol in range(SYMBOLS)),
        extra={"distinct_test_inputs": len(groups["test"])},
    )
    return Dataset(
        "sort",
        spec,
        to_split(*_pairs(groups["train"])),
        to_split(*_pairs(groups["val"])),
        to_split(*_pairs(test)),
    )


register(
    DatasetInfo(
        id="sort",
        kind=KIND,
        task=TASK,
        description=(
            f"sort {LENGTH} tokens over {SYMBOLS} symbols; test: {TEST_SAMPLES} sequences from "
            f"a hash-held-out quarter of the inputs (made here)"
        ),
        loader=load,
    )
)
