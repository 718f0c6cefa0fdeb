"""Listing plugins needs no torch, in a fresh interpreter. (The layering's import-linter
contracts are checked by scripts/test.sh, which runs ``lint-imports`` before the tests.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_listing_plugins_and_datasets_does_not_import_torch():
    # What the app's form does before the window is on screen: list both, resolve a schema.
    code = (
        "import sys\n"
        "import engine.plugin, engine.schema, engine.data, plugins.cnn\n"
        "from engine.data import list_datasets\n"
        "from engine.plugin import discover_plugins\n"
        "datasets = {info.id for info in list_datasets()}\n"
        "assert {'digits', 'mnist1d', 'sines'} <= datasets, datasets\n"
        "entries = {entry.id: entry for entry in discover_plugins()}\n"
        "assert entries['cnn'].ok, entries['cnn'].error\n"
        "entries['cnn'].plugin.full_schema().resolve({'depth': 2})\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'mlflow', 'optuna'})\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
