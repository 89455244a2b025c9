"""Configuration: sources and their precedence, validation, secret references and secret keys."""

from __future__ import annotations

import json

import pytest

from core import ConfigError, create_app
from core.config_loader import load_settings
from tests.testplugins import hello


def write_config(path, text):
    path.write_text(text)
    return path


def test_defaults_apply_when_there_is_no_config_toml(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings, _ = load_settings(None, environ={}, instance_path=tmp_path)
    assert settings.site.url == "http://127.0.0.1:5000"
    assert settings.security.max_body_bytes == 65536
    assert settings.rate_limits.default == "300/minute"


def test_environment_beats_dotenv_which_beats_the_file(tmp_path, monkeypatch):
    config = write_config(
        tmp_path / "config.toml", '[site]\nurl = "https://file.example"\n[security]\nmax_body_bytes = 1000\n'
    )
    (tmp_path / ".env").write_text(
        'ANNEX__SITE__URL="https://dotenv.example"\nANNEX__SECURITY__MAX_BODY_BYTES=2000\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANNEX__SECURITY__MAX_BODY_BYTES", "3000")
    settings, _ = load_settings(config, instance_path=tmp_path)
    assert settings.site.url == "https://dotenv.example"
    assert settings.security.max_body_bytes == 3000


def test_annex_config_variable_selects_the_file(tmp_path, monkeypatch):
    config = write_config(tmp_path / "other.toml", '[site]\nurl = "https://other.example"\n')
    settings, _ = load_settings(None, environ={"ANNEX_CONFIG": str(config)}, instance_path=tmp_path)
    assert settings.site.url == "https://other.example"


def test_missing_explicit_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(None, environ={"ANNEX_CONFIG": str(tmp_path / "nope.toml")}, instance_path=tmp_path)


def test_shortcut_variables_override_secret_and_database(tmp_path):
    environ = {"ANNEX_SECRET_KEY": "k" * 40, "ANNEX_DATABASE_URL": "sqlite:///x.db"}
    settings, _ = load_settings(
        {"database": {"url": "sqlite:///y.db"}}, environ=environ, instance_path=tmp_path
    )
    assert settings.security.secret_key == "k" * 40
    assert settings.database.url == "sqlite:///x.db"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("false", False)],
)
def test_overrides_are_toml_literals(tmp_path, value, expected):
    settings, _ = load_settings({}, environ={"ANNEX__SECURITY__FORCE_HTTPS": value}, instance_path=tmp_path)
    assert settings.security.force_https is expected


def test_override_lists_and_bare_strings(tmp_path):
    environ = {
        "ANNEX__SECURITY__CORS_ORIGINS": '["https://a.example", "https://b.example"]',
        "ANNEX__SITE__URL": "https://bare.example",
    }
    settings, _ = load_settings({}, environ=environ, instance_path=tmp_path)
    assert settings.security.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.site.url == "https://bare.example"


def test_unknown_key_in_the_file_names_key_and_file(tmp_path):
    config = write_config(tmp_path / "config.toml", "[security]\nmax_body_byte = 10\n")
    with pytest.raises(ConfigError) as excinfo:
        load_settings(config, environ={}, instance_path=tmp_path)
    assert "security.max_body_byte" in str(excinfo.value)
    assert str(config) in str(excinfo.value)


def test_unknown_section_is_an_error(tmp_path):
    config = write_config(tmp_path / "config.toml", "[securty]\nforce_https = true\n")
    with pytest.raises(ConfigError, match="unknown setting securty"):
        load_settings(config, environ={}, instance_path=tmp_path)


def test_unknown_key_from_the_environment_names_the_variable(tmp_path):
    with pytest.raises(ConfigError) as excinfo:
        load_settings({}, environ={"ANNEX__SITE__COLOUR": '"blue"'}, instance_path=tmp_path)
    assert "site.colour" in str(excinfo.value)
    assert "ANNEX__SITE__COLOUR" in str(excinfo.value)


def test_invalid_value_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="security.max_body_bytes"):
        load_settings({"security": {"max_body_bytes": "lots"}}, environ={}, instance_path=tmp_path)


def test_string_setting_may_come_from_an_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_SITE_SECRET", "s" * 40)
    settings, _ = load_settings(
        {"security": {"secret_key": {"env": "MY_SITE_SECRET"}}}, environ={}, instance_path=tmp_path
    )
    assert settings.security.secret_key == "s" * 40


def test_missing_referenced_variable_is_an_error(tmp_path, monkeypatch):
    monkeypatch.delenv("ANNEX_TEST_UNSET", raising=False)
    with pytest.raises(ConfigError, match="security.secret_key.*ANNEX_TEST_UNSET is not set"):
        load_settings(
            {"security": {"secret_key": {"env": "ANNEX_TEST_UNSET"}}}, environ={}, instance_path=tmp_path
        )


def test_string_setting_may_come_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("f" * 40 + "\n")
    config = write_config(tmp_path / "config.toml", f'[security]\nsecret_key = {{ file = "{secret}" }}\n')
    settings, _ = load_settings(config, environ={}, instance_path=tmp_path)
    assert settings.security.secret_key == "f" * 40


def test_unreadable_secret_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings(
            {"security": {"secret_key": {"file": str(tmp_path / "none")}}}, environ={}, instance_path=tmp_path
        )


