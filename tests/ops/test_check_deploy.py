"""``check --deploy``: a production-ready configuration passes; each mistake is named with its fix."""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo

from core import create_app
from core.cli import check_command
from tests.conftest import deep_merge
from tests.servers import ROOT

ANNEX = Path(sys.executable).parent / "annex"
GUNICORN_VARIABLES = ("PORT", "GUNICORN_BIND", "GUNICORN_CMD_ARGS", "GUNICORN_WORKERS", "WEB_CONCURRENCY")

GOOD = {
    "site": {"environment": "production", "url": "https://www.example.com"},
    "security": {"secret_key": "k" * 48, "force_https": True, "trusted_proxies": 1},
    "rate_limits": {"storage": "memory://"},
    "plugins": {"enabled": ["auth"], "auth": {"bcrypt_rounds": 12, "mail_backend": "smtp"}},
}


@pytest.fixture(autouse=True)
def one_worker_on_loopback(monkeypatch):
    """gunicorn as the check reads it from the environment: one worker, on 127.0.0.1:8000."""
    for name in GUNICORN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GUNICORN_WORKERS", "1")


def run_check(app, args=("--deploy",)):
    return app.test_cli_runner().invoke(args=["check", *args])


def findings(output, level):
    """The settings named by the findings of ``level`` in the check's output."""
    return [line.split()[1].rstrip(":") for line in output.splitlines() if line.startswith(level.upper())]


def test_a_production_configuration_passes(make_app):
    result = run_check(make_app(GOOD))
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("0 errors, 0 warnings")


@pytest.mark.parametrize(
    ("change", "setting"),
    [
        ({"site": {"environment": "development"}}, "site.environment"),
        ({"site": {"url": "http://www.example.com"}}, "site.url"),
        # "*" and "null" are not origins: they stop start-up (tests/core/test_security.py).
        ({"security": {"cors_origins": ["http://app.example.com"]}}, "security.cors_origins"),
        ({"plugins": {"auth": {"cookie_secure": False}}}, "plugins.auth.cookie_secure"),
        ({"plugins": {"auth": {"bcrypt_rounds": 10}}}, "plugins.auth.bcrypt_rounds"),
        ({"plugins": {"auth": {"mail_backend": "console"}}}, "plugins.auth.mail_backend"),
        ({"rate_limits": {"enabled": False}}, "rate_limits.enabled"),
        ({"plugins": {"auth": {"smtp_user": "annex", "smtp_password": "pw"}}}, "plugins.auth.smtp_starttls"),
        ({"plugins": {"auth": {"smtp_password": "pw"}}}, "plugins.auth.smtp_starttls"),
    ],
)
def test_each_mistake_is_an_error_with_its_fix(make_app, change, setting):
    result = run_check(make_app(deep_merge(GOOD, change)))
    assert result.exit_code == 1
    assert findings(result.output, "error") == [setting]
    assert result.output.strip().endswith("1 error, 0 warnings")
    line = next(line for line in result.output.splitlines() if line.startswith("ERROR") and setting in line)
    following = result.output.splitlines()[result.output.splitlines().index(line) + 1]
    assert following.strip().startswith("fix:")


@pytest.mark.parametrize(
    ("change", "setting"),
    [
        ({"security": {"force_https": False}}, "security.force_https"),
        ({"security": {"trusted_proxies": 0}}, "security.trusted_proxies"),
        ({"security": {"trusted_proxies": 3}}, "security.trusted_proxies"),
        ({"security": {"content_security_policy": ""}}, "security.content_security_policy"),
        ({"security": {"content_security_policy": "  "}}, "security.content_security_policy"),
        ({"rate_limits": {"on_storage_error": "allow"}}, "rate_limits.on_storage_error"),
        ({"plugins": {"auth": {"access_token_ttl": 3601}}}, "plugins.auth.access_token_ttl"),
        ({"plugins": {"auth": {"refresh_grace_seconds": 61}}}, "plugins.auth.refresh_grace_seconds"),
    ],
)
def test_risky_settings_are_warnings(make_app, change, setting):
    result = run_check(make_app(deep_merge(GOOD, change)))
    assert result.exit_code == 0, result.output
    assert findings(result.output, "warning") == [setting]
    lines = result.output.splitlines()
    line = next(line for line in lines if line.startswith("WARNING"))
    assert lines[lines.index(line) + 1].strip().startswith("fix:")
    assert result.output.strip().endswith("0 errors, 1 warning")


