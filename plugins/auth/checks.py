"""What ``annex check --deploy`` reports about ``[plugins.auth]`` in production."""

from __future__ import annotations

from core import Finding, plugin_settings

#: bcrypt cost below which passwords are too cheap to guess offline.
MIN_BCRYPT_ROUNDS = 12


def deploy_findings() -> list[Finding]:
    """Every error of the auth settings, in the order the check lists them."""
    settings = plugin_settings("auth")
    found: list[Finding] = []
    if not settings.cookie_secure:
        found.append(
            Finding(
                "error",
                "plugins.auth.cookie_secure",
                "is false: session cookies travel over plain HTTP",
                "remove it",
            )
        )
    if settings.bcrypt_rounds < MIN_BCRYPT_ROUNDS:
        found.append(
            Finding(
                "error",
                "plugins.auth.bcrypt_rounds",
                f"is {settings.bcrypt_rounds}: password hashes are cheap to guess",
                f"set it to {MIN_BCRYPT_ROUNDS} or more",
            )
        )
    if settings.mail_backend == "console":
        found.append(
            Finding(
                "error",
                "plugins.auth.mail_backend",
                "is console: reset mail never leaves the log",
                'use "smtp"',
            )
        )
    return found
