"""deploy/compose.yaml (structure; no container engine runs here) and the .env.example it reads."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import BIN, CONTAINERFILE, DEPLOY, ROOT, instructions, production_env

pytestmark = pytest.mark.deploy

COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
#: ``${NAME}``, ``${NAME:-default}``, ``${NAME:?message}``, ``${NAME-default}``…
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def test_services_have_health_checks_and_start_in_order(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"app", "nginx", "postgres", "redis"}
    for name, service in services.items():
        check = service.get("healthcheck", {})
        assert check.get("test"), f"{name} has no health check"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), f"{name}: health check test must be CMD or CMD-SHELL"
        assert service.get("restart") == "unless-stopped", f"{name} is not restarted after a crash or reboot"
    app = services["app"]
    assert app["deploy"]["replicas"] == 2
    assert app["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert services["nginx"]["depends_on"] == {"app": {"condition": "service_healthy"}}
    # Only nginx is reachable from outside.
    assert [name for name, service in services.items() if service.get("ports")] == ["nginx"]
    assert sorted(services["nginx"]["ports"]) == ["443:443", "80:80"]


def test_app_health_check_is_the_image_one(compose: dict[str, Any]) -> None:
    (image_check,) = [
        rest for keyword, rest in instructions(CONTAINERFILE.read_text()) if keyword == "HEALTHCHECK"
    ]
    image_command = json.loads(image_check[image_check.index("CMD") + 3 :].strip())
    assert compose["services"]["app"]["healthcheck"]["test"] == ["CMD", *image_command]


def test_state_lives_in_named_volumes_and_shared_folders(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "pgdata" in compose["volumes"]
    nginx_mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in services["nginx"]["volumes"]}
    assert nginx_mounts["/etc/nginx/nginx.conf"] == "./nginx.generated.conf"
    assert nginx_mounts["/srv/annex/site"] == "../site"
    # nginx sends the members files from the folder the app checks them in.
    assert nginx_mounts["/srv/annex/protected"] == "../protected"
    assert "../protected:/app/protected:ro" in services["app"]["volumes"]
    for mount in (*services["nginx"]["volumes"], *services["app"]["volumes"]):
        source = mount.split(":")[0]
        if source.startswith("../"):
            assert (DEPLOY / source).resolve().is_dir(), f"{mount}: no such folder"


def test_app_runs_the_production_configuration(compose: dict[str, Any]) -> None:
    env = _environment(compose["services"]["app"])
    assert env["ANNEX__SITE__ENVIRONMENT"] == "production"
    assert env["ANNEX_SECRET_KEY"].startswith("${ANNEX_SECRET_KEY:?")
    assert env["ANNEX_DATABASE_URL"].startswith("postgresql://annex:${POSTGRES_PASSWORD:?")
    assert env["ANNEX_DATABASE_URL"].endswith("@postgres:5432/annex")
    assert env["ANNEX__RATE_LIMITS__STORAGE"] == "${ANNEX__RATE_LIMITS__STORAGE:-redis://redis:6379/0}"
    assert env["ANNEX__SECURITY__TRUSTED_PROXIES"] == "1"
    assert env["ANNEX__PLUGINS__CONTENT__ACCEL_REDIRECT_PREFIX"] == "/_protected/"
    assert {"GUNICORN_WORKERS", "GUNICORN_THREADS"} <= set(env)


def _documented() -> dict[str, str]:
    """``{variable: its comment}`` of .env.example: ``NAME=`` or ``# NAME=`` after comment lines."""
    documented: dict[str, str] = {}
    comment: list[str] = []
    for line in ENV_EXAMPLE.read_text().splitlines():
        stripped = line.lstrip("# ").strip()
        match = re.fullmatch(r"([A-Z][A-Z0-9_]*)=.*", stripped)
        if match:
            documented.setdefault(match.group(1), " ".join(comment))
        elif line.startswith("#"):
            comment.append(stripped)
            continue
        comment = []
    return documented


def test_env_example_documents_every_production_variable(compose: dict[str, Any]) -> None:
    documented = _documented()
    text = COMPOSE.read_text()
    wanted = {match.group(1) for match in VARIABLE.finditer(text)}
    wanted |= set(_environment(compose["services"]["app"]))
    assert {"POSTGRES_PASSWORD", "ANNEX__SITE__URL", "GUNICORN_WORKERS", "ANNEX_SECRET_KEY"} <= wanted
    missing = sorted(wanted - set(documented))
    assert not missing, f"{ENV_EXAMPLE.name} does not list {missing}"
    uncommented = sorted(name for name in wanted if not documented[name].strip())
    assert not uncommented, f"{ENV_EXAMPLE.name} lists {uncommented} without a comment saying what they are"


def _interpolate(value: str, variables: dict[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        name, kind, default = match.group(1), match.group(2), match.group(3)
        if variables.get(name):
            return variables[name]
        assert kind not in (":?", "?"), f"${{{name}}} is required: {default}"
        return default or ""

    return VARIABLE.sub(substitute, value)


def test_the_app_accepts_the_compose_environment(compose: dict[str, Any], tmp_path: Path) -> None:
    """The app's configuration check passes with exactly what compose would pass it."""
    operator = {
        "ANNEX_SECRET_KEY": "k" * 48,
        "POSTGRES_PASSWORD": "pw",
        "ANNEX__SITE__URL": "https://annex.example.com",
    }
    app_env = {
        key: _interpolate(value, operator) for key, value in _environment(compose["services"]["app"]).items()
    }
    env = production_env(tmp_path, "https://unused.example", tmp_path / "annex.db")
    env.update(app_env)
    # No PostgreSQL here: the same settings on a SQLite file.
    env["ANNEX_DATABASE_URL"] = f"sqlite:///{tmp_path / 'annex.db'}"
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "core", "config"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout[result.stdout.index("{") :])
    site = {key: config["site"][key] for key in ("url", "environment", "static_dir")}
    assert site == {"url": "https://annex.example.com", "environment": "production", "static_dir": ""}
    assert config["rate_limits"]["storage"] == "redis://redis:6379/0"
    assert config["security"]["trusted_proxies"] == 1
    assert config["security"]["force_https"] is True
    assert config["plugins"]["auth"]["smtp_port"] == 25
    assert config["plugins"]["auth"]["mail_from"] == "Annex <no-reply@localhost>"
    assert config["plugins"]["content"]["accel_redirect_prefix"] == "/_protected/"
    assert config["security"]["secret_key"] == "***"
