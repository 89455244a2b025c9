"""Command line: core's commands, a plugin's command, and the ``annex`` console script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.testplugins import hello

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_plugins_command_lists_enabled_plugins_hooks_and_migrations(app):
    output = app.test_cli_runner().invoke(args=["plugins"]).output
    assert "hello (enabled; passed to create_app" in output
    assert "register_routes" in output
    assert "identify_request" in output
    assert "migrations: 2 applied, 0 pending" in output
    assert "core (enabled; core" in output


def test_a_plugin_adds_its_own_command(app):
    result = app.test_cli_runner().invoke(args=["hello", "world"])
    assert result.exit_code == 0
    assert result.output == "hello, world\n"


def test_migrate_status_lists_applied_migrations(app):
    output = app.test_cli_runner().invoke(args=["migrate", "--status"]).output
    from core.routes import register_migrations

    core = [f"applied  core {migration.id}" for migration in register_migrations()]
    assert output.splitlines() == [*core, "applied  hello 0001_notes", "applied  hello 0002_seed"]


def run(command, tmp_path, **env):
    environment = {**os.environ, "ANNEX_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db", **env}
    return subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=False
    )


def test_annex_console_script_is_flask_app_core(tmp_path):
    annex = run([str(BIN / "annex"), "migrate", "--status"], tmp_path)
    assert annex.returncode == 0, annex.stderr
    flask = run([str(BIN / "flask"), "--app", "core", "config"], tmp_path)
    assert flask.returncode == 0, flask.stderr
    assert '"secret_key": "***"' in flask.stdout
    assert f"sqlite:///{tmp_path}/cli.db" in flask.stdout


def test_a_bad_config_stops_the_command_with_a_message_naming_the_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[site]\ncolour = 'blue'\n")
    result = run([str(BIN / "flask"), "--app", "core", "config"], tmp_path, ANNEX_CONFIG=str(bad))
    assert result.returncode != 0
    assert "site.colour" in result.stderr
    assert str(bad) in result.stderr


def test_hello_module_is_importable_by_name():
    # The test plugin is a normal module a third party could publish.
    assert hello.register_routes(None).name == "hello"
