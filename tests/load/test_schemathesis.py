"""Schemathesis against a live gunicorn: every operation of /api/openapi.json, fuzzed with valid and
invalid input, must pass every built-in check (``--checks all``): no 5xx, only the declared status
codes, content types, schemas and headers, valid input accepted and invalid input refused,
credentials enforced. The refusals of valid input that JSON Schema cannot express are listed in
BEYOND_JSON_SCHEMA, each with the rule of docs/api.md behind it.

Every request carries a Bearer token of a registered user, so authenticated operations are
reached. Some operations end that session (logout, or deleting the current session): on a 401 from
an authenticated operation the test logs in again and replays the request once. Each operation
collects all its distinct findings and fails once, listing them (tests/load/conftest.py).
Traffic goes to 127.0.0.1 only; examples per operation are bounded.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import CHECKS as REGISTERED_CHECKS
from schemathesis.checks import load_all_checks
from schemathesis.core.failures import AcceptedNegativeData, FailureGroup
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario
from schemathesis.openapi.checks import RejectedPositiveData

from core import create_app
from tests.conftest import BUILTINS
from tests.load.harness import PASSWORD, production_server
from tests.load.workload import exchange

pytestmark = pytest.mark.load

#: Examples generated per operation (valid and invalid input together).
MAX_EXAMPLES = 50
USER = "fuzzer"
load_all_checks()
#: Every built-in check, as ``schemathesis run --checks all``.
CHECKS = REGISTERED_CHECKS.get_all()
#: Where the module's server listens, for Token.
LIVE: dict[str, Any] = {}


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    workdir: Path = tmp_path_factory.mktemp("schemathesis")
    plugins = {"enabled": BUILTINS}  # the document's plugins, as served_document() builds it
    with production_server(workdir, f"sqlite:///{workdir / 'annex.db'}", plugins=plugins) as server:
        body = {"username": USER, "email": f"{USER}@example.com", "password": PASSWORD}
        status, _, raw = exchange(server.port, "POST", "/api/auth/register", body)
        assert status == 201, raw
        LIVE["port"] = server.port
        yield server
    LIVE.clear()
    Token.value = None


def served_document() -> dict[str, Any]:
    """The OpenAPI document the production server serves, built in-process for test collection.

    (schemathesis' lazy ``from_fixture`` loader does not work with pytest 9; the test below
    checks that the live server serves exactly this document.)
    """
    folder = tempfile.mkdtemp(prefix="annex-openapi-")
    config = {
        "site": {"environment": "production", "static_dir": ""},
        "security": {"secret_key": "d" * 40},
        "database": {"url": f"sqlite:///{folder}/annex.db"},
        "rate_limits": {"enabled": False},
        "plugins": {"enabled": BUILTINS, "auth": {"bcrypt_rounds": 4}},
    }
    app = create_app(config, environ={}, instance_path=folder)
    try:
        return app.test_client().get("/api/openapi.json").get_json()
    finally:
        app.extensions["annex"].db.close()
        shutil.rmtree(folder, ignore_errors=True)


DOCUMENT = served_document()
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_live_server_serves_the_fuzzed_document(live_api: Any) -> None:
    status, body, _ = live_api.request("GET", "/api/openapi.json")
    assert (status, body) == (200, DOCUMENT)


class Token:
    """The registered user's access token, renewed by logging in again when the session ends."""

    value: str | None = None

    @classmethod
    def current(cls) -> str:
        if cls.value is None:
            cls.renew()
        assert cls.value is not None
        return cls.value

    @classmethod
    def renew(cls) -> None:
        body = {"username": USER, "password": PASSWORD}
        status, _, raw = exchange(LIVE["port"], "POST", "/api/auth/login", body)
        assert status == 200, raw
        cls.value = json.loads(raw)["access_token"]


#: Refusals of schema-valid input that docs/api.md documents and JSON Schema cannot state, which
#: positive_data_acceptance would report: (status, error code).
BEYOND_JSON_SCHEMA = {
    # The JSON reader's rules for every body: NUL characters, lone surrogates, integers past
    # 64 bits, nesting depth (api.md, "Conventions").
    (400, "invalid_json"),
    # A reset or verification token exists only in a mail: a generated one is unknown.
    (400, "invalid_token"),
    # A WebAuthn credential proves something only when an authenticator signed it for a live
    # challenge: a generated one is refused (docs/passkeys.md).
    (400, "invalid_credential"),
    # If-Match with an ETag the fuzzer made up names no version of the value.
    (412, "precondition_failed"),
    # Rules on a field's meaning, not its shape: the password policy (common passwords, the
    # configured length), a deliverable email address, an http(s) URL, the password that
    # revoking another session needs (api.md, the 422 of each operation).
    (422, "validation_error"),
}


def beyond_json_schema(response: Any) -> bool:
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return False
    return (response.status_code, code) in BEYOND_JSON_SCHEMA


def leaves_out_credentials(case: Any) -> bool:
    """A coverage case that omits the Authorization header on purpose (missing_required_header
    expects the 401): it is sent as generated."""
    data = case.meta.phase.data if case.meta is not None else None
    return (
        isinstance(data, CoveragePhaseData)
        and data.scenario == CoverageScenario.MISSING_PARAMETER
        and (data.parameter or "").lower() == "authorization"
    )


@pytest.fixture
def contract_findings(request: pytest.FixtureRequest) -> dict[tuple[str, int], str]:
    """Distinct findings of one operation, reported together when its examples are done
    (tests/load/conftest.py fails the test then), so one run lists them all."""
    findings: dict[tuple[str, int], str] = {}
    request.node.contract_findings = findings
    return findings


