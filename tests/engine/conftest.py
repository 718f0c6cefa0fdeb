"""Fixtures for the engine tests: the fixture plugins installed through a real entry point."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from netyard_fixture_plugins import ENTRY_POINTS
from netyard_test_support import installed_plugins


@pytest.fixture
def fixture_plugins(tmp_path: Path) -> Iterator[dict[str, str]]:
    """``two_optimizers`` and ``nan_loss`` registered in ``netyard.plugins`` for one test."""
    with installed_plugins(tmp_path / "site", ENTRY_POINTS, name="netyard-fixture-plugins"):
        yield ENTRY_POINTS
