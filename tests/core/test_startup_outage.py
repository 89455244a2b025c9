"""A database that goes away while the app loads is an outage, not a broken plugin.

The first connection succeeds, then the server stops taking connections before a plugin's
start-up query: ``create_app`` raises ``DatabaseUnreachable`` (which gunicorn's config retries),
naming ``database.url``. A database error while the server still answers stays the plugin's own.
"""

from __future__ import annotations

import pytest
from sqlalchemy.exc import ProgrammingError

import core
from core.db import DatabaseUnreachable
from tests.conftest import PG_URL, _admin_statement, _create_pg_database, _drop_pg_database

pytestmark = pytest.mark.skipif(not PG_URL, reason="ANNEX_TEST_DATABASE_URL is not set")


class _ClosesTheDatabase:
    """Start-up: the server stops taking connections to this database and ends them, then a query."""

    def __init__(self, name: str) -> None:
        self.name = name

    @core.hookimpl
    def startup(self, app):
        _admin_statement(f"ALTER DATABASE {self.name} ALLOW_CONNECTIONS false")
        _admin_statement(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{self.name}'"
        )
        core.scalar("SELECT 1")


class _QueriesAMissingTable:
    @core.hookimpl
    def startup(self, app):
        core.scalar("SELECT count(*) FROM no_such_table")


@pytest.fixture
def pg_database():
    name, url = _create_pg_database()
    yield name, url
    _drop_pg_database(name)


def _create(url, plugin, tmp_path):
    config = {"database": {"url": url}, "plugins": {"enabled": []}}
    return core.create_app(config, environ={}, instance_path=tmp_path, plugins=[plugin])


def test_a_server_that_goes_away_during_startup_is_an_outage(pg_database, tmp_path):
    name, url = pg_database
    with pytest.raises(DatabaseUnreachable) as raised:
        _create(url, _ClosesTheDatabase(name), tmp_path)
    message = raised.value.format_message()
    assert f'database.url = "{url}"' in message
    assert "cannot connect" in message and "not currently accepting connections" in message


def test_a_failing_query_while_the_server_answers_is_the_plugins_error(pg_database, tmp_path):
    _, url = pg_database
    with pytest.raises(ProgrammingError, match="no_such_table"):
        _create(url, _QueriesAMissingTable(), tmp_path)
