"""Named limits are exact across workers without Redis; storage outages follow on_storage_error."""

from __future__ import annotations

import pytest
from flask import Blueprint

from core import RateLimit, endpoint, hookimpl
from tests.testplugins import hello

ALICE = {"X-Test-User": "1:alice"}
NOTE = {"title": "n", "stars": 1}
#: Nothing listens here: every Redis operation fails at once.
DEAD_REDIS = "redis://127.0.0.1:1"


def test_named_limits_are_counted_in_the_database_across_instances(make_app):
    """Two apps on one database stand for two gunicorn workers with memory:// storage."""
    config = {"plugins": {"hello": {"per_minute": "3/minute"}}}
    first = make_app(config, plugins=[hello]).test_client()
    second = make_app(config, plugins=[hello]).test_client()
    statuses = [
        client.post("/api/hello/notes", json=NOTE, headers=ALICE).status_code
        for client in (first, second, first, second)
    ]
    assert statuses == [201, 201, 201, 429]


def test_counters_survive_a_restart(make_app):
    config = {"plugins": {"hello": {"per_minute": "1/minute"}}}
    assert (
        make_app(config, plugins=[hello])
        .test_client()
        .post("/api/hello/notes", json=NOTE, headers=ALICE)
        .status_code
        == 201
    )
    restarted = make_app(config, plugins=[hello]).test_client()
    response = restarted.post("/api/hello/notes", json=NOTE, headers=ALICE)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1


class Guarded:
    """A login-like route whose limit fails closed, beside hello's ordinary routes."""

    name = "guarded"

    @hookimpl
    def register_routes(self, app):
        bp = Blueprint("guarded", __name__)

        @bp.post("/api/guarded/login")
        @endpoint(rate_limits=[RateLimit("guarded_login", "5/minute", fail_closed=True)])
        def login():
            return {"ok": True}

        return bp


@pytest.mark.parametrize(
    ("policy", "general", "login"),
    [("default", 200, 503), ("allow", 200, 200), ("deny", 503, 503)],
)
def test_storage_outage_follows_on_storage_error(make_app, policy, general, login):
    config = {"rate_limits": {"storage": DEAD_REDIS, "on_storage_error": policy}}
    client = make_app(config, plugins=[hello, Guarded()]).test_client()
    assert client.get("/api/hello").status_code == general
    response = client.post("/api/guarded/login", json={})
    assert response.status_code == login
    if login == 503:
        assert response.json["error"]["code"] == "unavailable"
        assert response.headers["Retry-After"]
