"""A real OpenID Provider for the tests: the npm package ``oidc-provider`` (certified by the
OpenID Foundation), pinned by tests/oidc_provider/package-lock.json and started on 127.0.0.1.

``npm ci`` runs here when its node_modules is missing, so a fresh checkout's ``make test`` needs
nothing else than Node. The provider's own development login and consent pages are driven over
HTTP by ``Browser``; ``Provider.control`` makes it misbehave on purpose (see provider.mjs).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from tests.servers import free_port

PROJECT = Path(__file__).resolve().parents[2] / "oidc_provider"
#: The Annex site the provider sends browsers back to (served by the Flask test client).
SITE = "https://annex.test"
#: The registered clients: the main one, one whose ID tokens are ES256 (key rotation), and one
#: registered for another site (its tokens are not for Annex).
CLIENTS = {
    "annex": {"secret": "annex-client-secret-0123456789", "alg": "RS256"},
    "annex-es": {"secret": "annex-es-client-secret-0123456789", "alg": "ES256"},
    "elsewhere": {"secret": "elsewhere-client-secret-0123456789", "alg": "RS256"},
}
#: The provider's accounts: what its login page accepts, and the claims it tells about each.
ACCOUNTS = {
    "ada": {"sub": "sub-ada-1815", "email": "ada@example.com", "email_verified": True,
            "preferred_username": "ada", "name": "Ada Lovelace"},
    "grace": {"sub": "sub-grace-1906", "email": "grace@example.com", "email_verified": True,
              "preferred_username": "grace"},
    "mallory": {"sub": "sub-mallory", "email": "owner@example.com", "email_verified": True,
                "preferred_username": "owner"},
    "unverified": {"sub": "sub-unverified", "email": "unverified@example.com", "email_verified": False,
                   "preferred_username": "unverified"},
    "nomail": {"sub": "sub-nomail", "preferred_username": "nomail"},
}  # fmt: skip
#: Provider names (in Annex) the tests configure; each gets a redirect URI at every client.
NAMES = ("test", "rotating", "other", "second")


def available() -> bool:
    return shutil.which("node") is not None and shutil.which("npm") is not None


def install() -> None:
    """``npm ci`` of the pinned provider, once per checkout."""
    if (PROJECT / "node_modules" / "oidc-provider").is_dir():
        return
    subprocess.run(
        ["npm", "ci", "--prefix", str(PROJECT), "--no-audit", "--no-fund", "--silent"],
        check=True, timeout=300,
    )  # fmt: skip


@dataclass
class Provider:
    process: subprocess.Popen
    issuer: str
    log: Path

    def control(self, **asked: Any) -> dict[str, Any]:
        """Make the next answers misbehave (``tamper=``, ``hide=``) or ``reset=True``."""
        answer = requests.post(f"{self.issuer}/__control", json=asked, timeout=10)
        answer.raise_for_status()
        return answer.json()

    def config(self, client: str = "annex", name: str = "test", **extra: Any) -> dict[str, Any]:
        """``[[plugins.oidc.providers]]`` entry for ``client`` under the Annex name ``name``."""
        return {"name": name, "issuer": self.issuer, "client_id": client,
                "client_secret": CLIENTS[client]["secret"], **extra}  # fmt: skip

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start(workdir: Path, *, port: int | None = None, sites: tuple[str, ...] = (SITE,)) -> Provider:
    """The provider on ``port`` (a free one by default), its clients' redirect URIs on each of
    ``sites`` (the e2e tests' real server is another origin than ``SITE``)."""
    install()
    port = port or free_port()
    clients = [
        {
            "client_id": client_id,
            "client_secret": spec["secret"],
            "redirect_uris": [f"{site}/api/oidc/{name}/callback" for site in sites for name in NAMES],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_basic",
            "id_token_signed_response_alg": spec["alg"],
        }
        for client_id, spec in CLIENTS.items()
    ]
    config = {"port": port, "clients": clients, "accounts": ACCOUNTS}
    log = workdir / "oidc-provider.log"
    process = subprocess.Popen(
        ["node", str(PROJECT / "provider.mjs"), json.dumps(config)],
        cwd=PROJECT, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    provider = Provider(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the OpenID Provider exited: {log.read_text()[-3000:]}")
        try:
            if requests.get(f"{provider.issuer}/.well-known/openid-configuration", timeout=2).ok:
                return provider
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    provider.stop()
    raise RuntimeError(f"the OpenID Provider did not answer in time: {log.read_text()[-3000:]}")


# -------------------------------------------------------------------------------------------------
# a browser: the provider over HTTP, the Annex site through the Flask test client
# -------------------------------------------------------------------------------------------------


class _Forms(HTMLParser):
    """The forms of a page: action, and the inputs' names and values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.forms.append({"action": values.get("action") or "", "fields": {}})
        elif tag == "input" and self.forms and values.get("name"):
            self.forms[-1]["fields"][values["name"]] = values.get("value") or ""
        elif tag == "a" and values.get("href"):
            self.links.append(values["href"])


@dataclass
class Hop:
    """One request the browser made and what it got."""

    url: str
    status: int
    location: str | None
    set_cookies: list[str] = field(default_factory=list)


class Browser:
    """Follows redirects the way a browser does, across the provider (real HTTP, its cookies in
    a ``requests`` session) and the Annex site (``SITE``, the Flask test client with its cookies)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.provider = requests.Session()
        self.hops: list[Hop] = []

    def _one(self, url: str, method: str = "GET", data: dict[str, str] | None = None) -> tuple[int, Any, str]:
        if url.startswith(SITE):
            path, html = url[len(SITE) :] or "/", {"Accept": "text/html"}
            answer = self.client.open(path, method=method, data=data, base_url=SITE, headers=html)
            status, location = answer.status_code, answer.headers.get("Location")
            body = answer.get_data(as_text=True)
            self.hops.append(Hop(url, status, location, answer.headers.getlist("Set-Cookie")))
        else:
            answer = self.provider.request(method, url, data=data, allow_redirects=False, timeout=15)
            status, location, body = answer.status_code, answer.headers.get("Location"), answer.text
            self.hops.append(Hop(url, status, location))
        return status, (urljoin(url, location) if location else None), body

    def go(self, url: str, method: str = "GET", data: dict[str, str] | None = None, stop_at: str = "") -> Hop:
        """Open ``url`` and follow redirects until a page that is not one, a redirect to one of the
        site's pages (its ``location`` says where the browser lands) or one under ``stop_at``."""
        status, location, body = self._one(url, method, data)
        for _ in range(20):
            if location is None or not 300 <= status < 400:
                break
            if stop_at and location.startswith(stop_at):
                break
            if location.startswith(SITE) and not location.startswith(f"{SITE}/api/"):
                break  # a page of the site: where the browser lands, left unopened
            url = location
            status, location, body = self._one(url)
        self.page = body
        return self.hops[-1]

    def sign_in_at_provider(self, start: str, account: str, *, deny: bool = False, stop_at: str = "") -> Hop:
        """From Annex's start URL: the provider's login page (typing ``account``), its consent page,
        then back to Annex; ``deny`` aborts at the provider instead (access_denied)."""
        hop = self.go(start, stop_at=stop_at)
        for _ in range(4):  # login, then consent: each a page of the provider with one form
            if urlsplit(hop.url).path.startswith("/api/") or "/interaction/" not in hop.url:
                return hop
            forms = _Forms()
            forms.feed(self.page)
            if deny:
                abort = next(link for link in forms.links if link.endswith("/abort"))
                return self.go(urljoin(hop.url, abort), stop_at=stop_at)
            form = forms.forms[0]
            fields = dict(form["fields"])
            if "login" in fields:
                fields.update(login=account, password="any")
            hop = self.go(urljoin(hop.url, form["action"]), "POST", fields, stop_at=stop_at)
        return hop
