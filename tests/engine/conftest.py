"""Fixtures for the engine tests: the fixture plugins installed through a real entry point."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import netyard_fixture_plugins
import pytest
from netyard_fixture_plugins import ENTRY_POINTS
from netyard_test_support import installed_plugins


@pytest.fixture
def fixture_plugins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The fixture plugins registered in ``netyard.plugins`` for one test.

    Worker processes started meanwhile see them too (through ``PYTHONPATH``).
    """
    site = tmp_path / "site"
    with installed_plugins(site, ENTRY_POINTS, name="netyard-fixture-plugins"):
        module_folder = Path(netyard_fixture_plugins.__file__).parent
        paths = [str(site), str(module_folder), os.environ.get("PYTHONPATH", "")]
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, paths)))
        yield ENTRY_POINTS
