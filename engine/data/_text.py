"""User data from a UTF-8 text file: character-level language modelling.

Dataset ids take the form ``text:PATH`` or ``text:PATH?block=128``; ``block`` is the context
length in characters (default 128). The vocabulary is the set of characters in the file.
The file is cut by position, never shuffled, so no text is in two splits: the last
``TEST_FRACTION`` of its characters are the test part, the run's ``val_fraction`` of the rest
just before it the validation part, the beginning the training part. Each sample is a window
of ``block`` characters and its targets are the same window shifted by one; training windows
start every ``block // 2`` characters, validation and test windows do not overlap.

A missing, unreadable, empty, non-UTF-8, too short or too large file is one ``UsageError``
naming the file and the problem, raised while the run is prepared, so nothing reaches the
tracking store.
"""

from __future__ import annotations

import difflib
from functools import partial
from pathlib import Path

import numpy as np

from engine.data._progress import report
from engine.data._registry import DatasetInfo, register_source
from engine.data._spec import Dataset, DataSpec
from engine.data._splits import to_split
from engine.errors import UsageError

SCHEME = "text"
KIND = "text"
TASK = "language_modeling"
SYNTAX = "text:PATH?block=128"
DEFAULT_BLOCK = 128
MAX_BLOCK = 2048
TEST_FRACTION = 0.1
# Each split needs a few windows; the training part gets most of the file.
MIN_WINDOWS = 10
# Training windows overlap by half, so memory grows as 2 x 16 bytes per character: a 16 MiB
# file holds about 0.5 GB of windows.
MAX_BYTES = 16 * 1024 * 1024


def _source(path: Path) -> str:
    return f"text file {str(path)!r}"


def parse(argument: str) -> tuple[Path, int]:
    """The path and block length of a ``text:`` id (without the scheme), not yet read."""
    path_text, query = argument, ""
    if "?" in argument and not Path(argument).expanduser().is_file():
        path_text, _, query = argument.rpartition("?")
    if not path_text:
        raise UsageError(f"text: needs a file path, e.g. {SYNTAX}")
    path = Path(path_text).expanduser()
    block = DEFAULT_BLOCK
    for item in filter(None, query.split("&")):
        key, sep, value = item.partition("=")
        if key.strip() != "block" or not sep:
            close = difflib.get_close_matches(key.strip(), ["block"], n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise UsageError(f"{_source(path)}: unknown option {item!r}{hint}; valid: block=N")
        try:
            block = int(value)
        except ValueError:
            block = 0
        if not 2 <= block <= MAX_BLOCK:
            raise UsageError(
                f"{_source(path)}: invalid block {value!r}: expected a whole number 2 to "
                f"{MAX_BLOCK}"
            )
    return path, block


def read_text(path: Path) -> str:
    """The file's text, or a ``UsageError`` saying why it cannot be learnt from."""
    source = _source(path)
    if not path.exists():
        raise UsageError(f"{source} does not exist")
    if not path.is_file():
        raise UsageError(f"{source} is not a file")
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UsageError(
                f"{source} is larger than {MAX_BYTES // 2**20} MiB; use an excerpt of it"
            )
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UsageError(
            f"{source} is not UTF-8 text (the byte at offset {error.start} is not valid UTF-8)"
        ) from None
    except OSError as error:
        raise UsageError(f"{source} cannot be read: {error.strerror or error}") from None
    if not text.strip():
        raise UsageError(f"{source} is empty")
    return text


def minimum_length(block: int) -> int:
    return MIN_WINDOWS * (block + 1)


def _windows(codes: np.ndarray, block: int, stride: int) -> tuple[np.ndarray, np.ndarray]:
    from numpy.lib.stride_tricks import sliding_window_view

    # Whole rows of a sliding view are copied at once: several times faster than gathering
    # the same values through a (windows x block) index array.
    starts = np.arange(0, len(codes) - block, stride)
    view = sliding_window_view(codes, block)  # [s] = codes[s : s + block], no copy
    return view[starts], view[starts + 1]


def load(
    path: Path, block: int, dataset_id: str, cache_dir: Path, seed: int, val_fraction: float
) -> Dataset:
    what = f"reading {path.name}"
    report(what, 0, 3)
    text = read_text(path)
    if len(text) < minimum_length(block):
        raise UsageError(
            f"{_source(path)} holds {len(text)} characters; at least {minimum_length(block)} "
            f"are needed for block={block} (give a longer file or a smaller ?block=)"
        )
    report(what, 1, 3)
    alphabet, codes = encode(text)
    report(what, 2, 3)
    test_start = len(codes) - max(block + 1, int(len(codes) * TEST_FRACTION))
    val_start = test_start - max(block + 1, int(test_start * val_fraction))
    train = _windows(codes[:val_start], block, max(1, block // 2))
    val = _windows(codes[val_start:test_start], block, block)
    test = _windows(codes[test_start:], block, block)
    spec = DataSpec(
        kind=KIND,
        task=TASK,
        input_shape=(block,),
        vocab_size=len(alphabet),
        extra={"alphabet": alphabet, "block": block, "characters": len(text)},
    )
    dataset = Dataset(dataset_id, spec, to_split(*train), to_split(*val), to_split(*test))
    report(what, 3, 3)
    return dataset


def encode(text: str) -> tuple[str, np.ndarray]:
    """The sorted characters of ``text`` and each character's place among them (int64).

    Vectorised over code points (a table indexed by code point), not a dictionary look-up per
    character: 10 MB of text in a fraction of a second instead of several seconds."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    present = np.flatnonzero(np.bincount(points))
    table = np.zeros(int(present[-1]) + 1, dtype=np.int64)
    table[present] = np.arange(len(present))
    return "".join(map(chr, present)), table[points]


def source(argument: str) -> DatasetInfo:
    """The ``DatasetInfo`` for ``text:ARGUMENT``; the file is read when it is loaded."""
    path, block = parse(argument)
    read_text(path)  # fail now, before a run is tracked, on a file that cannot work
    return DatasetInfo(
        id=f"{SCHEME}:{argument}",
        kind=KIND,
        task=TASK,
        description=f"characters of {_source(path)}, context {block}",
        loader=partial(load, path, block, f"{SCHEME}:{argument}"),
    )


register_source(SCHEME, source, SYNTAX)
