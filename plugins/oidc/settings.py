"""``[plugins.oidc]``: the OpenID Providers a site lets people sign in with."""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from core import Secret, Section, plugin_settings

#: What a provider's name may be: it is a path segment and a sign-in method's name.
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Provider(Section):
    """One ``[[plugins.oidc.providers]]`` entry."""

    #: Short name: in the URLs (``/api/oidc/<name>/…``) and the sign-in methods (``oidc:<name>``).
    name: str
    #: The issuer identifier; discovery reads ``<issuer>/.well-known/openid-configuration``.
    issuer: str
    client_id: str = Field(min_length=1)
    #: The client's secret at the provider (``{env=…}`` or ``{file=…}`` keeps it out of the file).
    client_secret: Secret = Field(min_length=1)
    #: Scopes asked for; ``openid`` is required.
    scopes: list[str] = ["openid", "email", "profile"]
    #: What the sign-in button says (default: the name).
    label: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.fullmatch(value):
            raise ValueError("1-32 lower-case letters, digits, '_' and '-', starting with a letter or digit")
        return value

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("an https:// URL without query or fragment")
        if parts.scheme == "http" and not _loopback(parts.hostname):
            raise ValueError("must be https:// (http:// only on a loopback host, for development)")
        return value.rstrip("/")

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: list[str]) -> list[str]:
        if "openid" not in value:
            raise ValueError("must include 'openid'")
        return value

    @property
    def shown(self) -> str:
        """The button's label."""
        return self.label or self.name


class Settings(Section):
    #: The providers, each a ``[[plugins.oidc.providers]]`` table (a ``[plugins.oidc.providers.<name>]``
    #: table of tables is read the same way, its key as the name).
    providers: list[Provider] = []
    #: Page of the site that failures and the MFA challenge are sent to (``?error=oidc_…``,
    #: ``?mfa=…``): a path of the site or an absolute URL.
    login_url: str = "/login.html"
    #: ``false`` drops the ``__Secure-`` prefix and the Secure flag of the flow cookie (plain-HTTP
    #: development, as ``plugins.auth.cookie_secure`` does for the session cookies).
    cookie_secure: bool = True
    #: Seconds before a request to a provider (discovery, keys, code exchange) gives up.
    http_timeout: float = Field(10.0, gt=0, le=60)

    @model_validator(mode="before")
    @classmethod
    def _named_tables(cls, data: Any) -> Any:
        providers = data.get("providers") if isinstance(data, dict) else None
        if isinstance(providers, dict):
            data = {**data, "providers": [{"name": key, **value} for key, value in providers.items()]}
        return data

    @field_validator("providers")
    @classmethod
    def _unique(cls, value: list[Provider]) -> list[Provider]:
        names = [provider.name for provider in value]
        doubles = sorted({name for name in names if names.count(name) > 1})
        if doubles:
            raise ValueError(f"provider names must be unique: {', '.join(doubles)}")
        return value

    def provider(self, name: str) -> Provider | None:
        return next((provider for provider in self.providers if provider.name == name), None)


def settings() -> Settings:
    """This app's ``[plugins.oidc]``, read at request time."""
    return plugin_settings("oidc")


def login_url() -> str:
    """Where a browser goes after a failure or for its second factor (``login_url``)."""
    return settings().login_url
