"""The walls by import: ``core`` never imports a plugin, a plugin never imports another (nor reads
its settings), and a built-in plugin reaches the core only through ``core``'s public surface, as a
third party does."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = sorted(path.parent.name for path in (ROOT / "plugins").glob("*/__init__.py"))


def imports(folder: Path) -> list[tuple[str, int, str]]:
    """(file, line, module) of every import under ``folder``, relative imports resolved."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                found += [(str(path.relative_to(ROOT)), node.lineno, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    module = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    module = node.module or ""
                found.append((str(path.relative_to(ROOT)), node.lineno, module))
    return found


def test_the_core_imports_no_plugin():
    found = imports(ROOT / "core")
    offenders = [hit for hit in found if hit[2] == "plugins" or hit[2].startswith("plugins.")]
    assert offenders == []


@pytest.mark.parametrize("plugin", PLUGINS)
def test_a_plugin_imports_no_other_plugin_and_only_core_s_public_surface(plugin):
    own = f"plugins.{plugin}"
    offenders = []
    for file, line, module in imports(ROOT / "plugins" / plugin):
        other_plugin = module.startswith("plugins.") and not (module == own or module.startswith(own + "."))
        private_core = module.startswith("core.")
        if other_plugin or private_core or module == "plugins":
            offenders.append(f"{file}:{line}: {module}")
    assert offenders == []


@pytest.mark.parametrize("plugin", PLUGINS)
def test_a_plugin_reads_no_other_plugin_s_settings(plugin):
    others = "|".join(name for name in PLUGINS if name != plugin)
    reading = re.compile(rf"""plugin_settings\(\s*["']({others})["']""")
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in sorted((ROOT / "plugins" / plugin).rglob("*.py"))
        for match in reading.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_checker_resolves_relative_imports():
    assert {"auth", "profile", "content"} <= set(PLUGINS)
    hits = imports(ROOT / "plugins" / "auth")
    assert any(module.startswith("plugins.auth.") for _, _, module in hits)
