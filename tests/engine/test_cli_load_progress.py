"""A long data load in the CLI: a progress bar in the status line (quarters when piped), and
``netyard run`` on a new image folder shows its decoding."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from netyard_test_support import netyard_here
from PIL import Image

from engine.cli._load_progress import LoadProgress, load_bar
from engine.cli._status import clear


def test_the_bar_fills_with_the_share_done() -> None:
    assert load_bar(0, 8, width=4) == "[----]   0 %"
    assert load_bar(4, 8, width=4) == "[##--]  50 %"
    assert load_bar(8, 8, width=4) == "[####] 100 %"


def test_piped_a_load_is_written_at_each_quarter(capsys) -> None:
    progress = LoadProgress(io.StringIO())  # not a terminal
    for done in range(101):
        progress("decoding 100 images in here", done, 100)
    clear()
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 5  # 0, 25, 50, 75 and 100 %
    assert lines[0].startswith("Decoding 100 images in here [---")
    assert lines[-1].endswith("100 % (100 of 100)...")


def test_a_run_on_a_new_image_folder_shows_its_decoding(workspace, tmp_path: Path, capsys):
    root = tmp_path / "pictures"
    for label in ("a", "b"):
        (root / label).mkdir(parents=True)
        for index in range(4):
            pixels = np.full((4, 4), 60 * index, dtype=np.uint8)
            Image.fromarray(pixels, "L").save(root / label / f"{index}.png")
    code = netyard_here(
        "run", "cnn", "--dataset", f"folder:{root}", "--steps", "2", "--no-track",
        "--set", "batch_size=2", "--set", "eval_every=2",
    )  # fmt: skip
    assert code == 0
    err = capsys.readouterr().err
    assert f"Decoding 8 images in {root} [" in err and "(8 of 8)" in err


def test_a_sweep_decodes_a_new_image_folder_once_before_its_trials(
    workspace, tmp_path: Path, capsys
):
    from engine.cli._sweep_commands import build_data_cache
    from engine.sweeps import SweepSpec, parse_search

    root = tmp_path / "pictures"
    for label in ("a", "b"):
        (root / label).mkdir(parents=True)
        for index in range(4):
            Image.fromarray(np.full((4, 4), 60 * index, dtype=np.uint8), "L").save(
                root / label / f"{index}.png"
            )
    spec = SweepSpec("cnn", f"folder:{root}", [parse_search("lr")], {}, workspace=str(workspace))
    build_data_cache(spec)
    clear()
    assert f"Decoding 8 images in {root} [" in capsys.readouterr().err
    build_data_cache(spec)  # the trials (and a second sweep) map the cache: nothing to show
    clear()
    assert "Decoding" not in capsys.readouterr().err
