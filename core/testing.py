"""The test kit for plugin authors: a pytest plugin (entry point ``pytest11``) shipped with Annex.

Fixtures build an app on a temporary SQLite database with the plugins you name, a client, and a
signed-in user; ``check_plugin`` checks a plugin against the rules every plugin must keep. The
user comes from whichever enabled plugin implements the ``testkit_user`` hook (the identity
plugin), and every enabled plugin gives its test settings through ``testkit_settings``.
In your conftest.py::

    @pytest.fixture
    def annex_plugins():
        return ["my_identity", "hello"]   # what the app enables: an identity plugin, then yours

    def test_hello(annex_client, annex_user):
        assert annex_client.get("/api/hello", headers=annex_user.headers).status_code == 200

    def test_conformance(annex_app_factory):
        check_plugin("hello", annex_app_factory)
"""

from __future__ import annotations

import functools
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
from core.plugins import build_manager, call_each, plugin_name
from core.state import app_state

#: Password of the users the kit registers.
TEST_PASSWORD = "kit-password-not-common-42"
AppFactory = Callable[..., Flask]


def merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra`` merged over it, section by section (a configuration override)."""
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = (
            merge(merged[key], value)
            if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping)
            else value
        )
    return merged


class TestApps:
    """Builds apps for tests (``TESTING`` on, no environment read) and closes their databases."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self) -> None:
        self.apps: list[Flask] = []

    def build(self, config: Mapping[str, Any], extra: Any = (), **kwargs: Any) -> Flask:
        """``create_app(config, extra, **kwargs)``, with ``environ={}`` unless given."""
        kwargs.setdefault("environ", {})
        app = create_app(dict(config), extra, **kwargs)
        app.config["TESTING"] = True
        self.apps.append(app)
        return app

    def close(self) -> None:
        for app in self.apps:
            database = app_state(app).db
            if database.engine is not None:
                database.close()


def plugin_test_settings(enabled: list[str], extra: Any, folder: Path) -> dict[str, Any]:
    """Each enabled plugin's ``testkit_settings``, as ``{name: section}``."""
    try:
        manager = _settings_manager(tuple(enabled), tuple(extra))
    except TypeError:  # an unhashable extra plugin: build a manager for this app alone
        manager = build_manager(enabled, extra)
    return dict(call_each(manager, "testkit_settings", folder=folder))


@functools.lru_cache(maxsize=64)
def _settings_manager(enabled: tuple[str, ...], extra: tuple[Any, ...]) -> Any:
    """A plugin manager asked only for test settings, built once per set of plugins (a test
    session builds thousands of apps from a handful of sets)."""
    return build_manager(enabled, extra)


@pytest.fixture
def annex_plugins() -> list[str]:
    """Names of the plugins the kit's app enables; override it in your conftest.py (list an
    identity plugin for ``annex_user``)."""
    return []


@pytest.fixture
def annex_config() -> dict[str, Any]:
    """Extra configuration merged over the kit's defaults; override it in your conftest.py."""
    return {}


@pytest.fixture
def annex_app_factory(
    tmp_path: Path, annex_plugins: list[str], annex_config: dict[str, Any]
) -> Iterator[AppFactory]:
    """``factory(plugins=None, config=None, extra=())`` builds an app on a fresh SQLite file."""
    apps = TestApps()

    def factory(
        plugins: list[str] | None = None, config: Mapping[str, Any] | None = None, extra: Any = ()
    ) -> Flask:
        folder = tmp_path / f"app{len(apps.apps)}"
        base = {
            "database": {"url": f"sqlite:///{folder / 'annex.db'}"},
            "site": {"static_dir": ""},
            "rate_limits": {"enabled": False},
            "plugins": {"enabled": list(annex_plugins if plugins is None else plugins)},
        }
        overrides = merge(annex_config, config or {})
        enabled = merge(base, overrides)["plugins"]["enabled"]
        base["plugins"].update(plugin_test_settings(enabled, extra, folder))
        return apps.build(merge(base, overrides), extra, instance_path=folder / "instance")

    yield factory
    apps.close()


@pytest.fixture
def annex_app(annex_app_factory: AppFactory) -> Flask:
    """An app with ``annex_plugins`` enabled."""
    return annex_app_factory()


@pytest.fixture
def annex_client(annex_app: Flask) -> Any:
    return annex_app.test_client()


