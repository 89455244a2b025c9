"""``check --deploy``: a production-ready configuration passes; each mistake is named with its fix."""

from __future__ import annotations

import pytest

GOOD = {
    "site": {"environment": "production", "url": "https://www.example.com"},
    "security": {"secret_key": "k" * 48, "force_https": True, "trusted_proxies": 1},
    "rate_limits": {"storage": "memory://"},
    "plugins": {"enabled": ["auth"], "auth": {"bcrypt_rounds": 12, "mail_backend": "smtp"}},
}


def run_check(app):
    return app.test_cli_runner().invoke(args=["check", "--deploy"])


def test_a_production_configuration_passes(make_app):
    result = run_check(make_app(GOOD))
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("0 error(s), 0 warning(s)")


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
    ],
)
def test_each_mistake_is_an_error_with_its_fix(make_app, change, setting):
    from tests.conftest import deep_merge

    result = run_check(make_app(deep_merge(GOOD, change)))
    assert result.exit_code == 1
    line = next(line for line in result.output.splitlines() if line.startswith("ERROR") and setting in line)
    following = result.output.splitlines()[result.output.splitlines().index(line) + 1]
    assert following.strip().startswith("fix:")


@pytest.mark.parametrize(
    ("change", "setting"),
    [
        ({"security": {"force_https": False}}, "security.force_https"),
        ({"security": {"trusted_proxies": 0}}, "security.trusted_proxies"),
    ],
)
def test_risky_settings_are_warnings(make_app, change, setting):
    from tests.conftest import deep_merge

    result = run_check(make_app(deep_merge(GOOD, change)))
    assert result.exit_code == 0
    assert any(line.startswith("WARNING") and setting in line for line in result.output.splitlines())


def test_memory_limits_with_several_workers_are_reported(make_app, monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "4")
    result = run_check(make_app(GOOD))
    assert "rate_limits.storage: is memory:// with 4 workers" in result.output


def test_sqlite_without_wal_is_an_error(make_app, tmp_path):
    from tests.conftest import deep_merge

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
    for name in ("PORT", "GUNICORN_BIND", "GUNICORN_CMD_ARGS"):
        monkeypatch.delenv(name, raising=False)
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
    for name in ("PORT", "GUNICORN_BIND", "GUNICORN_CMD_ARGS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert "GUNICORN_BIND" not in run_check(make_app(GOOD)).output
