"""Plugin discovery through real entry points: broken plugins are reported, never fatal."""

from __future__ import annotations

import textwrap

import pytest
from netyard_test_support import installed_plugins

from engine.cli import main
from engine.errors import UsageError
from engine.plugin import discover_plugins, get_plugin

BROKEN_MODULE = textwrap.dedent(
    """
    import math

    raise ImportError("netyard_broken_plugin needs the 'frobnicate' package")
    """
)

EXTRA_MODULE = textwrap.dedent(
    """
    from engine.plugin import ClassifierPlugin
    from engine.schema import Float, Schema


    class ExtraPlugin(ClassifierPlugin):
        id = "extra"
        name = "Extra plugin"
        description = "A third-party plugin installed for a test."
        data_kinds = ("image",)
        schema = Schema(Float("lr", 0.1, low=0.001, high=1.0, help="Learning rate."))

        def build_model(self):
            import torch

            return torch.nn.Linear(64, 10)


    def helper_function():
        return 42
    """
)

ENTRY_POINTS = {
    "broken": "netyard_broken_plugin:BrokenPlugin",
    "not_a_plugin": "netyard_extra_plugin:helper_function",
    "misnamed": "netyard_extra_plugin:ExtraPlugin",
    "extra": "netyard_extra_plugin:ExtraPlugin",
}
MODULES = {"netyard_broken_plugin": BROKEN_MODULE, "netyard_extra_plugin": EXTRA_MODULE}


@pytest.fixture
def broken_install(tmp_path):
    with installed_plugins(tmp_path / "site", ENTRY_POINTS, MODULES) as folder:
        yield folder


def entries_by_id():
    return {entry.id: entry for entry in discover_plugins()}


def test_the_builtin_plugin_registers_through_the_entry_point():
    entry = entries_by_id()["cnn"]
    assert entry.ok and entry.error is None
    assert entry.target == "plugins.cnn:CNNPlugin"
    assert entry.distribution == "netyard"
    assert entry.plugin.id == "cnn"


def test_broken_plugins_carry_their_error_and_the_others_load(broken_install):
    entries = entries_by_id()
    assert set(ENTRY_POINTS) | {"cnn"} <= set(entries)

    broken = entries["broken"]
    assert not broken.ok and broken.plugin is None
    assert broken.error == "ImportError: netyard_broken_plugin needs the 'frobnicate' package"
    assert "netyard_broken_plugin.py" in broken.traceback
    assert 'raise ImportError("netyard_broken_plugin' in broken.traceback
    assert broken.distribution == "netyard-test-plugins"
    assert broken.name == "broken" and broken.description == ""

    not_a_plugin = entries["not_a_plugin"]
    assert not not_a_plugin.ok
    assert "helper_function" in not_a_plugin.error
    assert "is not a subclass of engine.plugin.Plugin" in not_a_plugin.error

    misnamed = entries["misnamed"]
    assert not misnamed.ok
    assert misnamed.error == "entry point 'misnamed' names a plugin whose id is 'extra'"

    extra = entries["extra"]
    assert extra.ok and extra.plugin.id == "extra" and extra.name == "Extra plugin"
    assert entries["cnn"].ok

    assert get_plugin("extra") is extra.plugin
    assert get_plugin("cnn").id == "cnn"
    with pytest.raises(UsageError, match="plugin 'broken' failed to load: ImportError"):
        get_plugin("broken")
    with pytest.raises(UsageError) as unknown:
        get_plugin("extr")
    assert "unknown plugin 'extr' (did you mean extra?)" in str(unknown.value)
    assert "valid: cnn, extra" in str(unknown.value)  # only the ones that load


def test_cli_lists_broken_plugins_as_failed(broken_install, capsys):
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert out.splitlines()[0].split() == ["ID", "NAME", "STATUS", "DATA", "ERROR"]
    assert " failed " in rows["broken"] and "ImportError: netyard_broken_plugin" in rows["broken"]
    assert " failed " in rows["not_a_plugin"]
    assert " failed " in rows["misnamed"]
    assert " ok " in rows["extra"] and "image" in rows["extra"]
    assert " ok " in rows["cnn"] and "sequence, image" in rows["cnn"]

    assert main(["plugins", "--traceback"]) == 0
    out = capsys.readouterr().out
    assert "--- broken (netyard_broken_plugin:BrokenPlugin) ---" in out
    assert "Traceback (most recent call last)" in out


def test_the_install_is_forgotten_afterwards(tmp_path):
    with installed_plugins(tmp_path / "site", ENTRY_POINTS, MODULES):
        assert "broken" in entries_by_id()
    assert not {"broken", "extra", "misnamed", "not_a_plugin"} & set(entries_by_id())


def test_a_plugin_registered_twice_is_reported(tmp_path):
    with installed_plugins(
        tmp_path / "one",
        {"extra": "netyard_extra_plugin:ExtraPlugin"},
        {"netyard_extra_plugin": EXTRA_MODULE},
        name="first-dist",
    ):
        with installed_plugins(
            tmp_path / "two", {"extra": "netyard_extra_plugin:ExtraPlugin"}, name="second-dist"
        ):
            entries = discover_plugins()
    extras = [entry for entry in entries if entry.id == "extra"]
    assert len(extras) == 2
    assert sum(entry.ok for entry in extras) == 1
    assert any(entry.error == "plugin id 'extra' is registered twice" for entry in extras)
