"""``core.SQL``: prepared statements on the thread's connection, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from core import SQL, get_db, transaction
from core.db import connect
from tests.conftest import PG_URL, _pg_admin, require

CREATE = SQL("CREATE TABLE things (id INTEGER PRIMARY KEY, name VARCHAR(20) UNIQUE NOT NULL, n INTEGER)")
INSERT = SQL("INSERT INTO things (id, name, n) VALUES (:id, :name, :n)")
BY_NAME = SQL("SELECT id, name, n FROM things WHERE name = :name")
ALL = SQL("SELECT name FROM things ORDER BY id")
COUNT = SQL("SELECT count(*) FROM things")


@pytest.fixture
def app(make_app):
    application = make_app()
    with application.app_context():
        CREATE.run()
    return application


def names_seen_elsewhere(database_url: str) -> list[str]:
    """What another connection (another worker) sees committed."""
    other = connect(database_url)
    try:
        return [row["name"] for row in other.query("SELECT name FROM things ORDER BY id")]
    finally:
        other.close()


def test_rows_come_back_as_dicts(app):
    with app.app_context():
        assert INSERT.run(id=1, name="one", n=10) == 1
        INSERT.run(id=2, name="two", n=None)
        assert BY_NAME.one(name="two") == {"id": 2, "name": "two", "n": None}
        assert BY_NAME.one(name="three") is None
        assert ALL.all() == [{"name": "one"}, {"name": "two"}]
        assert COUNT.scalar() == 2
        assert SQL("SELECT n FROM things WHERE id = 3").scalar() is None


def test_parameters_percent_signs_and_colons_mean_the_same_everywhere(app):
    with app.app_context():
        row = SQL("SELECT 7 % 4 AS rest, CAST(:n AS INTEGER) AS n, 'a:b %s' AS text").one(n=5)
    assert row == {"rest": 3, "n": 5, "text": "a:b %s"}


def test_a_write_outside_a_transaction_is_committed_at_once(app, database_url):
    with app.app_context():
        INSERT.run(id=1, name="kept", n=1)
        assert names_seen_elsewhere(database_url) == ["kept"]


def test_writes_join_the_transaction_around_them(app, database_url):
    with app.app_context():
        with pytest.raises(RuntimeError), transaction():
            INSERT.run(id=1, name="lost", n=1)
            get_db()["things"].insert({"id": 2, "name": "lost too", "n": 2})
            assert COUNT.scalar() == 2  # visible inside the transaction
            raise RuntimeError("abort")
        with transaction():
            INSERT.run(id=3, name="kept", n=3)
            get_db()["things"].insert({"id": 4, "name": "kept too", "n": 4})
        assert names_seen_elsewhere(database_url) == ["kept", "kept too"]


def test_driver_errors_are_sqlalchemy_errors_and_leave_the_connection_usable(app, database_url):
    with app.app_context():
        INSERT.run(id=1, name="one", n=1)
        with pytest.raises(IntegrityError):
            INSERT.run(id=2, name="one", n=2)
        INSERT.run(id=3, name="three", n=3)
        assert names_seen_elsewhere(database_url) == ["one", "three"]


def test_a_request_that_only_read_leaves_no_transaction_open(app, client):
    """A read through SQL on PostgreSQL opens a transaction in the driver; the request's end
    closes it (an "idle in transaction" connection would hold locks and old row versions)."""
    assert client.get("/api/health").status_code == 200
    raw = get_db().executable.connection.dbapi_connection
    if get_db().is_sqlite:
        assert not raw.in_transaction
    else:
        import psycopg2.extensions

        assert raw.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE


def test_a_connection_the_server_dropped_is_a_503_then_replaced(new_pg_database, make_app):
    require(bool(PG_URL), "ANNEX_TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    app = make_app({"database": {"url": new_pg_database()}})
    client = app.test_client()
    assert client.get("/api/health").status_code == 200
    with app.app_context():
        name = get_db().engine.url.database
    admin = _pg_admin()
    try:
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
    finally:
        admin.close()
    response = client.get("/api/health")
    assert response.status_code == 503
    assert response.json == {"status": "unavailable", "checks": {"database": "unavailable"}}
    assert client.get("/api/health").status_code == 200


def terminate_backend(pid: int) -> None:
    admin = _pg_admin()
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", (pid,))
    finally:
        admin.close()


def test_a_dropped_connection_raises_operational_error(new_pg_database, make_app):
    require(bool(PG_URL), "ANNEX_TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    app = make_app({"database": {"url": new_pg_database()}})
    with app.app_context():
        assert SQL("SELECT 1").scalar() == 1
        terminate_backend(SQL("SELECT pg_backend_pid()").scalar())
        with pytest.raises(OperationalError) as caught:
            SQL("SELECT 1").scalar()
        assert caught.value.connection_invalidated


def test_a_write_after_the_server_dropped_the_connection_starts_on_a_fresh_one(new_pg_database, make_app):
    """A read left the driver in a transaction; the server then went away (a restart). The next
    write finds out when it ends that transaction, before doing anything: it is not lost."""
    require(bool(PG_URL), "ANNEX_TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    database_url = new_pg_database()
    app = make_app({"database": {"url": database_url}})
    with app.app_context():
        CREATE.run()
        terminate_backend(SQL("SELECT pg_backend_pid()").scalar())
        INSERT.run(id=1, name="after", n=1)
        assert names_seen_elsewhere(database_url) == ["after"]
