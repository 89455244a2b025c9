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

#: Methods of the routes that change state: probed for authentication and CSRF.
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
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
    - every other write route (POST, PUT, PATCH, DELETE; with ``endpoint`` or without) accepts
      no anonymous empty request (no 2xx), and a signed-in browser's cookies without the CSRF
      header get it no further than an anonymous request (403 if that one was a 401);
    - its write routes, driven as a signed-in test user, store what they store; after
      ``user_deleted`` no row of its tables names that user, and a plugin whose tables have a
      user column implements ``user_deleted``;
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
    client = app.test_client(use_cookies=True)
    register_user(client)  # cookies of a logged-in browser, CSRF header deliberately never sent
    anonymous = app.test_client()
    for rule, spec in _routes_of(app, name):
        declared = spec is not None and spec.auth
        path = _sample_path(rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            write = method in WRITE_METHODS
            if not (declared or write):
                continue
            status = anonymous.open(path, method=method, json={}).status_code
            if declared and status != 401:
                problems.append(f"{method} {rule.rule} answers {status} to an anonymous request, not 401")
            elif not declared and 200 <= status < 300 and not (spec is not None and spec.public):
                problems.append(
                    f"{method} {rule.rule} accepts an anonymous write ({status}) and is not declared"
                    " authenticated: use endpoint(auth=True), or refuse what it cannot act on"
                )
            if not write:
                continue
            answer = client.open(path, method=method, json={}, base_url="https://localhost").status_code
            if (declared or status == 401) and answer != 403:
                problems.append(
                    f"{method} {rule.rule} answers {answer} to a cookie request without CSRF, not 403"
                )
            elif not (declared or status == 401) and answer not in (403, status):
                problems.append(
                    f"{method} {rule.rule} answers {answer} to a cookie request without CSRF and"
                    f" {status} to an anonymous one: the cookies act without the CSRF header"
                )
    return problems


def _routes_of(app: Flask, name: str) -> list[tuple[Any, Any]]:
    """``(rule, endpoint spec or None)`` of every route of plugin ``name``."""
    owners = app_state(app).plugin_of_blueprint
    return [
        (rule, getattr(app.view_functions[rule.endpoint], SPEC_ATTRIBUTE, None))
        for rule in app.url_map.iter_rules()
        if owners.get(rule.endpoint.split(".")[0]) == name
    ]


def _check_user_data(app: Flask, name: str, tables: list[str]) -> list[str]:
    problems = []
    client = app.test_client()
    user = register_user(client)
    _store_as(app, name, client, user)  # so that deleting the user has something to delete
    db = app_state(app).db
    with app.test_request_context():
        hooks = app_state(app).pm.hook
        for section in hooks.user_export(user_id=user.id):
            try:
                json.dumps(section)
            except (TypeError, ValueError) as exc:
                problems.append(f"user_export returns data that is not JSON-serialisable: {exc}")
        columns = _user_columns(db, tables)
        stored = sum(_rows_naming(db, table, column, user.id) for table, column in columns)
        try:
            hooks.user_deleted(user_id=user.id)
        except Exception as exc:
            problems.append(f"user_deleted raised {type(exc).__name__}: {exc}")
        for table, column in columns:
            count = _rows_naming(db, table, column, user.id)
            if count:
                problems.append(f"{count} row(s) of {table} still name the deleted user in {column}")
        implements = any(impl.plugin_name == name for impl in hooks.user_deleted.get_hookimpls())
        if columns and not stored and not implements:
            named = ", ".join(sorted({f"{table}.{column}" for table, column in columns}))
            problems.append(
                f"{named} name users but the plugin implements no user_deleted (its write routes"
                " stored no row for the test user, so the check could not see them emptied)"
            )
    return problems


def _store_as(app: Flask, name: str, client: Any, user: User) -> None:
    """Call each POST, PUT and PATCH route of plugin ``name`` as ``user`` with a body built from
    its declared model (every field set), or ``{}``; whatever the answers, the rows stay."""
    for rule, spec in sorted(_routes_of(app, name), key=lambda pair: pair[0].rule):
        for method in sorted((rule.methods or set()) & {"POST", "PUT", "PATCH"}):
            with app.test_request_context():
                body = _sample_body(spec)
            client.open(_sample_path(rule), method=method, json=body, headers=user.headers)


def _sample_body(spec: Any) -> Any:
    """A body that the route's declared model should accept (``{}`` without one)."""
    model = None if spec is None else spec.body
    if model is not None and not isinstance(model, type):
        model = model()  # built from configuration, in the request context
    if model is None or not hasattr(model, "model_json_schema"):
        return {}
    schema = model.model_json_schema()
    return _sample(schema, schema.get("$defs", {}), "")


def _sample(schema: Mapping[str, Any], defs: Mapping[str, Any], name: str) -> Any:
    """A value of JSON schema ``schema`` (``name``: the property it is for, for URLs and emails)."""
    if "$ref" in schema:
        return _sample(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, name)
    for key in ("anyOf", "oneOf", "allOf"):
        options = [option for option in schema.get(key, []) if option.get("type") != "null"]
        if options:
            return _sample(options[0], defs, name)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {key: _sample(value, defs, key) for key, value in properties.items()}
    if kind == "array":
        return [_sample(schema.get("items", {}), defs, name) for _ in range(schema.get("minItems", 0))]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
        return int(low) if kind == "integer" else float(low)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _sample_text(schema, name)


def _sample_text(schema: Mapping[str, Any], name: str) -> str:
    kind = schema.get("format", "")
    if kind == "email" or name.endswith("email"):
        text = "kit@example.com"
    elif kind in ("uri", "url") or name.endswith("url"):
        text = "https://example.com/kit"
    elif kind == "date-time":
        text = "2026-01-01T00:00:00Z"
    elif kind == "date":
        text = "2026-01-01"
    else:
        text = "kit-sample"
    text = text.ljust(schema.get("minLength", 0), "x")
    return text[: schema["maxLength"]] if "maxLength" in schema else text


def _user_columns(db: Any, tables: list[str]) -> list[tuple[str, str]]:
    """``(table, column)`` of every column of ``tables`` that names a user."""
    found = []
    for table in tables:
        columns = {column["name"] for column in inspect(db.executable).get_columns(table)}
        found += [(table, c) for c in sorted(columns) if c == "user_id" or c.endswith("_user_id")]
    return found


def _rows_naming(db: Any, table: str, column: str, user_id: int) -> int:
    statement = text(f'SELECT count(*) FROM "{table}" WHERE "{column}" = :id')
    return int(db.executable.execute(statement, {"id": user_id}).scalar() or 0)
