"""The plugin authors' test kit: fixtures and the conformance check, on built-in and test plugins."""

from __future__ import annotations

import pytest

from core import Migration, hookimpl
from core.testing import ConformanceError, check_plugin


@pytest.fixture
def annex_plugins():
    return ["auth", "profile", "content"]


def test_kit_fixtures_give_an_app_a_client_and_a_logged_in_user(annex_client, annex_user):
    response = annex_client.get("/api/user/profile", headers=annex_user.headers)
    assert response.status_code == 200
    assert response.get_json()["username"] == annex_user.username


@pytest.mark.parametrize("name", ["auth", "profile", "content"])
def test_built_in_plugins_pass_the_conformance_check(annex_app_factory, name):
    check_plugin(name, annex_app_factory)


class Sloppy:
    """Breaks every rule: badly named table, keeps data after deletion, unprotected unsafe route."""

    name = "sloppy"

    @hookimpl
    def register_migrations(self):
        def up(db):
            db.query("CREATE TABLE notes_of_sloppy (id INTEGER PRIMARY KEY, user_id INTEGER)")

        return [Migration("sloppy", "0001", up)]

    @hookimpl
    def user_created(self, user):
        from core import get_db, transaction

        with transaction():
            get_db().query("INSERT INTO notes_of_sloppy (user_id) VALUES (:u)", u=user["id"])

    @hookimpl
    def user_export(self, user_id):
        return {"sloppy": {"when": object()}}


def test_conformance_check_lists_every_breach(annex_app_factory):
    with pytest.raises(ConformanceError) as excinfo:
        check_plugin("sloppy", annex_app_factory, extra=[Sloppy()])
    message = str(excinfo.value)
    assert "table notes_of_sloppy does not start with sloppy_" in message
    assert "still name the deleted user" in message
    assert "not JSON-serialisable" in message


class Unprotected:
    """An authenticated unsafe route that forgets nothing: the check must find no fault."""

    name = "guarded"

    @hookimpl
    def register_routes(self, app):
        from flask import Blueprint

        from core import endpoint

        bp = Blueprint("guarded", __name__, url_prefix="/api/guarded")

        @bp.post("/<int:item>")
        @endpoint(auth=True)
        def touch(item):
            return {"item": item}

        return bp


def test_authenticated_routes_are_checked_for_401_and_csrf(annex_app_factory):
    check_plugin("guarded", annex_app_factory, extra=[Unprotected()])
