"""The plugin authors' test kit: fixtures and the conformance check, on built-in and test plugins."""

from __future__ import annotations

import pytest

from core import Migration, hookimpl
from core.testing import ConformanceError, check_plugin
from tests.conftest import BUILTINS


@pytest.fixture
def annex_plugins():
    return ["auth", "profile", "content"]


def test_kit_fixtures_give_an_app_a_client_and_a_logged_in_user(annex_client, annex_user):
    response = annex_client.get("/api/user/profile", headers=annex_user.headers)
    assert response.status_code == 200
    assert response.get_json()["username"] == annex_user.username


@pytest.mark.parametrize("name", BUILTINS)
def test_built_in_plugins_pass_the_conformance_check(annex_app_factory, name):
    check_plugin(name, annex_app_factory)


class Sloppy:
    """Breaks every rule: badly named table, keeps data after deletion, unprotected unsafe routes
    (one without ``endpoint`` at all)."""

    name = "sloppy"

    @hookimpl
    def register_routes(self, app):
        from flask import Blueprint

        from core import endpoint

        bp = Blueprint("sloppy", __name__, url_prefix="/api/sloppy")

        @bp.post("/notes")
        @endpoint(status=201)
        def add():
            return {"added": True}, 201

        @bp.delete("/notes/<int:note>")
        def remove(note):
            return "", 204

        return bp

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
    assert (
        "POST /api/sloppy/notes accepts an anonymous write (201) and is not declared authenticated" in message
    )
    assert "DELETE /api/sloppy/notes/<int:note> accepts an anonymous write (204)" in message


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


class Notes:
    """Stores a row per note through an authenticated route; ``tidy`` decides whether its
    ``user_deleted`` removes them. Nothing is stored unless a route is called."""

    def __init__(self, name, tidy):
        self.name = name
        self.tidy = tidy
        self.deleted_rows = []

    @hookimpl
    def register_migrations(self):
        def up(db):
            db.query(f"CREATE TABLE {self.name}_notes (id INTEGER PRIMARY KEY, user_id INTEGER, text TEXT)")

        return [Migration(self.name, "0001", up)]

    @hookimpl
    def register_routes(self, app):
        from flask import Blueprint

        from core import Body, current_identity, endpoint, get_db, transaction

        class Note(Body):
            text: str

        bp = Blueprint(self.name, __name__, url_prefix=f"/api/{self.name}")

        @bp.post("/notes")
        @endpoint(body=Note, auth=True, status=201)
        def add(body):
            with transaction():
                get_db().query(
                    f"INSERT INTO {self.name}_notes (user_id, text) VALUES (:u, :t)",
                    u=current_identity().id,
                    t=body.text,
                )
            return {"text": body.text}, 201

        return bp

    @hookimpl
    def user_deleted(self, user_id):
        from core import get_db, transaction

        if self.tidy:
            with transaction():
                db = get_db()
                self.deleted_rows.append(
                    db.query(
                        f"SELECT count(*) AS n FROM {self.name}_notes WHERE user_id = :u", u=user_id
                    ).next()["n"]
                )
                db.query(f"DELETE FROM {self.name}_notes WHERE user_id = :u", u=user_id)


def test_the_check_stores_rows_through_the_write_routes_before_deleting_the_user(annex_app_factory):
    """Rows a plugin keeps only when its routes are used: deleting the user must remove them."""
    with pytest.raises(ConformanceError) as excinfo:
        check_plugin("keeper", annex_app_factory, extra=[Notes("keeper", tidy=False)])
    assert "1 row(s) of keeper_notes still name the deleted user in user_id" in str(excinfo.value)
    tidy = Notes("tidy", tidy=True)
    check_plugin("tidy", annex_app_factory, extra=[tidy])
    assert tidy.deleted_rows == [1]  # the check's own user had a note when it was deleted


class Unreachable:
    """A user column, a write route the check cannot fill (a pattern), and no user_deleted."""

    name = "unreachable"

    @hookimpl
    def register_migrations(self):
        def up(db):
            db.query("CREATE TABLE unreachable_marks (id INTEGER PRIMARY KEY, user_id INTEGER)")

        return [Migration("unreachable", "0001", up)]

    @hookimpl
    def register_routes(self, app):
        from flask import Blueprint
        from pydantic import Field

        from core import Body, endpoint

        class Mark(Body):
            code: str = Field(pattern=r"^[0-9]{6}$")

        bp = Blueprint("unreachable", __name__, url_prefix="/api/unreachable")

        @bp.post("/marks")
        @endpoint(body=Mark, auth=True, status=201)
        def mark(body):
            return {}, 201

        return bp


def test_a_plugin_with_a_user_column_and_no_user_deleted_is_named(annex_app_factory):
    with pytest.raises(ConformanceError) as excinfo:
        check_plugin("unreachable", annex_app_factory, extra=[Unreachable()])
    assert "unreachable_marks.user_id name users but the plugin implements no user_deleted" in str(
        excinfo.value
    )


class OpenDoor:
    """A write route that acts for anonymous callers, declared so or not."""

    name = "opendoor"

    def __init__(self, public: bool):
        self.public = public

    @hookimpl
    def register_routes(self, app):
        from flask import Blueprint

        from core import endpoint

        bp = Blueprint("opendoor", __name__, url_prefix="/api/opendoor")

        @bp.post("/challenge")
        @endpoint(public=self.public, body_optional=True)
        def challenge():
            """Hand anyone a challenge."""
            return {"challenge": "abc"}

        return [bp]


@pytest.mark.parametrize("public", [True, False])
def test_an_anonymous_write_passes_only_when_declared_public(annex_app_factory, public):
    if public:
        check_plugin("opendoor", annex_app_factory, extra=[OpenDoor(public)])
    else:
        with pytest.raises(ConformanceError, match="POST /api/opendoor/challenge accepts an anonymous write"):
            check_plugin("opendoor", annex_app_factory, extra=[OpenDoor(public)])