@dataclass
class User:
    """A registered, signed-in user (made by the identity plugin's ``testkit_user`` hook)."""

    id: int
    username: str
    email: str
    password: str
    access_token: str
    refresh_token: str = ""
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def register_user(client: Any, username: str | None = None) -> User:
    """A new account, signed in on ``client`` by the app's identity plugin."""
    username = username or f"user{secrets.token_hex(4)}"
    email = f"{username}@example.com"
    hooks = app_state(client.application).pm.hook
    made = hooks.testkit_user(client=client, username=username, email=email, password=TEST_PASSWORD)
    if made is None:
        raise RuntimeError(
            "no enabled plugin implements testkit_user: list an identity plugin in annex_plugins"
        )
    return User(username=username, email=email, password=TEST_PASSWORD, **made)


@pytest.fixture
def annex_user(annex_client: Any) -> User:
    """A user registered and signed in on ``annex_client`` (needs an identity plugin)."""
    return register_user(annex_client)


# -------------------------------------------------------------------------------------------------
# conformance
# -------------------------------------------------------------------------------------------------


class ConformanceError(AssertionError):
    """A plugin breaks one or more of the rules every plugin keeps."""


def check_plugin(name: str, app_factory: AppFactory, extra: Any = (), identity: str | None = None) -> None:
    """Check plugin ``name`` against the rules every plugin keeps; raises listing every breach.

    - its migrations apply on a fresh database, and again as a no-op;
    - every table it creates starts with its name;
    - every route it declares as authenticated refuses an anonymous request (401) and, for
      unsafe methods, a cookie request without the CSRF header (403);
    - after ``user_deleted`` no row of its tables names the deleted user;
    - ``user_export`` returns JSON-serialisable data.

    ``app_factory`` is the kit's ``annex_app_factory``; the app gets ``identity`` and ``name``.
    ``identity`` is the plugin that signs users in (implements ``testkit_user``); by default the
    one that does so in the factory's app (``annex_plugins``).
    """
    if identity is None:
        identity = _identity_plugin(app_factory())
    problems: list[str] = []
    passed = {item[0] if isinstance(item, tuple) else plugin_name(item) for item in extra}
    plugins = [identity] if name in (identity, *passed) else [identity, name]
    without = [] if name == identity else [identity]
    baseline = set(_tables(app_factory(plugins=without, config={"plugins": {"enabled": without}})))
    app = app_factory(plugins=plugins, config={"plugins": {"enabled": plugins}}, extra=extra)
    state = app_state(app)
    own = [m for m in state.migrations if m.plugin == name]
    if apply(state.db, own):
        problems.append("migrations are applied again on a database that already has them")
    tables = sorted(set(_tables(app)) - baseline)
    problems += [
        f"table {table} does not start with {name}_" for table in tables if not table.startswith(f"{name}_")
    ]
    problems += _check_routes(app, name)
    problems += _check_user_data(app, name, tables)
    if problems:
        raise ConformanceError(f"plugin {name} breaks the plugin rules:\n- " + "\n- ".join(problems))


def _identity_plugin(app: Flask) -> str:
    """The plugin whose ``testkit_user`` answers in ``app`` (pluggy asks the last registered first)."""
    impls = app_state(app).pm.hook.testkit_user.get_hookimpls()
    if impls:
        return impls[-1].plugin_name
    raise ConformanceError(
        "no enabled plugin implements testkit_user: list an identity plugin in annex_plugins"
        " or pass check_plugin(..., identity=...)"
    )


def _tables(app: Flask) -> list[str]:
    with app.app_context():
        engine = app_state(app).db.engine
        return [table for table in inspect(engine).get_table_names() if not table.startswith("annex_")]


def _sample_path(rule: Any) -> str:
    return re.sub(
        r"<(?:int:)?(\w+)>|<[^>]*:(\w+)>", lambda m: "1" if "int:" in m.group(0) else "x", rule.rule
    )


def _check_routes(app: Flask, name: str) -> list[str]:
    problems = []
    state = app_state(app)
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
        hooks = app_state(app).pm.hook
        for section in hooks.user_export(user_id=user.id):
            try:
                json.dumps(section)
            except (TypeError, ValueError) as exc:
                problems.append(f"user_export returns data that is not JSON-serialisable: {exc}")
        hooks.user_deleted(user_id=user.id)
        db = app_state(app).db
        for table in tables:
            columns = {column["name"] for column in inspect(db.executable).get_columns(table)}
            for column in sorted(c for c in columns if c == "user_id" or c.endswith("_user_id")):
                count = db.executable.execute(
                    text(f'SELECT count(*) FROM "{table}" WHERE "{column}" = :id'), {"id": user.id}
                ).scalar()
                if count:
                    problems.append(f"{count} row(s) of {table} still name the deleted user in {column}")
    return problems
