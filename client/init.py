"""``annex init [DIR]``: set up an existing site for Annex, on the first try.

Writes ``config.toml`` (pointing at DIR) and ``.env.example`` into the working directory, and
copies into DIR every starter page of ``client/starter/`` (the login, register, password, email
and locked-account link pages the plugins' defaults link to, and their script and stylesheet)
plus core's error pages, where DIR has no file of that name. Nothing is ever overwritten, so it
can run again.
It needs no app, no database and no configuration: it runs before there is any.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from string import Template

import click

from client import FILES
from core.error_pages import BUILTIN

#: The pages and assets every site gets, copied file by file.
STARTER = FILES / "starter"
#: ``config.toml`` (``$static_dir`` filled in) and ``.env.example``.
TEMPLATES = FILES / "templates"
#: Core's built-in error pages (in ``BUILTIN``) that a site gets a copy of, to restyle.
ERROR_PAGES = ("403.html", "404.html")


@click.command("init")
@click.argument("folder", default="site", type=click.Path(path_type=Path))
def init_command(folder: Path) -> None:
    """Set up the site in FOLDER (default: site) for Annex.

    Writes config.toml and .env.example here, and copies the account pages (login, register,
    password reset, email confirmation, locked-account link, account, 403/404) into FOLDER.
    Files that exist are left alone.
    """
    if not folder.is_dir():
        raise click.ClickException(
            f"{folder} is not a folder: give the folder of your site's pages (annex init path/to/site)"
        )
    here = Path.cwd()
    if here.resolve().is_relative_to(folder.resolve()):
        raise click.ClickException(
            f"{folder} holds this folder, where config.toml, .env and Annex's data go, and the "
            "site would serve them: keep the pages in a folder of their own (site/) and run "
            "`annex init site` beside it"
        )
    written: list[Path] = []
    skipped: list[Path] = []
    for target, content in _files(folder):
        (written if _create(target, content) else skipped).append(target)
    for path in written:
        click.echo(f"wrote    {_shown(path, here)}")
    for path in skipped:
        click.echo(f"skipped  {_shown(path, here)} (exists; left as it is)")
    click.echo(f"{len(written)} file(s) written, {len(skipped)} skipped")
    if written:
        click.echo("Next: `annex run`, then open http://127.0.0.1:5000/register.html.")
        click.echo("Your pages import from '/annex.js'; members-only files go in protected/.")


def _files(folder: Path) -> Iterator[tuple[Path, bytes]]:
    """Every file ``init`` writes, as (target, content)."""
    config = Template((TEMPLATES / "config.toml").read_text(encoding="utf-8"))
    # A JSON string is a valid TOML basic string: quotes and backslashes escaped.
    yield Path("config.toml"), config.substitute(static_dir=json.dumps(folder.as_posix())).encode()
    yield Path(".env.example"), (TEMPLATES / "env.example").read_bytes()
    for source in sorted(STARTER.iterdir()):
        if source.is_file():
            yield folder / source.name, source.read_bytes()
    for name in ERROR_PAGES:
        if (BUILTIN / name).is_file():
            yield folder / name, (BUILTIN / name).read_bytes()


def _create(target: Path, content: bytes) -> bool:
    """Write ``target`` unless something of that name exists (a file, a folder, a link)."""
    try:
        with target.open("xb") as file:  # exclusive: never replaces, even in a race
            file.write(content)
    except FileExistsError:
        return False
    return True


def _shown(path: Path, here: Path) -> str:
    try:
        return path.resolve().relative_to(here.resolve()).as_posix()
    except ValueError:
        return str(path)
