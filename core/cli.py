"""Core's commands: ``migrate``, ``plugins``, ``config``; plugins add theirs via ``register_commands``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, ScriptInfo, with_appcontext

from core import backup, deploycheck, migrations, secretkeys
from core.config_loader import masked
from core.plugins import discover, hooks_of
from core.secretkeys import dump_masked
from core.state import AppState, app_state


@click.command("migrate")
@click.option("--status", is_flag=True, help="List applied and pending migrations; apply nothing.")
@with_appcontext
def migrate_command(status: bool) -> None:
    """Apply pending migrations of every enabled plugin."""
    state = app_state()
    if status:
        applied = migrations.applied_ids(state.db)
        for migration in state.migrations:
            mark = "applied" if (migration.plugin, migration.id) in applied else "pending"
            click.echo(f"{mark:8} {migration.plugin} {migration.id}")
        return
    done = migrations.apply(state.db, state.migrations)
    for migration in done:
        click.echo(f"applied  {migration.plugin} {migration.id}")
    click.echo(f"{len(done)} migration(s) applied")


@click.command("plugins")
@click.option(
    "--verbose", "-v", is_flag=True, help="Also routes, settings (secrets masked), pending migrations."
)
@with_appcontext
def plugins_command(verbose: bool) -> None:
    """List discovered and enabled plugins: origin, version, hooks and migration state."""
    state = app_state()
    click.echo(state.sources.describe(), err=True)
    applied = migrations.applied_ids(state.db)
    discovered = discover()
    names = sorted(set(discovered) | {name for name, _ in state.pm.list_name_plugin()})
    for name in names:
        enabled = state.pm.has_plugin(name)
        info = discovered.get(name)
        source = info.source if info else ("core" if name == "core" else "passed to create_app")
        version = info.version if info else "-"
        click.echo(f"{name} ({'enabled' if enabled else 'disabled'}; {source}; version {version})")
        if not enabled:
            continue
        click.echo(f"  hooks: {', '.join(hooks_of(state.pm, name)) or 'none'}")
        own = [m for m in state.migrations if m.plugin == name]
        pending = [m for m in own if (m.plugin, m.id) not in applied]
        click.echo(f"  migrations: {len(own) - len(pending)} applied, {len(pending)} pending")
        if verbose:
            _details(state, name, pending)


def _details(state: Any, name: str, pending: list[migrations.Migration]) -> None:
    for migration in pending:
        click.echo(f"    pending: {migration.id}")
    blueprints = {bp for bp, owner in state.plugin_of_blueprint.items() if owner == name}
    for rule in sorted(current_app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint.split(".")[0] in blueprints:
            methods = ",".join(sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}))
            click.echo(f"  route: {methods} {rule.rule}")
    if name in state.plugin_settings:
        shown = json.dumps(masked(dump_masked(state.plugin_settings[name])), sort_keys=True)
        click.echo(f"  settings [plugins.{name}]: {shown}")


@click.command("config")
@with_appcontext
def config_command() -> None:
    """Print the effective configuration, secrets masked (which file was read: on stderr)."""
    state = app_state()
    click.echo(state.sources.describe(), err=True)
    data = state.settings.model_dump(mode="json")
    data["plugins"] = {"enabled": state.settings.plugins.enabled}
    for name, section in state.plugin_settings.items():
        data["plugins"][name] = dump_masked(section)
    json.dump(masked(data), sys.stdout, indent=2)
    click.echo()


@click.command("check")
@click.option("--deploy", is_flag=True, help="Check the configuration for production (always done).")
@click.pass_context
def check_command(ctx: click.Context, deploy: bool) -> None:
    """Report what the configuration gets wrong for production, each with its fix; exit 1 on errors.

    Also a production configuration that does not start (a missing or short key) is reported,
    as a finding, not a traceback: the app is built here, with its key refusals turned into
    the check's errors."""
    try:
        with secretkeys.reported_not_refused():
            app = ctx.ensure_object(ScriptInfo).load_app()
    except Exception as exc:  # what stops start-up is the check's finding
        findings = [deploycheck.refusal(exc)]
    else:
        with app.app_context():
            findings = deploycheck.check(app)
    for finding in findings:
        click.echo(str(finding))
    click.echo(deploycheck.summary(findings))
    if any(finding.level == "error" for finding in findings):
        sys.exit(1)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write an online, consistent copy of the SQLite database to PATH."""
    try:
        pages = backup.backup_sqlite(app_state().db, path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backed up {pages} page(s) to {path}; integrity check ok")


@click.group("db", help="Move the database.")
def db_group() -> None:
    pass


@db_group.command("copy")
@click.option(
    "--to", "target", required=True, help="URL of an empty database, e.g. postgresql://user@host/annex"
)
@with_appcontext
def copy_command(target: str) -> None:
    """Copy every plugin's tables into another (empty) database, keeping ids."""
    state = app_state()
    try:
        counts = backup.copy_database(state.db, target, state.migrations)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    for table, rows in counts.items():
        click.echo(f"{table}: {rows} row(s)")
    click.echo(
        f"copied {sum(counts.values())} row(s) in {len(counts)} table(s); point database.url at the copy"
    )


