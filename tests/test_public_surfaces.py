"""Packages use each other through their public surfaces: no module outside a package imports
that package's private (``_name``) modules. Tests and a package's own modules may."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def owning_package(module: str) -> str:
    """``engine.sweeps._runner`` -> ``engine.sweeps``: the package up to the first private part."""
    parts = module.split(".")
    for index, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:index])
    return module


def private_imports(module: str, source: str) -> list[str]:
    """``module``'s imports of private modules of packages it is not part of."""
    here = owning_package(module.removesuffix(".__init__"))
    found = []
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if owning_package(node.module) == node.module:  # ``from engine.x import _y``
                names = [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            if not name.startswith(("engine.", "app.", "plugins.")):
                continue
            owner = owning_package(name)
            if owner != name and not (here == owner or here.startswith(owner + ".")):
                found.append(f"{module}:{node.lineno} imports {name}")
    return found


def test_no_package_imports_another_packages_private_modules():
    files = [p for top in ("engine", "app", "plugins") for p in (ROOT / top).rglob("*.py")]
    assert len(files) > 50
    problems = [
        problem
        for path in files
        for problem in private_imports(
            ".".join(path.relative_to(ROOT).with_suffix("").parts), path.read_text()
        )
    ]
    assert not problems, "\n".join(problems)


def test_the_check_tells_a_private_import_from_a_public_one():
    source = "from engine.sweeps._storage import open_storage\nimport engine.worker\n"
    assert private_imports("app.form._sweep_form", source) == [
        "app.form._sweep_form:1 imports engine.sweeps._storage"
    ]
    assert private_imports("engine.sweeps._runner", source) == []  # its own package
    assert private_imports("engine.sweeps.__init__", source) == []
    assert private_imports("app.x", "from engine.worker import _program\n") == [
        "app.x:1 imports engine.worker._program"
    ]
