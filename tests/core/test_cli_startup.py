"""What the real command lines say about the configuration (issue 17, points 4-6).

``annex …``, ``flask --app core …`` and the two commands of ``make run`` are run as processes in
a folder of their own, with a broken config.toml there: each prints one paragraph (key, value,
where it came from, the fix, "did you mean"), no traceback, and exits non-zero. ``annex config``
and ``annex plugins`` say which configuration they read; ``migrate --status`` and ``plugins``
show pending migrations as pending, and ``make run``'s migrate lists what it applied.
gunicorn is in tests/deploy/test_gunicorn.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ANNEX = str(BIN / "annex")
FLASK = [str(BIN / "flask"), "--app", "core"]


def make_run_commands(port: int) -> list[list[str]]:
    """The commands of the Makefile's ``run`` target, as ``make run PORT=port`` runs them."""
    recipe = ROOT.joinpath("Makefile").read_text().split("\nrun:", 1)[1].split("\n\n", 1)[0]
    lines = [line.strip() for line in recipe.splitlines()[1:] if line.startswith("\t")]
    expanded = [line.replace("$(BIN)", str(BIN)).replace("$(PORT)", str(port)) for line in lines]
    assert len(expanded) == 2 and all("flask --app core" in line for line in expanded), expanded
    return [line.split() for line in expanded]


def run(command: list[str], folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``command`` in ``folder``, with no ANNEX_* variable of the calling shell."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("ANNEX")}
    environment.update(env)
    return subprocess.run(
        command, cwd=folder, env=environment, capture_output=True, text=True, timeout=60, check=False
    )


def assert_one_clear_message(result: subprocess.CompletedProcess[str], *parts: str, status: int = 1) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == status, output
    assert "Traceback" not in output
    for part in parts:
        assert part in output, (part, output)


def test_a_near_miss_key_is_one_message_under_every_command_line(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[security]\nforce_http = true\n[database]\nurl = "sqlite:///annex.db"\n')
    migrate, serve = make_run_commands(free_port())
    for command in ([ANNEX, "config"], migrate, serve, [ANNEX, "--help"]):
        assert_one_clear_message(
            run(command, tmp_path),
            "Error: unknown setting security.force_http = true",
            f"in {config}",
            "Did you mean security.force_https?",
            "Fix:",
            status=0 if command[-1] == "--help" else 1,  # the help follows the message
        )


def test_a_misspelt_environment_section_names_the_variable_not_the_file(tmp_path):
    (tmp_path / "config.toml").write_text('[database]\nurl = "sqlite:///annex.db"\n')
    result = run([ANNEX, "config"], tmp_path, ANNEX__SECURTY__FORCE_HTTPS="true")
    assert_one_clear_message(
        result,
        "unknown setting securty",
        "in environment variable ANNEX__SECURTY__FORCE_HTTPS",
        "Did you mean security?",
        "rename ANNEX__SECURTY__FORCE_HTTPS to ANNEX__SECURITY__FORCE_HTTPS",
    )
    assert "config.toml" not in result.stderr


def test_a_bad_database_url_names_the_setting_its_source_and_a_valid_one(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[database]\nurl = "annex.db"\n')
    assert_one_clear_message(
        run([ANNEX, "migrate"], tmp_path),
        'database.url = "annex.db"',
        f"set in {config}",
        "is not a database URL",
        '"sqlite:///annex.db" for that file',
    )
    # A server that does not answer (nothing listens on the port): the password never shows.
    url = f"postgresql://annex:hunter2-secret@127.0.0.1:{free_port()}/annex"
    result = run([*FLASK, "migrate", "--status"], tmp_path, ANNEX_DATABASE_URL=url)
    assert_one_clear_message(
        result,
        f'database.url = "{url.replace("hunter2-secret", "***")}"',
        "set in environment variable ANNEX_DATABASE_URL",
        "cannot connect",
        "postgresql://user:password@db.example:5432/annex",
    )
    assert "hunter2-secret" not in result.stdout + result.stderr


def test_a_misspelt_plugin_name_is_one_message(tmp_path):
    (tmp_path / "config.toml").write_text('[plugins]\nenabled = ["auht"]\n')
    assert_one_clear_message(
        run([ANNEX, "plugins"], tmp_path),
        "Error: plugin auht is enabled (plugins.enabled) but not installed. Did you mean auth?",
        "Available: auth,",
    )


def test_commands_say_which_configuration_they_read(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "sqlite:///{tmp_path}/annex.db"\n')
    for command in ("config", "plugins"):
        result = run([ANNEX, command], tmp_path, ANNEX__SITE__URL='"https://x.example"')
        assert result.returncode == 0, result.stderr
        assert result.stderr.splitlines()[0] == (
            f"configuration: {config}; overridden by ANNEX__SITE__URL"
        ), result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run([ANNEX, "users", "list"], empty)
    assert result.returncode != 0
    assert result.stderr.strip() == (
        f"Error: No such command 'users': no config file was read (no config.toml in {empty}, "
        "ANNEX_CONFIG not set), so no plugin is enabled. Run annex in the folder of your "
        "config.toml, or set ANNEX_CONFIG=/path/to/config.toml."
    )


def test_status_commands_apply_nothing_and_make_run_lists_what_it_applied(tmp_path):
    database = tmp_path / "annex.db"
    (tmp_path / "config.toml").write_text(  # development: the app migrates at start-up, not commands
        '[site]\nstatic_dir = ""\n'
        f'[security]\nsecret_key = "{"s" * 40}"\n'
        f'[database]\nurl = "sqlite:///{database}"\n'
        '[plugins]\nenabled = ["auth"]\n'
    )
    status = run([ANNEX, "migrate", "--status"], tmp_path)
    assert status.returncode == 0, status.stderr
    states = re.findall(r"^(applied|pending) +(\S+) (\S+)$", status.stdout, re.MULTILINE)
    assert {plugin for _, plugin, _ in states} == {"core", "auth"}
    assert {state for state, _, _ in states} == {"pending"}, status.stdout
    plugins = run([*FLASK, "plugins", "--verbose"], tmp_path)
    assert plugins.returncode == 0, plugins.stderr
    assert re.search(r"^  migrations: 0 applied, [1-9]\d* pending$", plugins.stdout, re.MULTILINE)
    assert "    pending: " in plugins.stdout
    # Neither applied anything: make run's migrate applies every one, and says so.
    migrate, _ = make_run_commands(free_port())
    applied = run(migrate, tmp_path)
    assert applied.returncode == 0, applied.stderr
    lines = applied.stdout.splitlines()
    assert lines[:-1] == [f"applied  {plugin} {migration}" for _, plugin, migration in states]
    assert lines[-1] == f"{len(states)} migration(s) applied"
