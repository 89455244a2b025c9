"""deploy/nginx.conf, live: rendered for 127.0.0.1, nginx in front of the production app.

nginx runs in the foreground with its own prefix, pid, logs and temporary files under the
test's folder (``nginx -p … -c … -e …``), never touching the system's nginx. It must run as
root here (the rendered ``user root;`` keeps the workers able to read the 0700 test folder).
Clients connect from different loopback addresses (127.0.0.3, …) so that the address the app
sees can be told apart from nginx's own 127.0.0.1; every connection goes to 127.0.0.1.
"""

from __future__ import annotations

import gzip
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require
from tests.deploy.conftest import DEPLOY, PASSWORD, ROOT, free_port, production_env, start_app, stop

pytestmark = pytest.mark.deploy

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl")
HSTS = "max-age=31536000; includeSubDomains"


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name, default)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Stack:
    https_port: int
    http_port: int
    app_port: int
    certificate: Path
    site: Path
    nginx_folder: Path
    app_log: Path | None

    def access_log(self) -> str:
        return (self.nginx_folder / "access.log").read_text(errors="replace")

    def context(self, **versions: Any) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=str(self.certificate))
        for name, value in versions.items():
            setattr(context, name, value)
        return context

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        source: str = "127.0.0.1",
        raw: bytes | None = None,
        timeout: float = 20,
    ) -> Response:
        """One HTTPS request to nginx, from the loopback address ``source``."""
        connection = http.client.HTTPSConnection(
            "127.0.0.1", self.https_port, context=self.context(), timeout=timeout, source_address=(source, 0)
        )
        headers = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        try:
            connection.request(method, path, body=data, headers=headers)
            answer = connection.getresponse()
            return Response(answer.status, answer.headers, answer.read())
        finally:
            connection.close()

    def register(self, username: str, source: str = "127.0.0.1") -> Response:
        answer = self.request(
            "POST",
            "/api/auth/register",
            {"username": username, "email": f"{username}@example.com", "password": PASSWORD},
            source=source,
        )
        assert answer.status == 201, answer.body
        return answer


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the IP address 127.0.0.1."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            str(OPENSSL),
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def _render(folder: Path, **options: str) -> Path:
    arguments = [item for name, value in options.items() for item in (f"--{name.replace('_', '-')}", value)]
    conf = folder / "nginx.conf"
    subprocess.run(
        [sys.executable, str(DEPLOY / "render_nginx.py"), *arguments, "--output", str(conf)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return conf


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    import socket

    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"nginx exited with {process.returncode}:\n{log.read_text(errors='replace')}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nginx did not listen on {port}:\n{log.read_text(errors='replace')}")


@dataclass
class Nginx:
    """A running nginx with its own prefix folder (logs, pid, temporary files)."""

    process: subprocess.Popen[bytes]
    https_port: int
    http_port: int
    folder: Path

    def access_log(self) -> str:
        return (self.folder / "access.log").read_text(errors="replace")


def _start_nginx(folder: Path, site: Path, certificate: Path, key: Path, upstream_port: int) -> Nginx:
    """Render deploy/nginx.conf for 127.0.0.1 into ``folder`` and run it in the foreground."""
    (folder / "temp").mkdir(parents=True)
    https_port, http_port = free_port(), free_port()
    conf = _render(
        folder,
        server_name="127.0.0.1",
        listen_address="127.0.0.1",
        https_port=str(https_port),
        http_port=str(http_port),
        upstream=f"127.0.0.1:{upstream_port}",
        site_root=str(site),
        protected_root=str(ROOT / "protected"),
        certificate=str(certificate),
        certificate_key=str(key),
        user="root",
        pid=str(folder / "nginx.pid"),
        log_dir=str(folder),
        temp_dir=str(folder / "temp"),
        acme_root=str(folder / "acme"),
    )
    output = folder / "nginx.out"
    command = [NGINX, "-p", str(folder), "-c", str(conf), "-e", str(folder / "startup.log")]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    with output.open("wb") as out:
        process = subprocess.Popen(
            [*command, "-g", "daemon off;"], stdout=out, stderr=subprocess.STDOUT, cwd=folder
        )
    try:
        _wait_for_port(https_port, process, output)
        _wait_for_port(http_port, process, output)
    except BaseException:
        stop(process)
        raise
    return Nginx(process, https_port, http_port, folder)


#: Tooling a site folder may hold: nginx must not serve it (nor must the app: tests/core/test_static.py).
TOOLING = [
    "package.json",
    "package-lock.json",
    "vite.config.js",
    "yarn.lock",
    "node_modules/vite/package.json",
]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(folder, certificate, key): a self-signed certificate, and the real site plus what must not leak."""
    require(Path(NGINX).exists(), "nginx is not installed (apt-get install nginx)")
    require(OPENSSL is not None, "the openssl command is not installed (apt-get install openssl)")
    require(os.geteuid() == 0, "nginx's test server must run as root here (its workers read the test folder)")
    folder = tmp_path_factory.mktemp("nginx")
    cert, key = _certificate(folder)
    site = folder / "site"
    shutil.copytree(ROOT / "site", site)
    (site / ".env").write_text("ANNEX_SECRET_KEY=must-not-leak\n")
    for name in TOOLING:
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text('{"tooling": "must-not-leak"}\n')
    return folder, cert, key


@pytest.fixture(scope="module")
def stack(certificate: tuple[Path, Path, Path]) -> Iterator[Stack]:
    folder, cert, key = certificate
    app_port = free_port()
    app = nginx = None
    try:
        nginx = _start_nginx(folder / "front", folder / "site", cert, key, app_port)
        env = production_env(folder, f"https://127.0.0.1:{nginx.https_port}", folder / "annex.db")
        app = start_app(folder / "app", env, port=app_port)
        yield Stack(nginx.https_port, nginx.http_port, app_port, cert, folder / "site", nginx.folder, app.log)
    finally:
        if nginx is not None:
            stop(nginx.process)
        if app is not None:
            stop(app.process)


@pytest.fixture(scope="module")
def app_down(certificate: tuple[Path, Path, Path]) -> Iterator[Stack]:
    """nginx in front of an app that does not run (nothing listens on its port)."""
    folder, cert, key = certificate
    dead = free_port()
    nginx = _start_nginx(folder / "down", folder / "site", cert, key, dead)
    try:
        yield Stack(nginx.https_port, nginx.http_port, dead, cert, folder / "site", nginx.folder, None)
    finally:
        stop(nginx.process)


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion:DeprecationWarning")
def test_tls_1_2_and_1_3_only(stack: Stack) -> None:
    def handshake(context: ssl.SSLContext) -> str | None:
        connection = http.client.HTTPSConnection("127.0.0.1", stack.https_port, context=context, timeout=10)
        try:
            connection.connect()
            return connection.sock.version()
        finally:
            connection.close()

    assert handshake(stack.context()) == "TLSv1.3"
    assert handshake(stack.context(maximum_version=ssl.TLSVersion.TLSv1_2)) == "TLSv1.2"
    old = stack.context(minimum_version=ssl.TLSVersion.TLSv1, maximum_version=ssl.TLSVersion.TLSv1_1)
    old.set_ciphers("DEFAULT:@SECLEVEL=0")
    with pytest.raises((ssl.SSLError, ConnectionError)):
        handshake(old)


def test_static_site_is_served_by_nginx_with_hsts(stack: Stack) -> None:
    answer = stack.request("GET", "/")
    assert answer.status == 200
    assert answer.body == (stack.site / "index.html").read_bytes()
    assert answer.header("Content-Type", "").startswith("text/html")
    assert answer.headers.get_all("Strict-Transport-Security") == [HSTS]
    assert answer.header("X-Content-Type-Options") == "nosniff"
    assert answer.header("X-Frame-Options") == "DENY"
    assert stack.request("GET", "/no-such-page.html").status == 404


def test_dotfiles_are_not_served(stack: Stack) -> None:
    answer = stack.request("GET", "/.env")
    assert answer.status == 404
    assert b"must-not-leak" not in answer.body


def test_static_assets_are_gzipped_but_api_answers_are_not(stack: Stack) -> None:
    css = stack.request("GET", "/style.css", headers={"Accept-Encoding": "gzip"})
    assert css.status == 200
    assert css.header("Content-Encoding") == "gzip"
    assert gzip.decompress(css.body) == (stack.site / "style.css").read_bytes()
    api = stack.request("GET", "/api/health", headers={"Accept-Encoding": "gzip"})
    assert api.status == 200
    assert api.header("Content-Encoding") is None
    assert api.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_plain_http_redirects_to_the_configured_https_origin(stack: Stack) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=10)
    try:
        connection.request("GET", "/login.html?next=%2Fmembers%2F", headers={"Host": "evil.example"})
        answer = connection.getresponse()
        answer.read()
    finally:
        connection.close()
    assert answer.status == 301
    assert answer.headers["Location"] == f"https://127.0.0.1:{stack.https_port}/login.html?next=%2Fmembers%2F"


def test_plain_http_health_probe_answers_only_local_callers(stack: Stack) -> None:
    def probe(source: str) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(
            "127.0.0.1", stack.http_port, timeout=10, source_address=(source, 0)
        )
        try:
            connection.request("GET", "/nginx-health")
            answer = connection.getresponse()
            return answer.status, answer.read()
        finally:
            connection.close()

    assert probe("127.0.0.1") == (200, b"ok\n")
    assert probe("127.0.0.7")[0] == 403


def test_register_and_login_set_secure_cookies(stack: Stack) -> None:
    registered = stack.register("carol")
    cookies = registered.headers.get_all("Set-Cookie")
    assert {cookie.split("=", 1)[0] for cookie in cookies} == {
        "__Host-annex_access",
        "__Secure-annex_refresh",
        "__Host-annex_csrf",
        "__Host-annex_device",
    }
    assert all("; Secure" in cookie for cookie in cookies), cookies
    # The app's own HSTS is replaced by nginx's: exactly one header.
    assert registered.headers.get_all("Strict-Transport-Security") == [HSTS]
    assert registered.header("Cache-Control") == "no-store"

    login = stack.request("POST", "/api/auth/login", {"username": "carol", "password": PASSWORD})
    assert login.status == 200
    assert login.json()["user"]["username"] == "carol"
    assert all("; Secure" in cookie for cookie in login.headers.get_all("Set-Cookie"))


def test_members_files_are_sent_by_nginx_after_the_app_says_yes(stack: Stack) -> None:
    refused = stack.request("GET", "/members/")
    assert refused.status == 401
    assert refused.json()["error"]["code"] == "unauthorized"

    token = stack.register("dave").json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    page = stack.request("GET", "/members/", headers=bearer)
    assert page.status == 200
    assert page.body == (ROOT / "protected" / "index.html").read_bytes()
    assert page.header("Content-Type", "").startswith("text/html")
    assert page.header("X-Accel-Redirect") is None
    assert page.headers.get_all("Cache-Control") == ["private, no-cache"]
    assert page.headers.get_all("Strict-Transport-Security") == [HSTS]
    # The bytes came from nginx: the app itself answers with an empty body and the redirect.
    behind = http.client.HTTPConnection("127.0.0.1", stack.app_port, timeout=10)
    try:
        behind.request("GET", "/members/", headers={**bearer, "X-Forwarded-Proto": "https"})
        direct_answer = behind.getresponse()
        assert direct_answer.read() == b""
        assert direct_answer.headers["X-Accel-Redirect"] == "/_protected/index.html"
    finally:
        behind.close()
    # The role rules still hold: a member is not premium.
    assert stack.request("GET", "/members/premium/", headers=bearer).status == 403
    # The internal location cannot be asked for directly.
    direct = stack.request("GET", "/_protected/index.html", headers=bearer)
    assert direct.status == 404
    assert b"Members only" not in direct.body


def test_the_app_sees_the_real_client_address_not_a_spoofed_one(stack: Stack) -> None:
    token = stack.register("erin", source="127.0.0.3").json()["access_token"]
    login = stack.request(
        "POST",
        "/api/auth/login",
        {"username": "erin", "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.9", "X-Real-IP": "203.0.113.9"},
        source="127.0.0.3",
    )
    assert login.status == 200
    sessions = stack.request("GET", "/api/auth/sessions", headers={"Authorization": f"Bearer {token}"})
    assert sessions.status == 200
    assert sorted(session["ip"] for session in sessions.json()["sessions"]) == ["127.0.0.3", "127.0.0.3"]


def test_rate_limits_count_per_real_client(stack: Stack) -> None:
    def remaining(source: str, spoof: str) -> int:
        answer = stack.request("GET", "/api/health", headers={"X-Forwarded-For": spoof}, source=source)
        assert answer.status == 200
        return int(answer.header("RateLimit-Remaining") or -1)

    first = remaining("127.0.0.4", "198.51.100.1")
    # A new spoofed address each time buys no fresh budget: the same client is counted.
    assert remaining("127.0.0.4", "198.51.100.2") == first - 1
    assert remaining("127.0.0.4", "198.51.100.3") == first - 2
    # Another client has its own counter.
    assert remaining("127.0.0.6", "198.51.100.1") == first


def test_login_has_an_edge_rate_limit_answered_in_json(stack: Stack) -> None:
    answers = [
        stack.request(
            "POST",
            "/api/auth/login",
            {"username": f"guess{i}", "password": "wrong-password"},
            source="127.0.0.5",
        )
        for i in range(30)
    ]
    assert answers[0].status == 401  # the app answered: invalid_credentials
    edge = [answer for answer in answers if answer.status == 429 and answer.header("RateLimit-Limit") is None]
    assert edge, [answer.status for answer in answers]
    assert_nginx_error(edge[0], 429, "rate_limited")
    assert edge[0].header("Retry-After") == "60"
    # Other clients are not affected.
    assert stack.request("POST", "/api/auth/login", {"username": "x", "password": "y" * 8}).status == 401


def test_bodies_over_max_body_bytes_are_refused_by_nginx(stack: Stack) -> None:
    big = json.dumps({"username": "x" * 65536, "password": "y"}).encode()
    answer = stack.request(
        "POST", "/api/auth/register", raw=big, headers={"Content-Type": "application/json"}
    )
    assert_nginx_error(answer, 413, "payload_too_large")


def assert_nginx_error(answer: Response, status: int, code: str) -> None:
    """An error nginx made itself: JSON in the app's shape, with the headers the app sends on JSON."""
    from core.security import FIXED_HEADERS, JSON_CSP

    assert answer.status == status, (answer.status, answer.body)
    assert answer.header("Content-Type") == "application/json"
    error = answer.json()["error"]
    assert set(error) == {"code", "message"} and error["code"] == code and error["message"], error
    assert answer.headers.get_all("Strict-Transport-Security") == [HSTS]
    for name, value in FIXED_HEADERS:
        assert answer.headers.get_all(name) == [value], name
    assert answer.headers.get_all("Content-Security-Policy") == [JSON_CSP]
    assert answer.header("Cache-Control") == "no-store"


def test_when_the_app_is_down_nginx_answers_503_unavailable_with_retry_after(app_down: Stack) -> None:
    for method, path, body in [
        ("GET", "/api/health", None),
        ("POST", "/api/auth/login", {"username": "a", "password": "b" * 8}),
        ("PUT", "/api/user/data/.settings", {"value": 1}),
        ("GET", "/members/", None),
    ]:
        answer = app_down.request(method, path, body)
        assert_nginx_error(answer, 503, "unavailable")
        assert answer.header("Retry-After") == "5"
    # The static site does not need the app.
    assert app_down.request("GET", "/").status == 200


def _raw(stack: Stack, data: bytes, tls: bool = True) -> Response:
    """Send ``data`` as it is (a request http.client would refuse to write) and read the answer."""
    import socket

    sock = socket.create_connection(("127.0.0.1", stack.https_port), timeout=20)
    if tls:
        sock = stack.context().wrap_socket(sock, server_hostname="127.0.0.1")
    try:
        sock.sendall(data)
        answer = http.client.HTTPResponse(sock)  # type: ignore[arg-type]
        answer.begin()
        return Response(answer.status, answer.headers, answer.read())
    finally:
        sock.close()


def test_every_error_nginx_makes_on_the_api_is_json_with_the_security_headers(stack: Stack) -> None:
    assert_nginx_error(stack.request("GET", "/api/" + "a" * 9000), 414, "uri_too_long")
    assert_nginx_error(
        stack.request("GET", "/api/health", headers={"X-Big": "b" * 20000}), 400, "bad_request"
    )
    assert_nginx_error(_raw(stack, b"GET /api/health HTTP/1.1\r\nHost: bad/host\r\n\r\n"), 400, "bad_request")
    # Plain HTTP sent to the TLS port.
    assert_nginx_error(
        _raw(stack, b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", tls=False), 400, "bad_request"
    )
    unknown_coding = b"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip\r\n\r\n"
    assert_nginx_error(_raw(stack, unknown_coding), 501, "not_implemented")
    # /api without its slash is the app's too (not nginx's redirect to /api/).
    bare = stack.request("GET", "/api")
    assert (bare.status, bare.json()["error"]["code"]) == (404, "not_found")
    # The app's own errors pass through untouched.
    assert stack.request("GET", "/api/nothing-here").json()["error"]["code"] == "not_found"


def test_errors_nginx_makes_on_the_static_site_are_json_too(stack: Stack) -> None:
    assert_nginx_error(stack.request("GET", "/no-such-page.html"), 404, "not_found")
    not_allowed = stack.request("POST", "/index.html", raw=b"{}")
    assert_nginx_error(not_allowed, 405, "method_not_allowed")
    assert not_allowed.header("Allow") == "GET, HEAD"


#: What Chromium sends when it opens a page.
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"}


def assert_html_page(answer: Response, status: int, text: str) -> None:
    """An HTML error page with ``status`` and the headers every page gets, each once."""
    from core.config import SecuritySettings
    from core.security import FIXED_HEADERS

    assert answer.status == status, (answer.status, answer.body)
    assert answer.header("Content-Type", "").startswith("text/html")
    assert text in answer.body.decode(), answer.body
    assert answer.headers.get_all("Strict-Transport-Security") == [HSTS]
    for name, value in FIXED_HEADERS:
        assert answer.headers.get_all(name) == [value], name
    csp = SecuritySettings.model_fields["content_security_policy"].default
    assert answer.headers.get_all("Content-Security-Policy") == [csp]


def test_a_browsers_missing_page_is_an_html_page(stack: Stack) -> None:
    # The app's page (its static_dir is empty in production: core's built-in one).
    for path in ("/no-such-page.html", "/deep/er/page", "/.env", "/package.json"):
        answer = stack.request("GET", path, headers=BROWSER)
        assert_html_page(answer, 404, "Page not found")
        assert b"must-not-leak" not in answer.body
    head = stack.request("HEAD", "/no-such-page.html", headers=BROWSER)
    assert (head.status, head.body) == (404, b"")
    # The site's own 404.html wins, sent by nginx with the same status.
    own = stack.site / "404.html"
    own.write_text("<!doctype html><title>lost</title><h1>Our own lost page</h1>\n")
    try:
        assert_html_page(
            stack.request("GET", "/no-such-page.html", headers=BROWSER), 404, "Our own lost page"
        )
    finally:
        own.unlink()
    # API clients keep the JSON, on the site and under /api.
    for accept in ("application/json, text/html", "*/*", "application/json"):
        assert_nginx_error(
            stack.request("GET", "/no-such-page.html", headers={"Accept": accept}), 404, "not_found"
        )
    api = stack.request("GET", "/api/nothing-here", headers=BROWSER)
    assert (api.status, api.header("Content-Type"), api.json()["error"]["code"]) == (
        404,
        "application/json",
        "not_found",
    )
    # Other errors nginx makes stay JSON, for browsers too.
    assert_nginx_error(
        stack.request("POST", "/index.html", raw=b"{}", headers=BROWSER), 405, "method_not_allowed"
    )


def test_a_browsers_missing_page_while_the_app_is_down_is_still_a_404(app_down: Stack) -> None:
    # Without the app there is no page to show but the site's own: the JSON 404, not nginx's 502.
    assert_nginx_error(app_down.request("GET", "/no-such-page.html", headers=BROWSER), 404, "not_found")
    assert_nginx_error(app_down.request("GET", "/annex.js"), 503, "unavailable")  # it comes from the app
    own = app_down.site / "404.html"
    own.write_text("<!doctype html><title>lost</title><h1>Our own lost page</h1>\n")
    try:
        answer = app_down.request("GET", "/no-such-page.html", headers=BROWSER)
        assert_html_page(answer, 404, "Our own lost page")
    finally:
        own.unlink()


def test_a_members_page_refused_to_a_browser_is_the_apps_html_page(stack: Stack) -> None:
    token = stack.register("frank").json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert_html_page(
        stack.request("GET", "/members/premium/", headers={**bearer, **BROWSER}), 403, "Access denied"
    )
    refused = stack.request("GET", "/members/premium/", headers=bearer)
    assert (refused.status, refused.json()["error"]["code"]) == (403, "forbidden")


def test_annex_js_comes_from_the_app_unless_the_site_has_its_own(stack: Stack) -> None:
    assert not (stack.site / "annex.js").exists()
    answer = stack.request("GET", "/annex.js")
    assert answer.status == 200, answer.body
    assert answer.body == (ROOT / "client" / "annex.js").read_bytes()
    assert "javascript" in answer.header("Content-Type", "")
    assert answer.headers.get_all("Strict-Transport-Security") == [HSTS]
    assert answer.headers.get_all("X-Content-Type-Options") == ["nosniff"]
    own = stack.site / "annex.js"
    own.write_text("// the site's own annex.js\n")
    try:
        assert stack.request("GET", "/annex.js").body == b"// the site's own annex.js\n"
    finally:
        own.unlink()


def test_data_keys_that_start_with_a_dot_reach_the_app(stack: Stack) -> None:
    token = stack.register("dotty").json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    for key in (".settings", ".a.b", "x.y"):
        stored = stack.request("PUT", f"/api/user/data/{key}", {"value": {"k": key}}, headers=bearer)
        assert stored.status == 201, (key, stored.body)
        read = stack.request("GET", f"/api/user/data/{key}", headers=bearer)
        assert read.status == 200 and read.json()["value"] == {"k": key}
    assert set(stack.request("GET", "/api/user/data", headers=bearer).json()["items"]) == {
        ".settings",
        ".a.b",
        "x.y",
    }
    # Dotfiles of the static site stay hidden.
    assert_nginx_error(stack.request("GET", "/.env"), 404, "not_found")


@pytest.mark.parametrize("name", TOOLING)
def test_tooling_in_the_site_folder_is_not_served(stack: Stack, name: str) -> None:
    answer = stack.request("GET", f"/{name}")
    assert_nginx_error(answer, 404, "not_found")
    assert b"must-not-leak" not in answer.body


def test_mailed_pages_send_no_referrer_and_tokens_stay_out_of_the_access_logs(stack: Stack) -> None:
    secret = "MailedSecret" + "x" * 20
    for page in ("reset-password.html", "verify-email.html"):
        answer = stack.request("GET", f"/{page}?token={secret}")
        assert answer.status == 200
        assert answer.headers.get_all("Referrer-Policy") == ["no-referrer"]
        assert b'<meta name="referrer" content="no-referrer">' in answer.body
    assert stack.request("GET", "/login.html").headers.get_all("Referrer-Policy") == [
        "strict-origin-when-cross-origin"
    ]
    # What a browser that ignored the policy would send: the token in the Referer.
    referer = {"Referer": f"https://127.0.0.1:{stack.https_port}/reset-password.html?token={secret}"}
    assert stack.request("GET", "/style.css", headers=referer).status == 200
    confirm = stack.request(
        "POST",
        "/api/auth/password-reset/confirm",
        {"token": secret, "new_password": PASSWORD + "-new"},
        headers=referer,
    )
    assert confirm.status == 400 and confirm.json()["error"]["code"] == "invalid_token"
    assert stack.request("GET", f"/api/health?token={secret}", headers=referer).status == 200
    nginx_log = stack.access_log()
    assert '"GET /reset-password.html HTTP/1.1" 200' in nginx_log
    assert '"POST /api/auth/password-reset/confirm HTTP/1.1" 400' in nginx_log
    assert '/reset-password.html"' in nginx_log  # the Referer, without its query
    assert secret not in nginx_log
    # gunicorn's access log (deploy/entrypoint.sh writes it to the app's output) neither.
    assert stack.app_log is not None
    app_log = stack.app_log.read_text(errors="replace")
    assert "POST /api/auth/password-reset/confirm" in app_log and "GET /api/health" in app_log
    assert secret not in app_log


def test_slow_clients_wait_in_nginx_while_normal_requests_are_served(stack: Stack) -> None:
    """Issue 15 point 17: 50 connections that dribble their headers or body never reach gunicorn
    (1 worker of 4 threads here); nginx buffers them and keeps passing complete requests on."""
    import socket

    held = []
    try:
        for number in range(50):
            sock = socket.create_connection(
                ("127.0.0.1", stack.https_port), timeout=10, source_address=("127.0.0.8", 0)
            )
            sock = stack.context().wrap_socket(sock, server_hostname="127.0.0.1")
            if number % 2:
                sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n")  # never ends
            else:
                sock.sendall(
                    b"POST /api/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b'Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n{"value": "'
                )  # the body never ends
            held.append(sock)
        # A generous bound (an idle server answers in milliseconds): a starved one never answers.
        answers = [
            stack.request("GET", "/api/health", source="127.0.0.9", timeout=5).status for _ in range(8)
        ]
        answers.append(
            stack.request(
                "POST", "/api/auth/login", {"username": "nobody", "password": "x" * 8}, source="127.0.0.9"
            ).status
        )
    finally:
        for sock in held:
            sock.close()
    assert answers == [200] * 8 + [401]


# --- the renderer, without nginx ---------------------------------------------------------------


def _render_text(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(DEPLOY / "render_nginx.py"), *arguments],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_rendered_config_matches_the_production_app_settings() -> None:
    import tomllib

    from core.config import Settings

    production = tomllib.loads((DEPLOY / "config.toml").read_text())
    text = _render_text("--server-name", "annex.example.com").stdout
    assert not re.search(r"\{\{\s*\w+\s*\}\}", text), "a placeholder was left unrendered"
    body_limit = int(re.search(r"client_max_body_size (\d+);", text).group(1))
    assert body_limit == production["security"]["max_body_bytes"] == 65536
    assert body_limit == Settings().security.max_body_bytes
    content = production["plugins"]["content"]
    assert re.search(
        rf"location \^~ {re.escape(content['accel_redirect_prefix'])} \{{[^}}]*\binternal;", text
    )
    assert f"location ^~ {content['url_prefix']}/ {{" in text
    assert production["security"]["trusted_proxies"] == 1
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in text
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in text
    assert "listen 443 ssl http2;" in text and "listen [::]:443 ssl http2;" in text
    assert "return 301 https://annex.example.com$request_uri;" in text
    assert "/etc/letsencrypt/live/annex.example.com/fullchain.pem" in text


def test_no_referrer_pages_follow_the_auth_page_settings() -> None:
    default = _render_text("--server-name", "annex.example.com").stdout
    assert '"/reset-password.html" "no-referrer";' in default
    assert '"/verify-email.html" "no-referrer";' in default
    custom = _render_text("--server-name", "a.example", "--no-referrer-page", "account/reset.html").stdout
    assert '"/account/reset.html" "no-referrer";' in custom
    assert "/reset-password.html" not in custom
    assert _render_text("--server-name", "a.example", "--no-referrer-page", 'x" "unsafe-url').returncode == 2


def test_compose_preset_points_at_the_app_service() -> None:
    text = _render_text("--preset", "compose", "--server-name", "annex.example.com").stdout
    assert "server app:8000;" in text
    assert "user nginx;" in text
    assert "[::]" not in text
    assert "ssl_certificate /etc/nginx/certs/fullchain.pem;" in text


@pytest.mark.parametrize(
    "arguments",
    [
        ["--server-name", "a.example; include /etc/shadow"],
        ["--server-name", "a.example", "--upstream", "127.0.0.1:8000 backup"],
        ["--server-name", "a.example", "--site-root", "relative/site"],
        ["--server-name", "a.example", "--accel-prefix", "/_protected"],
        ["--server-name", "a.example", "--login-rate", "lots"],
        ["--server-name", "a.example", "--certificate", "/etc/$host.pem"],
    ],
)
def test_renderer_refuses_values_that_would_change_the_config(arguments: list[str]) -> None:
    result = _render_text(*arguments)
    assert result.returncode == 2
    assert "render_nginx:" in result.stderr
    assert result.stdout == ""


def test_make_target_writes_the_rendered_config(tmp_path: Path) -> None:
    require(shutil.which("make") is not None, "make is not installed")
    output = tmp_path / "nginx.conf"
    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "nginx-conf",
            "NGINX_ARGS=--server-name annex.example.com",
            f"NGINX_CONF={output}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "server_name annex.example.com;" in output.read_text()
