"""Identity through the identify_request hook: who is asking, and what they may do."""

from __future__ import annotations

from flask import Blueprint

from core import ApiError, Identity, current_identity, endpoint, hookimpl
from tests.testplugins import hello

ALICE = {"X-Test-User": "1:alice:member"}
ADMIN = {"X-Test-User": "2:root:member,admin"}


def test_anonymous_request_to_an_authenticated_route_is_401_with_a_bearer_challenge(client):
    response = client.post("/api/hello/notes", json={"title": "x", "stars": 1})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_identified_request_reaches_the_view(client):
    response = client.get("/api/hello", headers=ALICE)
    assert response.json == {"message": "hello, alice"}


def test_missing_role_is_403_forbidden(client):
    response = client.get("/api/hello/admin", headers=ALICE)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert client.get("/api/hello/admin", headers=ADMIN).json == {"ok": True}


def test_users_only_see_their_own_rows(client):
    created = client.post("/api/hello/notes", json={"title": "mine", "stars": 3}, headers=ALICE)
    assert created.status_code == 201
    note = created.json["id"]
    assert client.get(f"/api/hello/notes/{note}", headers=ALICE).json["title"] == "mine"
    assert client.get(f"/api/hello/notes/{note}", headers={"X-Test-User": "9:mallory"}).status_code == 404


class ExpiringProvider:
    """Claims requests with ``Authorization: Bearer expired`` and refuses them."""

    name = "expiring"

    @hookimpl
    def identify_request(self, request):
        if request.headers.get("Authorization") == "Bearer expired":
            raise ApiError(401, "token_expired", "token has expired")
        if request.headers.get("Authorization") == "Bearer bob":
            return Identity(id=3, username="bob")
        return None


def test_a_provider_may_refuse_credentials_with_an_api_error(make_app):
    client = make_app(plugins=[hello, ExpiringProvider()]).test_client()
    response = client.get("/api/hello", headers={"Authorization": "Bearer expired"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "token_expired"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_first_provider_with_an_answer_wins_and_none_passes_on(make_app):
    client = make_app(plugins=[hello, ExpiringProvider()]).test_client()
    assert client.get("/api/hello", headers={"Authorization": "Bearer bob"}).json == {"message": "hello, bob"}
    assert client.get("/api/hello", headers=ALICE).json == {"message": "hello, alice"}


class Decorated:
    """Views that need a login or roles, declared the one way: ``endpoint(auth=, roles=)``."""

    name = "decorated"

    @hookimpl
    def register_routes(self, app):
        bp = Blueprint("decorated", __name__, url_prefix="/api/decorated")

        @bp.get("/member")
        @endpoint(auth=True)
        def member():
            return {"id": current_identity().id}

        @bp.get("/staff")
        @endpoint(roles=["staff"])
        def staff():
            return {"staff": True}

        return bp


def test_endpoint_requires_a_login_and_roles(make_app):
    client = make_app(plugins=[hello, Decorated()]).test_client()
    assert client.get("/api/decorated/member").status_code == 401
    assert client.get("/api/decorated/member", headers=ALICE).json == {"id": 1}
    assert client.get("/api/decorated/staff", headers=ALICE).status_code == 403
    assert client.get("/api/decorated/staff").status_code == 401
    assert client.get("/api/decorated/staff", headers={"X-Test-User": "4:sam:staff"}).json == {"staff": True}


def test_a_login_route_lets_cors_preflight_through(make_app):
    """A browser's preflight carries no credentials: it must not meet the 401."""
    client = make_app(plugins=[hello, Decorated()]).test_client()
    response = client.options(
        "/api/decorated/member",
        headers={"Origin": "http://localhost:8080", "Access-Control-Request-Method": "GET"},
    )
    assert response.status_code == 200
    assert "GET" in response.headers["Allow"]


def test_identity_is_resolved_once_per_request(make_app):
    class Counting:
        name = "counting"
        calls = 0

        @hookimpl
        def identify_request(self, request):
            Counting.calls += 1
            return None

    counting = Counting()
    client = make_app(plugins=[hello, counting]).test_client()
    client.get("/api/hello")
    assert Counting.calls == 1


def test_an_identity_does_not_outlive_its_request_in_a_long_lived_app_context(app, client):
    # A CLI command or a test can hold one app context (one ``g``) across several requests.
    with app.app_context():
        assert client.get("/api/hello", headers=ALICE).json == {"message": "hello, alice"}
        anonymous = client.post("/api/hello/notes", json={"title": "x", "stars": 1})
        assert anonymous.status_code == 401
        assert client.get("/api/hello", headers={"X-Test-User": "9:mallory"}).json == {
            "message": "hello, mallory"
        }