def test_settings_at_the_limits_pass(make_app):
    limits = {
        "security": {"trusted_proxies": 2},
        "rate_limits": {"on_storage_error": "deny"},
        "plugins": {
            "auth": {
                "access_token_ttl": 3600,
                "refresh_grace_seconds": 60,
                "smtp_user": "annex",
                "smtp_password": "pw",
                "smtp_starttls": True,
            }
        },
    }
    result = run_check(make_app(deep_merge(GOOD, limits)))
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("0 errors, 0 warnings")


def test_errors_and_warnings_are_counted_errors_first(make_app):
    change = {
        "site": {"url": "http://www.example.com"},
        "security": {"force_https": False, "trusted_proxies": 4},
        "rate_limits": {"enabled": False},
    }
    result = run_check(make_app(deep_merge(GOOD, change)))
    assert result.exit_code == 1
    assert findings(result.output, "error") == ["site.url", "rate_limits.enabled"]
    assert findings(result.output, "warning") == ["security.force_https", "security.trusted_proxies"]
    levels = [line.split()[0] for line in result.output.splitlines() if not line.startswith(" ")]
    assert levels == ["ERROR", "ERROR", "WARNING", "WARNING", "2"]
    assert result.output.strip().endswith("2 errors, 2 warnings")


def test_check_without_the_flag_runs_the_deploy_checks(make_app):
    result = run_check(make_app(deep_merge(GOOD, {"rate_limits": {"enabled": False}})), args=())
    assert result.exit_code == 1
    assert findings(result.output, "error") == ["rate_limits.enabled"]


@pytest.mark.parametrize(
    ("variables", "workers"),
    [
        ({"GUNICORN_WORKERS": "4"}, 4),
        ({"GUNICORN_CMD_ARGS": "--workers 3"}, 3),
        ({"GUNICORN_CMD_ARGS": "-w5"}, 5),
        ({"WEB_CONCURRENCY": "6"}, 6),
        ({}, 2),  # deploy/entrypoint.sh starts 2 unless told otherwise
    ],
)
def test_memory_limits_with_several_workers_are_reported(make_app, monkeypatch, variables, workers):
    monkeypatch.delenv("GUNICORN_WORKERS")
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    result = run_check(make_app(GOOD))
    assert result.exit_code == 0
    assert f"rate_limits.storage: is memory:// with {workers} workers" in result.output


def test_memory_limits_with_one_worker_or_limits_off_are_not_reported(make_app, monkeypatch):
    assert "rate_limits.storage" not in run_check(make_app(GOOD)).output
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    assert (
        "rate_limits.storage"
        not in run_check(make_app(deep_merge(GOOD, {"rate_limits": {"enabled": False}}))).output
    )


def test_sqlite_without_wal_is_an_error(make_app, tmp_path):
    app = make_app(deep_merge(GOOD, {"database": {"url": f"sqlite:///{tmp_path}/wal.db"}}))
    with app.app_context():
        db = app.extensions["annex"].db
        db.query("PRAGMA journal_mode=DELETE")
        result = run_check(app)
    assert result.exit_code == 1
    assert "SQLite journal_mode is delete" in result.output


@pytest.mark.parametrize(
    ("variables", "exposed"),
    [
        ({"GUNICORN_BIND": "0.0.0.0:8000"}, "0.0.0.0:8000"),
        ({"PORT": "8000"}, "0.0.0.0:8000"),  # the image's default: gunicorn binds 0.0.0.0:$PORT
        ({"GUNICORN_BIND": "127.0.0.1:8000", "GUNICORN_CMD_ARGS": "--workers 2 -b [::]:9000"}, "[::]:9000"),
    ],
)
def test_gunicorn_bound_to_a_public_address_is_a_warning(make_app, monkeypatch, variables, exposed):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    result = run_check(make_app(GOOD))
    assert result.exit_code == 0
    warning = next(
        line for line in result.output.splitlines() if line.startswith("WARNING") and "GUNICORN_BIND" in line
    )
    assert exposed in warning


@pytest.mark.parametrize(
    "variables",
    [{}, {"GUNICORN_BIND": "127.0.0.1:8000"}, {"GUNICORN_BIND": "[::1]:8000,unix:/run/annex/gunicorn.sock"}],
)
def test_gunicorn_bound_to_loopback_or_a_socket_is_fine(make_app, monkeypatch, variables):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert "GUNICORN_BIND" not in run_check(make_app(GOOD)).output


# A production configuration that does not start ------------------------------------------------


