"""Weak keys are refused in production (issue 15 point 4): every setting typed ``core.SecretKey``,
the auth plugin's and a third-party plugin's alike, is at least 32 bytes when set, is an error of
``check --deploy`` when short, and is masked when configuration is shown."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from core import ConfigError
from tests.conftest import deep_merge
from tests.servers import ROOT, write_toml
from tests.testplugins import keyed

ANNEX = Path(sys.executable).parent / "annex"
STRONG = "k" * 32  # exactly the minimum
PRODUCTION = {
    "site": {"environment": "production", "url": "https://www.example.com"},
    "security": {"secret_key": "s" * 48},
}


def production(make_app, auth=None, plugins=(), extra=None):
    config = deep_merge(PRODUCTION, {"plugins": {"enabled": ["auth"], "auth": auth or {}}})
    return make_app(deep_merge(config, extra or {}), plugins=list(plugins))


@pytest.mark.parametrize(
    ("auth", "setting"),
    [
        ({"jwt_key": "secret"}, "plugins.auth.jwt_key"),
        ({"password_pepper": "pepper"}, "plugins.auth.password_pepper"),
        ({"previous_keys": [STRONG, "old"]}, "plugins.auth.previous_keys"),
        ({"jwt_key": "é" * 15}, "plugins.auth.jwt_key"),  # 30 bytes: counted in bytes
    ],
)
def test_a_short_auth_key_stops_production_start_up_naming_the_setting(make_app, auth, setting):
    with pytest.raises(ConfigError, match=rf"{setting.replace('.', '[.]')} must be at least 32 bytes"):
        production(make_app, auth)


def test_keys_of_32_bytes_or_more_start_and_empty_keeps_its_meaning(make_app):
    production(make_app, {"jwt_key": STRONG, "password_pepper": "p" * 40, "previous_keys": ["o" * 33]})
    production(make_app, {"jwt_key": "", "password_pepper": ""})  # derived key, no pepper


def test_short_keys_still_start_in_development(make_app):
    make_app({"plugins": {"enabled": ["auth"], "auth": {"jwt_key": "secret", "password_pepper": "pep"}}})


def test_a_third_party_plugins_secret_key_gets_the_same_treatment(make_app):
    with pytest.raises(ConfigError, match=r"plugins[.]keyed[.]signature must be at least 32 bytes"):
        production(make_app, plugins=[keyed], extra={"plugins": {"keyed": {"signature": "short"}}})
    with pytest.raises(ConfigError, match=r"plugins[.]keyed[.]retired must be at least 32 bytes"):
        production(make_app, plugins=[keyed], extra={"plugins": {"keyed": {"retired": ["short"]}}})
    with pytest.raises(ConfigError, match=r"plugins[.]keyed[.]nested[.]webhook_key must be at least"):
        production(make_app, plugins=[keyed], extra={"plugins": {"keyed": {"nested": {"webhook_key": "x"}}}})
    # A Secret that is not a key has no length rule.
    production(
        make_app, plugins=[keyed], extra={"plugins": {"keyed": {"signature": STRONG, "upstream": "pw"}}}
    )


def test_check_deploy_reports_each_short_key_with_its_fix(make_app):
    config = {
        "plugins": {
            "enabled": ["auth"],
            "auth": {"jwt_key": "secret", "password_pepper": "pepper"},
            "keyed": {"signature": "short", "retired": [STRONG]},
        }
    }
    result = make_app(config, plugins=[keyed]).test_cli_runner().invoke(args=["check", "--deploy"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    for setting in ("plugins.auth.jwt_key", "plugins.auth.password_pepper", "plugins.keyed.signature"):
        line = next(line for line in lines if line.startswith("ERROR") and f"{setting}:" in line)
        assert "shorter than 32 bytes" in line
        assert lines[lines.index(line) + 1].strip().startswith("fix:")
    assert not any("plugins.keyed.retired" in line for line in lines)


def test_check_deploy_of_a_production_config_with_a_short_key_fails_naming_it(tmp_path):
    config = write_toml(
        tmp_path / "config.toml",
        deep_merge(
            PRODUCTION,
            {
                "database": {"url": f"sqlite:///{tmp_path / 'annex.db'}"},
                "plugins": {"enabled": ["auth"], "auth": {"jwt_key": "secret"}},
            },
        ),
    )
    env = {"PATH": "/usr/bin:/bin", "ANNEX_CONFIG": str(config), "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [str(ANNEX), "check", "--deploy"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    # The start-up refusal becomes the check's error, listed with the others.
    assert "ERROR   plugins.auth.jwt_key: is shorter than 32 bytes" in result.stdout


def test_secret_typed_settings_are_masked_whatever_their_name(make_app):
    secrets = {"signature": "sig-" + "x" * 40, "retired": ["ret-" + "y" * 40], "upstream": "up-pw"}
    app = make_app(
        {"plugins": {"keyed": {**secrets, "nested": {"webhook_key": "hook-" + "z" * 40}}}}, [keyed]
    )
    result = app.test_cli_runner().invoke(args=["config"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)["plugins"]["keyed"]
    assert shown["signature"] == shown["upstream"] == shown["nested"]["webhook_key"] == "***"
    assert shown["retired"] == ["***"]
    assert shown["label"] == "keyed"
    verbose = app.test_cli_runner().invoke(args=["plugins", "--verbose"])
    for value in ("sig-", "ret-", "up-pw", "hook-"):
        assert value not in result.output
        assert value not in verbose.output
