"""The OpenID Provider, started once for every oidc test, and apps configured to use it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import deep_merge, require
from tests.plugins.oidc import provider as harness

#: plugins.auth.jwt_key of the test apps.
JWT_KEY = "annex-oidc-tests-jwt-signing-key-0123456789abcdefghijklmnop"


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.Provider]:
    """The real provider on 127.0.0.1 (``npm ci`` first when its node_modules is missing)."""
    require(harness.available(), "node and npm are needed to run the OpenID Provider (tests/oidc_provider)")
    running = harness.start(tmp_path_factory.mktemp("oidc-provider"))
    yield running
    running.stop()


@pytest.fixture
def provider(oidc_provider: harness.Provider) -> Iterator[harness.Provider]:
    """The provider, behaving normally again after the test."""
    oidc_provider.control(reset=True)
    yield oidc_provider
    oidc_provider.control(reset=True)


@pytest.fixture
def oidc_app(make_app: Any, provider: harness.Provider) -> Any:
    """``oidc_app(overrides, providers=[...], plugins=[...])``: auth + oidc on the test's
    database, ``site.url`` the browser's Annex site, the provider as ``test`` by default."""

    def build(overrides: dict[str, Any] | None = None, providers: list[dict[str, Any]] | None = None,
              plugins: Any = (), enabled: tuple[str, ...] = ()) -> Any:  # fmt: skip
        config = {
            "site": {"url": harness.SITE},
            "rate_limits": {"enabled": False},
            "plugins": {
                "enabled": ["auth", "oidc", *enabled],
                "auth": {"jwt_key": JWT_KEY, "bcrypt_rounds": 4, "mail_backend": "console"},
                "oidc": {"providers": providers or [provider.config()], "login_url": "/login.html"},
            },
        }
        return make_app(deep_merge(config, overrides or {}), plugins=plugins)

    return build


@pytest.fixture
def browser_for() -> Any:
    """``browser_for(app)``: a fresh browser (no cookie anywhere) on that app."""
    return lambda app: harness.Browser(app.test_client())
