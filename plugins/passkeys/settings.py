"""``[plugins.passkeys]``: the relying party, the challenges' lifetime and the sign-in limits."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator

from core import Section, plugin_settings


class Limits(Section):
    """``[plugins.passkeys.limits]``: rate limits of the anonymous routes (``limits`` notation)."""

    #: Passkey sign-in attempts per client IP (``POST /api/passkeys/login``).
    login: str = "30/minute"
    #: Sign-in challenges handed out per client IP (``POST /api/passkeys/login/options``).
    options: str = "60/minute"


class Settings(Section):
    #: Relying party id; empty is the host of ``site.url``. A parent domain of that host
    #: (``example.com`` for ``www.example.com``) lets passkeys work on its other subdomains too.
    rp_id: str = ""
    #: Name the authenticator shows next to the account; empty is the relying party id.
    rp_name: str = ""
    #: Origins (``scheme://host[:port]``) besides ``site.url``'s whose pages run the ceremonies.
    extra_origins: list[str] = []
    #: Seconds a challenge stays usable (once) after the options that carry it.
    challenge_ttl: int = Field(300, ge=30, le=3600)
    limits: Limits = Limits()

    @field_validator("rp_id")
    @classmethod
    def _domain(cls, value: str) -> str:
        value = value.strip().lower().rstrip(".")
        if value and ("/" in value or ":" in value or " " in value):
            raise ValueError(f"{value!r} is not a domain: write the host only (example.com)")
        return value

    @field_validator("extra_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        return [_origin(entry) for entry in origins]


def _origin(entry: str) -> str:
    """``entry`` as a browser writes an origin (the clientDataJSON's ``origin``), or ValueError."""
    if "*" in entry:
        raise ValueError(f"{entry!r}: wildcards are not allowed; list each origin exactly")
    parts = urlsplit(entry.strip())
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{entry!r} is not an origin: its port is not a number") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{entry!r} is not an origin: write scheme://host[:port] with http or https")
    if parts.username is not None or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{entry!r} is not an origin: no user, path, query or fragment")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


def settings() -> Settings:
    """This app's ``[plugins.passkeys]``, read at request time."""
    return plugin_settings("passkeys")