def init_app(app: Flask) -> None:
    from core.scaffold import plugin_group

    app.cli = AppCommands(app.cli.name)  # before any command is added

    commands = (migrate_command, plugins_command, config_command, check_command, backup_command, db_group)
    for command in (*commands, plugin_group):
        app.cli.add_command(command)


#: Commands that show or apply migrations: an app built to run one applies none at start-up, so
#: ``migrate`` lists what it applied, and ``migrate --status`` and ``plugins`` show what is pending.
MIGRATION_COMMANDS = frozenset({"migrate", "plugins"})


def start_up_migrations(state: AppState) -> None:
    """Development start-up: apply pending migrations, except for ``MIGRATION_COMMANDS``.

    Outside a command line (a server, tests) and inside a command (``run``, ``shell``) that is
    decided now. A command group (``annex``, ``flask --app core``) builds the app while it
    looks a command up, before it names it: then ``AppCommands`` applies them as it finds the
    command, unless it is one of ``MIGRATION_COMMANDS``.
    """
    ctx = click.get_current_context(silent=True)
    if ctx is not None and isinstance(ctx.command, click.Group):
        state.migrations_deferred = True
    elif ctx is None or ctx.command.name not in MIGRATION_COMMANDS:
        migrations.apply(state.db, state.migrations)


class AppCommands(AppGroup):
    """The app's own commands (``app.cli``): core's and those of ``register_commands``."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None and cmd_name not in MIGRATION_COMMANDS and current_app:
            state = app_state()
            if state.migrations_deferred:
                state.migrations_deferred = False
                migrations.apply(state.db, state.migrations)
        return command


class AnnexGroup(FlaskGroup):
    """Flask's command group, which also says why a command is missing when no config file was
    read, and lists its own commands (after the message) when the configuration does not load."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except click.ClickException as exc:  # ConfigError, PluginError: the message, no traceback
            click.echo(f"Error: {exc.format_message()}\n", err=True)
            return sorted(self.commands)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is not None:
            return command
        try:
            sources = app_state(ctx.ensure_object(ScriptInfo).load_app()).sources
        except click.ClickException:
            return None
        if sources.file is None and sources.default == "<defaults>":
            error = click.ClickException(
                f"No such command {name!r}: no config file was read (no config.toml in {Path.cwd()}, "
                "ANNEX_CONFIG not set), so no plugin is enabled. Run annex in the folder of your "
                "config.toml, or set ANNEX_CONFIG=/path/to/config.toml."
            )
            error.exit_code = 2
            raise error
        return None


def main() -> None:
    """The ``annex`` console script: ``annex …`` is ``flask --app core …``."""
    from client.init import init_command
    from core import create_app

    group = AnnexGroup(create_app=create_app, help="Annex: a backend beside your static site.")
    group.add_command(check_command)  # found without building the app: it reports what stops start-up
    group.add_command(init_command)  # before there is a config: it writes the first one
    group()
