"""``annex plugin new NAME``: write a ready-to-install plugin package from templates."""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

import click
from flask.cli import AppGroup

from core.plugins import PluginError, discover

#: A plugin name: it becomes the entry point, the settings section and the table prefix.
NAME = re.compile(r"[a-z][a-z0-9_]{1,30}")
#: Names no new plugin may take besides those discovered: the one core registers itself under.
RESERVED = frozenset({"core"})
TEMPLATES = Path(__file__).with_name("templates")
#: Template file → path in the new package (``$module`` is the import name).
FILES = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "init.py.tmpl": "$module/__init__.py",
    "routes.py.tmpl": "$module/routes.py",
    "schema.py.tmpl": "$module/schema.py",
    "settings.py.tmpl": "$module/settings.py",
    "items.py.tmpl": "$module/items.py",
    "cli.py.tmpl": "$module/cli.py",
    "conftest.py.tmpl": "tests/conftest.py",
    "test_plugin.py.tmpl": "tests/test_$name.py",
}

plugin_group = AppGroup("plugin", help="Tools for plugin authors.")


def write_package(name: str, target: Path) -> list[Path]:
    """Render the templates for plugin ``name`` into the new folder ``target``.

    A name that a built-in or an installed plugin already uses is refused: the site could not
    enable both (start-up refuses two plugins of one name), and their tables would mix.
    """
    if not NAME.fullmatch(name):
        raise ValueError("a plugin name is 2-31 lower-case letters, digits and '_', starting with a letter")
    taken = _taken_by(name)
    if taken:
        raise ValueError(f"{name} is already the name of {taken}; choose another name")
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"{target} exists and is not empty")
    values = {"name": name, "module": f"annex_{name}", "distribution": f"annex-{name.replace('_', '-')}"}
    written = []
    for template, relative in FILES.items():
        path = target / Template(relative).substitute(values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template((TEMPLATES / template).read_text()).substitute(values))
        written.append(path)
    return written


def _taken_by(name: str) -> str | None:
    """What already uses ``name``: a built-in plugin, an installed one, or core itself."""
    if name in RESERVED:
        return "core itself"
    found = discover().get(name)
    if found is None:
        return None
    return "a built-in plugin" if found.source == "builtin" else f"an installed plugin ({found.source})"


@plugin_group.command("new")
@click.argument("name")
@click.option(
    "--dir", "directory", type=click.Path(file_okay=False, path_type=Path), help="Where to write it."
)
def new_plugin(name: str, directory: Path | None) -> None:
    """Write a new plugin package NAME (an entry point, a route, a migration, a passing test)."""
    target = directory or Path(f"annex-{name.replace('_', '-')}")
    try:
        written = write_package(name, target)
    except (ValueError, FileExistsError, PluginError) as exc:
        raise click.ClickException(str(exc)) from None
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(
        f'\nNext: pip install -e {target}, add "{name}" to [plugins] enabled in config.toml, '
        f"and run pytest {target}/tests"
    )