def test_development_generates_a_secret_key_and_keeps_it(tmp_path):
    first, _ = load_settings({}, environ={}, instance_path=tmp_path / "instance")
    second, _ = load_settings({}, environ={}, instance_path=tmp_path / "instance")
    assert len(first.security.secret_key) >= 32
    assert first.security.secret_key == second.security.secret_key
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("secret", [None, "short-secret"])
def test_production_refuses_a_missing_or_short_secret(tmp_path, secret):
    config = {"site": {"environment": "production"}, "security": {"secret_key": secret}}
    with pytest.raises(ConfigError, match="secret_key must be at least 32 bytes"):
        load_settings(config, environ={}, instance_path=tmp_path)
    assert not (tmp_path / "secret_key").exists()


def test_production_accepts_a_strong_secret(tmp_path):
    settings, _ = load_settings(
        {"site": {"environment": "production"}},
        environ={"ANNEX_SECRET_KEY": "p" * 32},
        instance_path=tmp_path,
    )
    assert settings.is_production


def test_plugin_section_is_validated_with_its_defaults(make_app):
    app = make_app({"plugins": {"hello": {"greeting": "ahoy"}}}, plugins=[hello])
    assert app.test_client().get("/api/hello").json == {"message": "ahoy, stranger"}
    app = make_app(plugins=[hello])
    assert app.test_client().get("/api/hello").json == {"message": "hello, stranger"}


def test_plugin_section_override_from_the_environment(make_app):
    app = make_app(plugins=[hello], environ={"ANNEX__PLUGINS__HELLO__GREETING": '"hi"'})
    assert app.test_client().get("/api/hello").json == {"message": "hi, stranger"}


def test_unknown_key_in_a_plugin_section_stops_start_up(make_app):
    with pytest.raises(ConfigError, match=r"unknown setting plugins\.hello\.greting"):
        make_app({"plugins": {"hello": {"greting": "ahoy"}}}, plugins=[hello])


def test_section_for_a_plugin_that_does_not_exist_is_an_error(make_app):
    with pytest.raises(ConfigError, match=r"plugins\.nosuch.*no such plugin"):
        make_app({"plugins": {"nosuch": {"x": 1}}})


def test_config_command_prints_the_effective_configuration_with_secrets_masked(make_app):
    app = make_app(
        {
            "security": {"secret_key": "super-secret-value-" * 3},
            "plugins": {"hello": {"api_token": "tok-123"}},
        },
        plugins=[hello],
    )
    result = app.test_cli_runner().invoke(args=["config"])
    assert result.exit_code == 0, result.output
    assert result.stderr == "configuration: <config mapping>\n"  # which one was read; stdout stays JSON
    shown = json.loads(result.stdout)
    assert shown["security"]["secret_key"] == "***"
    assert shown["plugins"]["hello"]["api_token"] == "***"
    assert shown["plugins"]["hello"]["greeting"] == "hello"
    assert "super-secret-value" not in result.output
    assert "tok-123" not in result.output


def test_create_app_with_bad_config_raises_before_serving(tmp_path):
    with pytest.raises(ConfigError):
        create_app({"site": {"environment": "staging"}}, environ={}, instance_path=tmp_path)


def test_masking_hides_secrets_but_not_settings_that_merely_mention_them():
    from core.config_loader import masked

    shown = masked(
        {
            "secret_key": "s3cr3t",
            "smtp_password": "pw",
            "previous_keys": ["old1", "old2"],
            "api_token": "tok",
            "access_token_ttl": 900,
            "password_min_length": 8,
            "password_reset": "5/hour",
            "url": "postgresql://annex:hunter2@db.example/annex",
            "password_pepper": "",
        }
    )
    assert shown["secret_key"] == shown["smtp_password"] == shown["api_token"] == "***"
    assert shown["previous_keys"] == ["***", "***"]
    assert shown["access_token_ttl"] == 900
    assert shown["password_min_length"] == 8
    assert shown["password_reset"] == "5/hour"
    assert shown["url"] == "postgresql://annex:***@db.example/annex"
    assert shown["password_pepper"] == ""


def test_plugins_verbose_lists_routes_settings_and_pending_migrations(make_app):
    app = make_app(
        {"site": {"environment": "production"}, "security": {"secret_key": "v" * 40}},
        plugins=[hello],
    )
    output = app.test_cli_runner().invoke(args=["plugins", "--verbose"]).output
    assert "pending: 0001_notes" in output
    assert "route: POST /api/hello/notes" in output
    assert '"greeting": "hello"' in output
    assert '"api_token": ""' in output


def test_a_near_miss_key_is_named_with_its_value_source_and_fix(tmp_path):
    config = write_config(tmp_path / "config.toml", "[security]\nmax_body_byte = 10\n")
    with pytest.raises(ConfigError) as excinfo:
        load_settings(config, environ={}, instance_path=tmp_path)
    assert str(excinfo.value) == (
        f"unknown setting security.max_body_byte = 10 in {config}. Did you mean "
        f"security.max_body_bytes? Fix: correct the name or remove it from {config}."
    )


def test_an_invalid_value_names_the_default_and_never_shows_a_secret(tmp_path):
    with pytest.raises(ConfigError) as excinfo:
        load_settings(
            {"security": {"max_body_bytes": "lots", "secret_key": 123456789}},
            environ={},
            instance_path=tmp_path,
        )
    message = str(excinfo.value)
    assert 'invalid setting security.max_body_bytes = "lots" in <config mapping>' in message
    assert "remove it to use the default 65536" in message
    assert 'invalid setting security.secret_key = "***"' in message
    assert "123456789" not in message


def test_a_section_of_a_misspelt_plugin_suggests_the_plugin(make_app):
    with pytest.raises(
        ConfigError, match=r"plugins\.profle .*no such plugin\. Did you mean plugins\.profile\?"
    ):
        make_app({"plugins": {"profle": {}}})
