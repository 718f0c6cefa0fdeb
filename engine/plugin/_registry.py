"""Plugin discovery through the ``netyard.plugins`` entry-point group.

Like npe2's ``PluginManifest.discover()``, discovery yields entries that carry an error
instead of raising: one broken plugin never stops the others or the app.
"""

from __future__ import annotations

import difflib
import inspect
import traceback
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from engine.errors import UsageError
from engine.plugin._base import Plugin

GROUP = "netyard.plugins"


@dataclass(frozen=True)
class PluginEntry:
    """One entry point: the loaded plugin class, or the error that kept it from loading."""

    id: str
    target: str
    distribution: str | None
    plugin: type[Plugin] | None = None
    error: str | None = None
    traceback: str | None = None

    @property
    def ok(self) -> bool:
        return self.plugin is not None

    @property
    def name(self) -> str:
        return self.plugin.name if self.plugin else self.id

    @property
    def description(self) -> str:
        return self.plugin.description if self.plugin else ""


def _load(entry_point: EntryPoint) -> PluginEntry:
    distribution = entry_point.dist.name if entry_point.dist else None
    base = {"id": entry_point.name, "target": entry_point.value, "distribution": distribution}
    try:
        loaded = entry_point.load()
    except BaseException as error:  # noqa: BLE001 - a plugin's import may raise anything
        if isinstance(error, KeyboardInterrupt):
            raise
        return PluginEntry(
            **base, error=f"{type(error).__name__}: {error}", traceback=traceback.format_exc()
        )
    problem = contract_problem(entry_point.name, loaded)
    if problem:
        return PluginEntry(**base, error=problem)
    return PluginEntry(**base, plugin=loaded)


def contract_problem(entry_name: str, loaded: object) -> str | None:
    if not (inspect.isclass(loaded) and issubclass(loaded, Plugin)):
        return f"{loaded!r} is not a subclass of engine.plugin.Plugin"
    if inspect.isabstract(loaded):
        missing = ", ".join(sorted(loaded.__abstractmethods__))
        return f"{loaded.__name__} does not implement: {missing}"
    if "id" not in loaded.__dict__:
        return f"{loaded.__name__} declares no id"
    if loaded.id != entry_name:
        return f"entry point {entry_name!r} names a plugin whose id is {loaded.id!r}"
    return None


_cache: list[PluginEntry] | None = None


def discover_plugins(refresh: bool = False) -> list[PluginEntry]:
    """Every plugin registered in the entry-point group, sorted by id, broken ones included."""
    global _cache
    if _cache is None or refresh:
        entries: dict[str, PluginEntry] = {}
        for entry_point in entry_points(group=GROUP):
            if entry_point.name in entries:
                entries[entry_point.name + f" ({entry_point.value})"] = PluginEntry(
                    id=entry_point.name,
                    target=entry_point.value,
                    distribution=entry_point.dist.name if entry_point.dist else None,
                    error=f"plugin id {entry_point.name!r} is registered twice",
                )
                continue
            entries[entry_point.name] = _load(entry_point)
        _cache = sorted(entries.values(), key=lambda e: e.id)
    return list(_cache)


def get_plugin(plugin_id: str) -> type[Plugin]:
    """The plugin class for an id, or a ``UsageError`` naming the valid ids."""
    entries = {entry.id: entry for entry in discover_plugins()}
    entry = entries.get(plugin_id)
    if entry is None:
        valid = sorted(e.id for e in entries.values() if e.ok)
        close = difflib.get_close_matches(plugin_id, valid, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UsageError(f"unknown plugin {plugin_id!r}{hint}; valid: {', '.join(valid)}")
    if entry.plugin is None:
        raise UsageError(f"plugin {plugin_id!r} failed to load: {entry.error}")
    return entry.plugin