def check_of(tmp_path, config, *args):
    """``annex check`` in-process, building the app itself as the console script does."""
    config = deep_merge({"database": {"url": f"sqlite:///{tmp_path / 'annex.db'}"}}, config)
    info = ScriptInfo(create_app=lambda: create_app(config, environ={}, instance_path=tmp_path / "instance"))
    return CliRunner().invoke(check_command, list(args), obj=info)


def test_a_missing_secret_key_is_a_finding_not_a_traceback(tmp_path):
    config = deep_merge(GOOD, {})
    config["security"] = {key: value for key, value in config["security"].items() if key != "secret_key"}
    result = check_of(tmp_path, config, "--deploy")
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert findings(result.output, "error") == ["security.secret_key"]
    assert "is not set" in result.output
    assert result.output.strip().endswith("1 error, 0 warnings")


def test_short_keys_are_listed_with_every_other_finding(tmp_path):
    config = deep_merge(
        GOOD,
        {
            "security": {"secret_key": "short"},
            "rate_limits": {"enabled": False},
            "plugins": {"auth": {"jwt_key": "secret"}},
        },
    )
    result = check_of(tmp_path, config)
    assert result.exit_code == 1
    assert findings(result.output, "error") == [
        "security.secret_key",
        "plugins.auth.jwt_key",
        "rate_limits.enabled",
    ]
    assert "shorter than 32 bytes" in result.output


def test_a_configuration_that_does_not_start_is_one_error(tmp_path):
    result = check_of(tmp_path, deep_merge(GOOD, {"security": {"no_such_setting": 1}}))
    assert result.exit_code == 1
    assert findings(result.output, "error") == ["configuration"]
    assert "unknown setting security.no_such_setting" in result.output
    assert result.output.strip().endswith("1 error, 0 warnings")


def test_a_short_key_does_not_start_the_app_outside_the_check(tmp_path):
    from core import ConfigError

    assert check_of(tmp_path, deep_merge(GOOD, {"security": {"secret_key": "short"}})).exit_code == 1
    with pytest.raises(ConfigError, match="security.secret_key must be at least 32 bytes"):
        create_app(
            deep_merge(GOOD, {"security": {"secret_key": "short"}}),
            environ={},
            instance_path=tmp_path / "instance",
        )


# The shipped configuration, through the console script ----------------------------------------------


def documented_environment(tmp_path):
    """The env file of docs/deploy.md (a fresh server, step 3), its placeholders filled in, the
    database a SQLite file instead of PostgreSQL."""
    text = (ROOT / "docs" / "deploy.md").read_text()
    block = text[text.index("`/etc/annex/annex.env`") :]
    block = block[block.index("```sh") + len("```sh") : block.index("```", block.index("```sh") + 5)]
    env = {}
    for line in block.strip().splitlines():
        name, _, value = line.strip().partition("=")
        env[name] = value[1:-1] if value.startswith('"') and value.endswith('"') else value
    assert {"ANNEX_SECRET_KEY", "ANNEX__SITE__URL", "GUNICORN_WORKERS"} <= set(env)
    env = {name: re.sub(r"<[^>]*>", "placeholder", value) for name, value in env.items()}
    env["ANNEX_SECRET_KEY"] = secrets.token_urlsafe(48)
    env["ANNEX_CONFIG"] = str(ROOT / "deploy" / "config.toml")
    env["ANNEX_DATABASE_URL"] = f"sqlite:///{tmp_path / 'annex.db'}"
    env["PATH"] = "/usr/bin:/bin"
    env["PYTHONPATH"] = str(ROOT)
    return env


def annex_check(env, cwd, *args):
    return subprocess.run(
        [str(ANNEX), "check", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def test_the_shipped_configuration_with_the_documented_environment_passes(tmp_path):
    result = annex_check(documented_environment(tmp_path), tmp_path, "--deploy")
    assert result.returncode == 0, result.stdout + result.stderr
    # The one warning docs/deploy.md announces: memory counters with 3 workers.
    assert findings(result.stdout, "warning") == ["rate_limits.storage"]
    assert result.stdout.strip().endswith("0 errors, 1 warning")


def test_the_console_script_reports_a_missing_secret_without_a_traceback(tmp_path):
    env = documented_environment(tmp_path)
    del env["ANNEX_SECRET_KEY"]
    env["ANNEX__PLUGINS__AUTH__SMTP_STARTTLS"] = "false"
    result = annex_check(env, tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert findings(result.stdout, "error") == ["security.secret_key", "plugins.auth.smtp_starttls"]
    assert result.stdout.strip().endswith("2 errors, 1 warning")
