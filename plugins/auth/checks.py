"""What ``annex check --deploy`` reports about ``[plugins.auth]`` in production.

Its keys (``jwt_key``, ``previous_keys``, ``password_pepper``) are typed ``core.SecretKey``: core's
own check reports them when short, as it does any plugin's."""

from __future__ import annotations

from core import Finding, plugin_settings
from plugins.auth import mail, templating

#: bcrypt cost below which passwords are too cheap to guess offline.
MIN_BCRYPT_ROUNDS = 12
#: Longest access-token lifetime, in seconds, before it is a warning: a leaked token works that long.
MAX_ACCESS_TOKEN_TTL = 3600
#: Longest grace, in seconds, during which a used refresh token still works, before it is a warning.
MAX_REFRESH_GRACE = 60


def deploy_findings() -> list[Finding]:
    """Every finding of the auth settings, in the order the check lists them."""
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
    if (
        settings.mail_backend == "smtp"
        and (settings.smtp_user or settings.smtp_password)
        and not settings.smtp_starttls
    ):
        found.append(
            Finding(
                "error",
                "plugins.auth.smtp_starttls",
                "is false while SMTP credentials are set: the password crosses the network in clear",
                "set smtp_starttls = true (port 587) on a server that offers STARTTLS",
            )
        )
    if settings.access_token_ttl > MAX_ACCESS_TOKEN_TTL:
        found.append(
            Finding(
                "warning",
                "plugins.auth.access_token_ttl",
                f"is {settings.access_token_ttl} s: a leaked access token works for over an hour",
                f"set it to {MAX_ACCESS_TOKEN_TTL} or less (the default is 900; clients refresh)",
            )
        )
    if settings.refresh_grace_seconds > MAX_REFRESH_GRACE:
        found.append(
            Finding(
                "warning",
                "plugins.auth.refresh_grace_seconds",
                f"is {settings.refresh_grace_seconds} s: a used refresh token, stolen, is accepted again"
                " for over a minute without the reuse being detected",
                f"set it to {MAX_REFRESH_GRACE} or less (the default is 10)",
            )
        )
    for problem in templating.owner_problems(mail.SAMPLES):
        found.append(
            Finding(
                "warning",
                "plugins.auth.templates_dir",
                f"{problem}: that mail goes out from the shipped templates",
                "fix the template (the error names its file and line)",
            )
        )
    return found
