"""``[plugins.totp]``: authenticator codes and recovery codes."""

from __future__ import annotations

from pydantic import Field

from core import SecretKey, Section, plugin_settings


class Limits(Section):
    """``[plugins.totp.limits]``: rate limits of the TOTP routes (``limits`` notation)."""

    #: Wrong codes per account at ``POST /api/totp/confirm`` (a right one is never counted).
    confirm: str = "10/hour"


class Settings(Section):
    #: Name the authenticator app shows above the code; empty: the host of ``site.url``.
    issuer: str = Field("", max_length=64)
    #: Key material for the secrets at rest and the recovery-code hashes (32 bytes or more in
    #: production when set); empty derives them from ``security.secret_key``. Changing it (or,
    #: when empty, the secret key) makes every enrolment unreadable: users enrol again.
    encryption_key: SecretKey = ""
    limits: Limits = Limits()


def settings() -> Settings:
    """This app's ``[plugins.totp]``, read at request time."""
    return plugin_settings("totp")
