"""Every built-in plugin and the example follow the one anatomy docs/plugins.md teaches:
``__init__.py`` holds hookimpls only, routes in ``routes.py`` or ``routes/``, migrations in
``schema.py``, the settings model and its typed ``settings()`` accessor in ``settings.py``,
and no routes module imports another."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Every built-in plugin (those added later included) and the example.
PACKAGES = {
    **{f"plugins.{path.parent.name}": path.parent for path in (ROOT / "plugins").glob("*/__init__.py")},
    "annex_apikeys": ROOT / "examples" / "annex-apikeys" / "annex_apikeys",
}
#: The module of a routes/ package that holds a shared blueprint and no views.
BLUEPRINTS = "blueprints"


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def is_hookimpl(node: ast.FunctionDef) -> bool:
    names = set()
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        names.add(target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None))
    return "hookimpl" in names


def imported_modules(tree: ast.Module, package: str) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith(package + ".")}


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_init_holds_the_docstring_imports_and_hookimpls_only(package):
    tree = parse(PACKAGES[package] / "__init__.py")
    assert ast.get_docstring(tree), f"{package}: __init__.py says what the plugin does"
    strays = []
    for node in tree.body[1:]:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.FunctionDef) and is_hookimpl(node):
            continue
        strays.append(f"line {node.lineno}: {ast.dump(node)[:60]}")
    assert strays == [], f"{package}/__init__.py holds more than hookimpls"


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_routes_schema_and_settings_have_their_modules(package):
    folder = PACKAGES[package]
    assert (folder / "routes.py").is_file() != (folder / "routes").is_dir()
    assert (folder / "schema.py").is_file()
    assert not [p.name for p in folder.glob("*views*.py")], "views live in routes"
    accessor = [
        node
        for node in parse(folder / "settings.py").body
        if isinstance(node, ast.FunctionDef) and node.name == "settings"
    ]
    assert len(accessor) == 1 and ast.unparse(accessor[0].returns) == "Settings"


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_no_routes_module_imports_another(package):
    folder = PACKAGES[package] / "routes"
    if not folder.is_dir():
        return  # one routes.py: nothing to import
    views = {p.stem for p in folder.glob("*.py")} - {"__init__", BLUEPRINTS}
    assert views, "a routes/ package has route modules"
    prefix = f"{package}.routes."
    for name in views:
        imported = imported_modules(parse(folder / f"{name}.py"), package)
        siblings = {module[len(prefix) :].split(".")[0] for module in imported if module.startswith(prefix)}
        assert siblings & views == set(), f"{package}.routes.{name} imports {sorted(siblings & views)}"