def describe(case: Any, response: Any, failure: Exception, base_url: str) -> str:
    body = response.text if len(response.text) < 300 else response.text[:300] + "..."
    sent = "(none)" if type(case.body).__name__ == "NotSet" else json.dumps(case.body, default=repr)[:200]
    return (
        f"{case.operation.label}: {getattr(failure, 'title', type(failure).__name__)} -- "
        f"{str(failure).strip().splitlines()[0] if str(failure).strip() else ''}\n"
        f"    sent: path={case.path_parameters or {}} body={sent}\n"
        f"    got:  {response.status_code} {body}\n"
        f"    reproduce: {case.as_curl_command(base_url=base_url)}"
    )


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_the_contract(case: Any, live_api: Any, contract_findings: dict) -> None:
    base_url = f"http://127.0.0.1:{live_api.port}"
    credentials = {} if leaves_out_credentials(case) else {"Authorization": f"Bearer {Token.current()}"}
    case.headers = {**(case.headers or {}), **credentials}
    response = case.call(base_url=base_url, timeout=30)
    if credentials and response.status_code == 401 and case.operation.definition.raw.get("security"):
        # An earlier case ended the session (logout, a revoked session): log in and replay once.
        Token.renew()
        credentials["Authorization"] = case.headers["Authorization"] = f"Bearer {Token.current()}"
        response = case.call(base_url=base_url, timeout=30)
    try:
        # The credentials are named as the caller's own (as `schemathesis run --header`), so
        # ignored_auth strips and spoils them to see the operation refuse.
        case.validate_response(response, checks=CHECKS, headers=credentials)
    except FailureGroup as group:
        for failure in group.exceptions:
            if isinstance(failure, RejectedPositiveData) and beyond_json_schema(response):
                continue
            if isinstance(failure, AcceptedNegativeData) and response.status_code == 413:
                continue  # refused, by the body-size limit (api.md), before its shape is read
            key = (getattr(failure, "title", type(failure).__name__), response.status_code)
            contract_findings.setdefault(key, describe(case, response, failure, base_url))


def test_the_documented_flows_answer_only_documented_statuses(live_api: Any) -> None:
    """Fuzzing rarely reaches some answers (a duplicate name, a stale ETag, the right password):
    walk the flows of docs/api.md once and check each answer's status against the document."""
    server = live_api
    answers: list[tuple[str, str, int]] = []

    def call(method: str, template: str, path: str, body: Any = None, headers: Any = None) -> Any:
        status, data, response = server.request(method, path, body, headers)
        answers.append((method, template, status))
        return status, data, response

    new = {"username": "flows", "email": "flows@example.com", "password": PASSWORD}
    assert call("POST", "/api/auth/register", "/api/auth/register", new)[0] == 201
    assert call("POST", "/api/auth/register", "/api/auth/register", new)[0] == 409
    login = {"username": "flows", "password": PASSWORD}
    assert (
        call("POST", "/api/auth/login", "/api/auth/login", {**login, "password": "wrong password"})[0] == 401
    )
    _, tokens, _ = call("POST", "/api/auth/login", "/api/auth/login", login)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    refresh = {"refresh_token": tokens["access_token"]}
    assert call("POST", "/api/auth/refresh", "/api/auth/refresh", refresh)[0] == 401
    item = "/api/user/data/{key}"
    assert call("GET", item, "/api/user/data/k", None, bearer)[0] == 404
    _, _, created = call("PUT", item, "/api/user/data/k", {"value": 1}, bearer)
    etag = created.getheader("ETag")
    assert call("PUT", item, "/api/user/data/k", {"value": 2}, {**bearer, "If-Match": etag})[0] == 200
    assert call("PUT", item, "/api/user/data/k", {"value": 3}, {**bearer, "If-Match": etag})[0] == 412
    _, _, current = call("GET", item, "/api/user/data/k", None, bearer)
    unchanged = {**bearer, "If-None-Match": current.getheader("ETag")}
    assert call("GET", item, "/api/user/data/k", None, unchanged)[0] == 304
    assert call("DELETE", item, "/api/user/data/k", None, bearer)[0] == 204
    sessions = "/api/auth/sessions/{session_id}"
    assert call("DELETE", sessions, "/api/auth/sessions/999999", {"password": PASSWORD}, bearer)[0] == 404
    change = {"current_password": PASSWORD, "new_password": PASSWORD + "!"}
    assert call("POST", "/api/auth/password", "/api/auth/password", change, bearer)[0] == 204
    _, tokens, _ = call("POST", "/api/auth/login", "/api/auth/login", {**login, "password": PASSWORD + "!"})
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert call("POST", "/api/auth/logout", "/api/auth/logout", None, bearer)[0] == 204
    _, tokens, _ = call("POST", "/api/auth/login", "/api/auth/login", {**login, "password": PASSWORD + "!"})
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    everywhere = {"password": PASSWORD + "!"}
    assert call("POST", "/api/auth/logout-all", "/api/auth/logout-all", everywhere, bearer)[0] == 204
    _, tokens, _ = call("POST", "/api/auth/login", "/api/auth/login", {**login, "password": PASSWORD + "!"})
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert call("DELETE", "/api/user", "/api/user", {"password": PASSWORD + "!"}, bearer)[0] == 204

    undocumented = [
        f"{method} {template} answered {status}, the document lists "
        f"{sorted(DOCUMENT['paths'][template][method.lower()]['responses'])}"
        for method, template, status in answers
        if str(status) not in DOCUMENT["paths"][template][method.lower()]["responses"]
    ]
    assert not undocumented, "\n".join(dict.fromkeys(undocumented))
