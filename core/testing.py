"""The test kit for plugin authors: a pytest plugin (entry point ``pytest11``) shipped with Annex.

Fixtures build an app on a temporary SQLite database with the plugins you name, a client, and a
logged-in user; ``check_plugin`` checks a plugin against the rules every plugin must keep.
In your conftest.py::

    @pytest.fixture
    def annex_plugins():
        return ["auth", "hello"]          # what the app enables

    def test_hello(annex_client, annex_user):
        assert annex_client.get("/api/hello", headers=annex_user.headers).status_code == 200

    def test_conformance(annex_app_factory):
        check_plugin("hello", annex_app_factory)
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import inspect, text

from core.api import SPEC_ATTRIBUTE
from core.app import create_app
from core.migrations import apply
from core.plugins import plugin_name

#: Password of the users the kit registers.
TEST_PASSWORD = "kit-password-not-common-42"
AppFactory = Callable[..., Flask]


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = (
            _merge(merged[key], value)
            if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping)
            else value
        )
    return merged


@pytest.fixture
def annex_plugins() -> list[str]:
    """Names of the plugins the kit's app enables; override it in your conftest.py."""
    return ["auth"]


@pytest.fixture
def annex_config() -> dict[str, Any]:
    """Extra configuration merged over the kit's defaults; override it in your conftest.py."""
    return {}


@pytest.fixture
def annex_app_factory(
    tmp_path: Path, annex_plugins: list[str], annex_config: dict[str, Any]
) -> Iterator[AppFactory]:
    """``factory(plugins=None, config=None, extra=())`` builds an app on a fresh SQLite file."""
    apps: list[Flask] = []

    def factory(
        plugins: list[str] | None = None, config: Mapping[str, Any] | None = None, extra: Any = ()
    ) -> Flask:
        folder = tmp_path / f"app{len(apps)}"
        base = {
            "database": {"url": f"sqlite:///{folder / 'annex.db'}"},
            "site": {"static_dir": ""},
            "rate_limits": {"enabled": False},
            "plugins": {
                "enabled": list(annex_plugins if plugins is None else plugins),
                "auth": {"bcrypt_rounds": 4, "mail_backend": "file", "mail_dir": str(folder / "mail")},
            },
        }
        settings = _merge(_merge(base, annex_config), config or {})
        if "auth" not in settings["plugins"]["enabled"]:
            settings["plugins"].pop("auth")
        app = create_app(settings, extra, environ={}, instance_path=folder / "instance")
        app.config["TESTING"] = True
        apps.append(app)
        return app

    yield factory
    for app in apps:
        app.extensions["annex"].db.close()


@pytest.fixture
def annex_app(annex_app_factory: AppFactory) -> Flask:
    """An app with ``annex_plugins`` enabled."""
    return annex_app_factory()


@pytest.fixture
def annex_client(annex_app: Flask) -> Any:
    return annex_app.test_client()


