"""``[plugins.emaillink]``: every setting of the emaillink plugin, with its default."""

from __future__ import annotations

from pydantic import Field

from core import Section, plugin_settings


class Limits(Section):
    """``[plugins.emaillink.limits]``: rate limits of the emaillink routes (``limits`` notation)."""

    #: Sign-in mails asked for per email address, whether it has an account or not.
    request_email: str = "3/hour"
    #: Sign-in mails asked for per client IP.
    request_ip: str = "10/hour"
    #: Wrong confirmations (unknown, used or expired token; wrong code) per client IP.
    confirm_ip: str = "10/hour"


class Settings(Section):
    #: Page of the site the mailed link opens (``<site.url>/<page>?token=…``); it POSTs the token.
    page: str = "email-link.html"
    #: Whether an address without an account gets a link that creates one on confirmation
    #: (the site's registration rule still decides, at confirmation).
    create_accounts: bool = False
    #: Sender of the sign-in mails.
    mail_from: str = "Annex <no-reply@localhost>"
    #: Seconds a mailed link and its code work.
    lifetime: int = Field(900, ge=60, le=86400)
    #: Wrong codes after which a mailed code (and its link) stops working.
    max_code_attempts: int = Field(5, ge=1, le=20)
    limits: Limits = Limits()


def settings() -> Settings:
    """This app's ``[plugins.emaillink]``, read at request time."""
    return plugin_settings("emaillink")
