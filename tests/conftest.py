"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL when configured) and apps.

When ``ANNEX_TEST_DATABASE_URL`` names a PostgreSQL server, every test that uses ``database_url``
runs twice: on a SQLite file and on a PostgreSQL database created for it and dropped after.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from sqlalchemy.engine import make_url

from core.testing import TestApps
from core.testing import merge as deep_merge

PG_URL = os.environ.get("ANNEX_TEST_DATABASE_URL", "")
REQUIRE_ALL = os.environ.get("ANNEX_TEST_REQUIRE_ALL") == "1"
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])
#: Every built-in plugin, for the tests that check the whole document or every plugin at once.
BUILTINS = sorted(path.parent.name for path in (Path(__file__).parents[1] / "plugins").glob("*/__init__.py"))


def require(available: bool, reason: str) -> None:
    """Skip when something the test needs is missing; in CI (ANNEX_TEST_REQUIRE_ALL=1) fail."""
    if available:
        return
    if REQUIRE_ALL:
        pytest.fail(f"ANNEX_TEST_REQUIRE_ALL=1 but {reason}")
    pytest.skip(reason)


def _pg_admin() -> Any:
    url = make_url(PG_URL)
    conn = psycopg2.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        dbname=url.database or "postgres",
    )
    conn.autocommit = True
    return conn


def _admin_statement(statement: str) -> None:
    conn = _pg_admin()
    try:
        with conn.cursor() as cur:
            cur.execute(statement)
    finally:
        conn.close()


def _create_pg_database() -> tuple[str, str]:
    """An empty PostgreSQL database: its name and URL."""
    name = f"annex_t_{uuid.uuid4().hex[:12]}"
    _admin_statement(f"CREATE DATABASE {name}")
    return name, make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(name: str) -> None:
    _admin_statement(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def new_pg_database() -> Iterator[Any]:
    """A function creating empty PostgreSQL databases, all dropped when the test ends."""
    created: list[str] = []

    def create() -> str:
        name, url = _create_pg_database()
        created.append(name)
        return url

    yield create
    for name in created:
        _drop_pg_database(name)


@contextlib.contextmanager
def scratch_database(kind: str, workdir: Any) -> Iterator[str]:
    """A URL to an empty database of ``kind`` ("sqlite": a file in ``workdir``, "postgresql": a
    database created for it), dropped afterwards: for module-scoped servers, which cannot use
    the function-scoped ``database_url``."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'annex.db'}"
        return
    name, url = _create_pg_database()
    try:
        yield url
    finally:
        _drop_pg_database(name)


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A URL to an empty database: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'annex.db'}"
    return request.getfixturevalue("new_pg_database")()


@pytest.fixture
def make_app(database_url: str, tmp_path: Any) -> Iterator[Any]:
    """Build apps on the test's database: ``make_app(config_overrides, plugins=[...])``.

    The test kit's ``TestApps`` builds and closes them, as it does for plugin authors' tests."""
    apps = TestApps()

    def build(overrides: Mapping[str, Any] | None = None, plugins: Any = (), **kwargs: Any) -> Any:
        config = deep_merge(
            {"database": {"url": database_url}, "site": {"static_dir": ""}},
            overrides or {},
        )
        kwargs.setdefault("instance_path", tmp_path / "instance")
        return apps.build(config, plugins, **kwargs)

    yield build
    apps.close()


@pytest.fixture
def app(make_app: Any) -> Any:
    """pytest-flask's app: the core with the ``hello`` test plugin."""
    from tests.testplugins import hello

    return make_app(plugins=[hello])
