"""Fixtures and helpers for the content plugin's HTTP tests.

Every test gets its own members-only folder (``plugins.content.root``, an absolute path) holding
pages of several types, role-protected folders, symlinks that stay inside and symlinks that
lead out, and a secret outside the root that must never be served.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import deep_merge

PASSWORD = "correct horse battery"
#: Text of files outside the root: it must never appear in a response.
SECRET = "TOP-SECRET-OUTSIDE-THE-ROOT"
ACCESS_COOKIE = "__Host-annex_access"
CSRF_COOKIE = "__Host-annex_csrf"
#: A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
#: Files of the members folder, relative to its root.
FILES: dict[str, str | bytes] = {
    "index.html": "<title>members home</title>",
    "guide.html": "<title>guide</title>",
    "style.css": "body { color: teal }",
    "data.json": '{"ok": true}',
    "app.js": "console.log('members');",
    "notes.txt": "plain notes",
    "image.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>',
    "pixel.png": PNG,
    "with space.html": "<title>spaced</title>",
    "docs/index.html": "<title>docs index</title>",
    "docs/page.html": "<title>docs page</title>",
    "docs/deep/er/leaf.html": "<title>leaf</title>",
    "empty/.keep": "",
    "premium/index.html": "<title>premium index</title>",
    "premium/report.html": "<title>premium report</title>",
    "premium/deep/inner.html": "<title>premium inner</title>",
    "staff/handbook.html": "<title>staff handbook</title>",
    "secret/plan.html": "<title>secret plan</title>",
    "open/teaser.html": "<title>teaser</title>",
}


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the root with secrets; also one whose name extends the root's name."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(SECRET)
    (folder / "index.html").write_text(SECRET)
    (folder / "sub").mkdir()
    (folder / "sub" / "index.html").write_text(SECRET)
    evil = tmp_path / "members-evil"
    evil.mkdir()
    (evil / "secret.txt").write_text(SECRET)
    (tmp_path / "secret.txt").write_text(SECRET)
    return folder


@pytest.fixture
def root(tmp_path: Path, outside: Path) -> Path:
    folder = tmp_path / "members"
    for name, content in FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    links = folder / "links"
    links.mkdir()
    (links / "inside.html").symlink_to("../guide.html")
    (links / "docs").symlink_to("../docs")
    (links / "to-premium.html").symlink_to("../premium/report.html")
    (links / "out.txt").symlink_to(outside / "secret.txt")
    (links / "out-relative.txt").symlink_to("../../outside/secret.txt")
    (links / "outdir").symlink_to(outside)
    (links / "evil").symlink_to(tmp_path / "members-evil")
    (links / "loop").symlink_to(links / "loop")
    (links / "dangling.html").symlink_to(folder / "nowhere.html")
    (folder / "docs" / "up").symlink_to("..")  # a loop that stays inside the root
    return folder


@pytest.fixture
def make_content_app(make_app: Callable[..., Any], root: Path) -> Callable[..., Any]:
    """``make_content_app(content={...}, config={...}, plugins=[...])``: auth + profile + content,
    cheap bcrypt, rate limits off, ``plugins.content.root`` = the test's folder."""

    def build(
        content: Mapping[str, Any] | None = None,
        config: Mapping[str, Any] | None = None,
        plugins: Any = (),
    ) -> Any:
        overrides: dict[str, Any] = {
            "plugins": {
                "enabled": ["auth", "profile", "content"],
                "auth": {"bcrypt_rounds": 4},
                "content": deep_merge({"root": str(root)}, content or {}),
            },
            "rate_limits": {"enabled": False},
        }
        return make_app(deep_merge(overrides, config or {}), plugins=list(plugins))

    return build


@pytest.fixture
def app(make_content_app: Callable[..., Any]) -> Any:
    return make_content_app()


@pytest.fixture
def client(app: Any) -> Any:
    """An API client without a cookie jar: it authenticates only with the Bearer token sent."""
    return app.test_client(use_cookies=False)


def https_client(app: Any) -> Any:
    """A client that speaks HTTPS and keeps cookies, as a browser holding Secure cookies does."""
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


class User:
    """A registered user: its token body and a Bearer header."""

    def __init__(self, response: Any) -> None:
        body = response.get_json()
        self.body = body
        self.token: str = body.get("access_token", "")
        self.id: int = body["user"]["id"]
        self.username: str = body["user"]["username"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def signup(client: Any, username: str = "alice", password: str = PASSWORD) -> User:
    body = {"username": username, "email": f"{username.lower()}@example.com", "password": password}
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return User(response)


def grant(app: Any, username: str, role: str) -> None:
    result = app.test_cli_runner().invoke(args=["users", "grant", username, role])
    assert result.exit_code == 0, result.output


def error_code(response: Any) -> str | None:
    data = response.get_json(silent=True)
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return data["error"].get("code")
    return None


def assert_error(response: Any, status: int, code: str) -> None:
    assert (response.status_code, error_code(response)) == (status, code), (
        response.status,
        response.get_data(as_text=True)[:500],
    )


def run_parallel(count: int, work: Callable[[int], Any], timeout: float = 120) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released together by a barrier; results in order
    (an exception raised by ``work`` is returned in its place)."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def runner(i: int) -> None:
        try:
            barrier.wait(timeout)
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=runner, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a request hung"
    return results


REDIRECTS = (301, 302, 303, 307, 308)


def get_following(
    client: Any, path: str, headers: Mapping[str, str] | None = None, prefix: str = "/members"
) -> Any:
    """GET ``path``, following redirects that stay under ``prefix`` (by path: the Location may
    name ``site.url``, which the test client would not follow)."""
    response = client.get(path, headers=dict(headers or {}))
    for _ in range(5):
        if response.status_code not in REDIRECTS:
            break
        location = urlsplit(response.headers["Location"])
        if not location.path.startswith(prefix):
            break
        target = location.path + (f"?{location.query}" if location.query else "")
        response = client.get(target, headers=dict(headers or {}))
    return response


# -------------------------------------------------------------------------------------------------
# per-user data
# -------------------------------------------------------------------------------------------------


def data_url(key: str = "") -> str:
    return f"/api/user/data/{key}" if key else "/api/user/data"


def put_value(client: Any, user: User, key: str, value: Any, headers: Mapping[str, str] | None = None) -> Any:
    return client.put(data_url(key), json={"value": value}, headers={**user.headers, **(headers or {})})


def get_value(client: Any, user: User, key: str, headers: Mapping[str, str] | None = None) -> Any:
    return client.get(data_url(key), headers={**user.headers, **(headers or {})})


def delete_value(client: Any, user: User, key: str, headers: Mapping[str, str] | None = None) -> Any:
    return client.delete(data_url(key), headers={**user.headers, **(headers or {})})


def items_of(client: Any, user: User) -> dict[str, Any]:
    response = client.get(data_url(), headers=user.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["items"]


def stored_value(client: Any, user: User, key: str) -> Any:
    response = get_value(client, user, key)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["value"]