@dataclass
class User:
    """A registered, logged-in user (through the auth plugin's register route)."""

    id: int
    username: str
    email: str
    password: str
    access_token: str
    refresh_token: str
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def register_user(client: Any, username: str | None = None) -> User:
    username = username or f"user{secrets.token_hex(4)}"
    email = f"{username}@example.com"
    response = client.post(
        "/api/auth/register", json={"username": username, "email": email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    return User(
        body["user"]["id"], username, email, TEST_PASSWORD, body["access_token"], body["refresh_token"], body
    )


@pytest.fixture
def annex_user(annex_client: Any) -> User:
    """A user registered and logged in on ``annex_client`` (needs the auth plugin)."""
    return register_user(annex_client)


# -------------------------------------------------------------------------------------------------
# conformance
# -------------------------------------------------------------------------------------------------


class ConformanceError(AssertionError):
    """A plugin breaks one or more of the rules every plugin keeps."""


def check_plugin(name: str, app_factory: AppFactory, extra: Any = ()) -> None:
    """Check plugin ``name`` against the rules every plugin keeps; raises listing every breach.

    - its migrations apply on a fresh database, and again as a no-op;
    - every table it creates starts with its name;
    - every route it declares as authenticated refuses an anonymous request (401) and, for
      unsafe methods, a cookie request without the CSRF header (403);
    - after ``user_deleted`` no row of its tables names the deleted user;
    - ``user_export`` returns JSON-serialisable data.

    ``app_factory`` is the kit's ``annex_app_factory``; the app gets ``auth`` and ``name``.
    """
    problems: list[str] = []
    passed = {item[0] if isinstance(item, tuple) else plugin_name(item) for item in extra}
    plugins = ["auth"] if name in ("auth", *passed) else ["auth", name]
    baseline = set(_tables(app_factory(plugins=["auth"], config={"plugins": {"enabled": ["auth"]}})))
    app = app_factory(plugins=plugins, config={"plugins": {"enabled": plugins}}, extra=extra)
    state = app.extensions["annex"]
    own = [m for m in state.migrations if m.plugin == name]
    if apply(state.db, own):
        problems.append("migrations are applied again on a database that already has them")
    tables = (
        sorted(set(_tables(app)) - baseline)
        if name != "auth"
        else [t for t in _tables(app) if t.startswith("auth")]
    )
    problems += [
        f"table {table} does not start with {name}_" for table in tables if not table.startswith(f"{name}_")
    ]
    problems += _check_routes(app, name)
    problems += _check_user_data(app, name, tables)
    if problems:
        raise ConformanceError(f"plugin {name} breaks the plugin rules:\n- " + "\n- ".join(problems))


def _tables(app: Flask) -> list[str]:
    with app.app_context():
        engine = app.extensions["annex"].db.engine
        return [table for table in inspect(engine).get_table_names() if not table.startswith("annex_")]


def _sample_path(rule: Any) -> str:
    return re.sub(
        r"<(?:int:)?(\w+)>|<[^>]*:(\w+)>", lambda m: "1" if "int:" in m.group(0) else "x", rule.rule
    )


def _check_routes(app: Flask, name: str) -> list[str]:
    problems = []
    state = app.extensions["annex"]
    client = app.test_client(use_cookies=True)
    register_user(client)  # cookies of a logged-in browser, CSRF header deliberately never sent
    anonymous = app.test_client()
    for rule in app.url_map.iter_rules():
        if state.plugin_of_blueprint.get(rule.endpoint.split(".")[0]) != name:
            continue
        spec = getattr(app.view_functions[rule.endpoint], SPEC_ATTRIBUTE, None)
        if spec is None or not spec.auth:
            continue
        path = _sample_path(rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            status = anonymous.open(path, method=method, json={}).status_code
            if status != 401:
                problems.append(f"{method} {rule.rule} answers {status} to an anonymous request, not 401")
            if method in ("POST", "PUT", "PATCH", "DELETE"):
                status = client.open(path, method=method, json={}, base_url="https://localhost").status_code
                if status != 403:
                    problems.append(
                        f"{method} {rule.rule} answers {status} to a cookie request without CSRF, not 403"
                    )
    return problems


def _check_user_data(app: Flask, name: str, tables: list[str]) -> list[str]:
    problems = []
    client = app.test_client()
    user = register_user(client)
    # Let the plugin keep something of the user, where it does so on its own.
    with app.test_request_context():
        hooks = app.extensions["annex"].pm.hook
        for section in hooks.user_export(user_id=user.id):
            try:
                json.dumps(section)
            except (TypeError, ValueError) as exc:
                problems.append(f"user_export returns data that is not JSON-serialisable: {exc}")
        hooks.user_deleted(user_id=user.id)
        db = app.extensions["annex"].db
        for table in tables:
            columns = {column["name"] for column in inspect(db.executable).get_columns(table)}
            for column in sorted(c for c in columns if c == "user_id" or c.endswith("_user_id")):
                count = db.executable.execute(
                    text(f'SELECT count(*) FROM "{table}" WHERE "{column}" = :id'), {"id": user.id}
                ).scalar()
                if count:
                    problems.append(f"{count} row(s) of {table} still name the deleted user in {column}")
    return problems
