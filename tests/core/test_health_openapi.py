"""The core's own endpoints: GET /api/health and GET /api/openapi.json (api.md, Core endpoints)."""

from __future__ import annotations

import threading

import pytest
from openapi_spec_validator import validate
from sqlalchemy.engine import make_url

from tests.conftest import _pg_admin
from tests.testplugins import hello

# health ------------------------------------------------------------------------------------


def test_health_is_ok_with_a_working_database(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {"status": "ok", "checks": {"database": "ok"}}


def test_health_needs_no_credentials_and_sets_no_cookie(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def _break_database(app, database_url: str, tmp_path) -> None:
    """Make every new connection of ``app`` fail, as when the database server is gone."""
    engine = app.extensions["annex"].db.engine
    engine.dispose()
    if database_url.startswith("sqlite"):
        folder = tmp_path / "dbdir"
        folder.rename(tmp_path / "dbdir-gone")
        return
    name = make_url(database_url).database
    conn = _pg_admin()
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    conn.close()


def _app_on_breakable_database(make_app, database_url: str, tmp_path):
    if database_url.startswith("sqlite"):
        folder = tmp_path / "dbdir"
        folder.mkdir()
        database_url = f"sqlite:///{folder / 'annex.db'}"
    return make_app({"database": {"url": database_url}}, plugins=[hello]), database_url


def _in_new_thread(function):
    """Run ``function`` on a thread of its own: a server thread that needs a new connection
    (each thread keeps its connection; an open SQLite file survives its directory's removal)."""
    result = []
    thread = threading.Thread(target=lambda: result.append(function()))
    thread.start()
    thread.join()
    return result[0]


def test_health_is_503_naming_the_database_when_it_does_not_answer(make_app, database_url, tmp_path):
    app, url = _app_on_breakable_database(make_app, database_url, tmp_path)
    client = app.test_client()
    assert client.get("/api/health").status_code == 200
    _break_database(app, url, tmp_path)
    response = _in_new_thread(lambda: client.get("/api/health"))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"  # load balancers and clients know when to ask again
    body = response.get_json()
    assert body["checks"]["database"] != "ok"
    assert body["status"] != "ok"


def test_health_failure_does_not_leak_driver_messages(make_app, database_url, tmp_path):
    app, url = _app_on_breakable_database(make_app, database_url, tmp_path)
    _break_database(app, url, tmp_path)
    text = _in_new_thread(lambda: app.test_client().get("/api/health")).get_data(as_text=True)
    assert "sqlite3" not in text.lower()
    assert "psycopg2" not in text.lower()
    assert "dbdir" not in text


# OpenAPI -----------------------------------------------------------------------------------


@pytest.fixture
def document(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def resolve(document: dict, schema: dict) -> dict:
    """Follow a local ``$ref`` to the schema it names."""
    while "$ref" in schema:
        node = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def test_openapi_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_openapi_lists_core_and_plugin_routes(document):
    paths = document["paths"]
    assert {"/api/health", "/api/openapi.json", "/api/hello", "/api/hello/notes"} <= set(paths)
    assert "post" in paths["/api/hello/notes"]
    assert "get" not in paths["/api/hello/notes"]


def test_openapi_path_parameters_use_openapi_syntax(document):
    paths = document["paths"]
    assert "/api/hello/notes/{note_id}" in paths
    assert not [path for path in paths if "<" in path]
    parameters = paths["/api/hello/notes/{note_id}"]["get"]["parameters"]
    (note_id,) = [p for p in parameters if p["name"] == "note_id"]
    assert note_id["in"] == "path"
    assert note_id["required"] is True
    assert note_id["schema"] == {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}


def test_openapi_request_body_is_the_validating_model(document):
    body = document["paths"]["/api/hello/notes"]["post"]["requestBody"]
    assert body["required"] is True
    schema = resolve(document, body["content"]["application/json"]["schema"])
    assert set(schema["required"]) == {"title", "stars"}
    assert set(schema["properties"]) == {"title", "stars", "tags"}
    assert schema["additionalProperties"] is False
    assert schema["properties"]["title"]["maxLength"] == 20
    assert schema["properties"]["stars"]["maximum"] == 5


def test_openapi_states_security_on_authenticated_routes_only(document):
    paths = document["paths"]
    schemes = document["components"]["securitySchemes"]
    for path, method in [
        ("/api/hello/notes", "post"),
        ("/api/hello/notes/{note_id}", "get"),
        ("/api/hello/admin", "get"),
    ]:
        security = paths[path][method].get("security")
        assert security, f"{method} {path} declares no security"
        assert all(name in schemes for requirement in security for name in requirement)
    for path in ("/api/hello", "/api/health"):
        assert not paths[path]["get"].get("security"), path


def test_openapi_documents_query_parameters(document):
    parameters = {p["name"]: p for p in document["paths"]["/api/hello/search"]["get"]["parameters"]}
    assert parameters["q"]["in"] == "query"
    assert parameters["q"]["required"] is True
    assert parameters["limit"]["required"] is False


def test_openapi_documents_the_error_responses_of_a_body_route(document):
    responses = document["paths"]["/api/hello/notes"]["post"]["responses"]
    assert {"201", "422"} <= set(responses)


def test_openapi_leaves_out_routes_of_plugins_not_enabled(make_app):
    document = make_app().test_client().get("/api/openapi.json").get_json()
    validate(document)
    assert not [path for path in document["paths"] if path.startswith("/api/hello")]
    assert "/api/health" in document["paths"]


def test_an_unreachable_database_is_503_unavailable_not_500(make_app, tmp_path):
    """A route that needs the database while it is gone: a JSON 503 the client may retry."""
    import shutil

    folder = tmp_path / "dbdir"
    folder.mkdir()
    from tests.testplugins import hello

    app = make_app({"database": {"url": f"sqlite:///{folder}/annex.db"}}, plugins=[hello])
    app.extensions["annex"].db.engine.dispose()
    shutil.rmtree(folder)
    response = _in_new_thread(
        lambda: app.test_client().get("/api/hello/notes/1", headers={"X-Test-User": "1:alice"})
    )
    assert response.status_code == 503
    assert response.json["error"]["code"] == "unavailable"
    assert response.headers["Retry-After"]
