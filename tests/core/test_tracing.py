"""Observability of plugins: a failing plugin is named in the log; tracing logs every hook call."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from flask import Blueprint

from core import current_identity, endpoint, hookimpl
from tests.testplugins import hello


class Crashes:
    """A third-party identity provider that raises at request time."""

    name = "crashes"

    @hookimpl
    def identify_request(self, request):
        if request.headers.get("X-Crash"):
            raise RuntimeError("provider exploded")
        return None

    @hookimpl
    def register_routes(self, app):
        bp = Blueprint("crashes", __name__)

        @bp.get("/api/crashes/whoami")
        @endpoint()
        def whoami():
            identity = current_identity()
            return {"id": identity.id if identity else None}

        return bp


def test_a_plugin_raising_at_request_time_is_named_in_the_log_and_the_request_gets_500_json(make_app, caplog):
    client = make_app(plugins=[hello, Crashes()]).test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get("/api/crashes/whoami", headers={"X-Crash": "1"})
    assert response.status_code == 500
    assert response.json == {"error": {"code": "internal_error", "message": "internal server error"}}
    assert "provider exploded" not in response.get_data(as_text=True)
    assert any(
        "plugin crashes raised in hook identify_request" in record.getMessage() for record in caplog.records
    )
    assert client.get("/api/crashes/whoami").json == {"id": None}


def test_trace_logs_every_hook_call_with_arguments_result_and_duration(make_app, caplog):
    with caplog.at_level(logging.INFO, logger="annex.trace"):
        client = make_app(plugins=[hello], environ={"ANNEX_TRACE_PLUGINS": "1"}).test_client()
        client.get("/api/hello", headers={"X-Test-User": "5:eve"})
    lines = [record.getMessage() for record in caplog.records if record.name == "annex.trace"]
    assert any(line.startswith("register_routes(") and "[hello]" in line for line in lines)
    identify = [line for line in lines if line.startswith("identify_request(")]
    assert identify and "Identity(id=5" in identify[0] and identify[0].endswith("ms")


ROOT = Path(__file__).resolve().parents[2]


def test_trace_lines_reach_stderr_with_no_logging_set_up(tmp_path):
    """A plain script (no logging configuration) that only sets ANNEX_TRACE_PLUGINS=1."""
    (tmp_path / "config.toml").write_text(
        f'[site]\nstatic_dir = ""\n[database]\nurl = "sqlite:///{tmp_path}/annex.db"\n'
    )
    script = textwrap.dedent("""
        from core import create_app
        from tests.testplugins import hello
        client = create_app(plugins=[hello]).test_client()
        print(client.get("/api/hello", headers={"X-Test-User": "5:eve"}).status_code)
    """)
    environ = {key: value for key, value in os.environ.items() if not key.startswith("ANNEX_")}

    def run(**extra):
        return subprocess.run(
            [sys.executable, "-c", script],
            env={**environ, "PYTHONPATH": str(ROOT), **extra},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    traced = run(ANNEX_TRACE_PLUGINS="1")
    assert traced.returncode == 0, traced.stderr
    assert traced.stdout.strip() == "200"
    lines = traced.stderr.splitlines()
    assert any(line.startswith("annex.trace: register_routes(") and "[hello]" in line for line in lines)
    assert any(line.startswith("annex.trace: identify_request(") and line.endswith("ms") for line in lines)
    quiet = run()
    assert quiet.returncode == 0, quiet.stderr
    assert "annex.trace" not in quiet.stderr


def test_no_trace_without_the_variable(make_app, caplog):
    with caplog.at_level(logging.INFO, logger="annex.trace"):
        make_app(plugins=[hello]).test_client().get("/api/hello")
    assert not [record for record in caplog.records if record.name == "annex.trace"]


class ChecksPasswords:
    """A route that asks the verify_password hook, as a plugin re-checking a password does."""

    name = "checks"

    @hookimpl
    def register_routes(self, app):
        bp = Blueprint("checks", __name__)

        @bp.post("/api/checks/password")
        @endpoint()
        def check():
            from core import hooks

            answer = hooks().verify_password(user_id=1, password="hunter2-secret")
            return {"checked": answer}

        return bp

    @hookimpl
    def verify_password(self, user_id, password):
        return password == "hunter2-secret"


def test_trace_leaves_out_passwords_and_query_strings(make_app, caplog):
    with caplog.at_level(logging.INFO, logger="annex.trace"):
        client = make_app(
            plugins=[hello, ChecksPasswords()], environ={"ANNEX_TRACE_PLUGINS": "1"}
        ).test_client()
        client.get("/api/hello?token=mailed-secret-token", headers={"X-Test-User": "5:eve"})
        assert client.post("/api/checks/password", json={}).status_code == 200
    lines = [record.getMessage() for record in caplog.records if record.name == "annex.trace"]
    identify = [line for line in lines if line.startswith("identify_request(")]
    assert identify and "GET /api/hello" in identify[0]
    verify = [line for line in lines if line.startswith("verify_password(")]
    assert verify and "password=***" in verify[0]
    assert not any("mailed-secret-token" in line or "hunter2-secret" in line for line in lines)
