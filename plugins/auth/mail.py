"""Mail: messages with a link to the site, queued in core's outbox and delivered by its sender
through the ``send_email`` hook.

Every message is ``multipart/alternative``: a text part and an HTML part with the same links,
rendered from the templates of ``templating`` in the reader's language. The built-in backend is
``trylast``: any other plugin implementing ``send_email`` wins.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from core import get_settings, plugin_settings, queue_email
from plugins.auth import invites, mailfiles, onetime, templating

log = logging.getLogger("annex.auth.mail")


def link(page: str, token: str) -> str:
    """``<site.url>/<page>?token=…``: built from configuration, never from the request's Host."""
    return f"{get_settings().site.url.rstrip('/')}/{page.lstrip('/')}?{urlencode({'token': token})}"


def compose(to: str, subject: str, body: str, html: str | None = None) -> EmailMessage:
    """A message from ``mail_from``: the text ``body`` and its ``html`` alternative (when None,
    the text's paragraphs and links in the shipped layout). Both parts 8bit UTF-8, their lines
    never wrapped, so a link stays whole."""
    if html is None:
        html = templating.text_as_html(subject, body, templating.preferred(None)[0])
    message = EmailMessage()
    message["From"] = plugin_settings("auth").mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain="annex")
    message.set_content(body, cte="8bit")
    message.add_alternative(html, subtype="html", cte="8bit")
    # The library's boundary ends in "==", which reads as a quoted-printable soft break to
    # whoever checks a file for them: a plain one instead, unique per message.
    message.set_boundary(f"annex-{secrets.token_hex(12)}")
    return message


def send(to: str, subject: str, body: str, html: str | None = None) -> None:
    """Queue a message in core's outbox (``core.queue_email``), inside the caller's transaction
    if any: the request never waits for the mail server, so a reset request answers in the same
    time whether the address is known or not, and the outbox retries what the server refused."""
    queue_email(compose(to, subject, body, html))


def message(
    name: str, to: str, /, *, user: dict[str, Any] | None = None, from_request: bool = True, **variables: Any
) -> EmailMessage:
    """Message ``name`` (``templates/<locale>/<name>.*``) to ``to``, in the language of ``user``
    (the account it is about; None before there is one), or of the request's browser unless not
    ``from_request`` (someone else's request: a stranger's refused password). Every template
    gets ``site_name``, ``site_url``, ``email`` (``to``), ``locale`` and ``subject``, ``username``
    when there is a user, and ``variables``."""
    values = {**templating.site_variables(), "email": to, **variables}
    if user is not None:
        values["username"] = user["username"]
    locales = templating.preferred(user["id"] if user else None, from_request=from_request)
    rendered = templating.render(name, locales, values)
    return compose(to, rendered.subject, rendered.text, rendered.html)


def send_message(name: str, to: str, /, *, user: dict[str, Any] | None = None, **options: Any) -> None:
    """Queue message ``name`` (see ``message``) in core's outbox, as ``send`` does."""
    queue_email(message(name, to, user=user, **options))


#: Where and when a request came from, as every security notice gets it (``notices.context``).
_REQUEST = {"when": "2026-01-31 12:00 UTC", "ip": "203.0.113.7", "browser": "Firefox on Linux"}
#: Every message auth sends, with example values of the variables it gets besides ``site_name``,
#: ``site_url``, ``locale`` and ``subject`` (docs/auth.md, "Mail templates", has the table of each).
SAMPLES: dict[str, dict[str, Any]] = {
    "password_reset": {"email": "a@example.com", "username": "alice", "link": "https://x/r?token=t",
                       "valid_minutes": 30},
    "email_verification": {"email": "a@example.com", "username": "alice", "link": "https://x/v?token=t",
                           "valid_minutes": 30},
    "invitation": {"email": "a@example.com", "link": "https://x/i?token=t", "valid_days": 7},
    "email_change_confirmation": {"email": "b@example.com", "username": "alice",
                                  "link": "https://x/c?token=t", "valid_hours": 24},
    "email_change_notice": {"email": "a@example.com", "username": "alice", "new_email": "b@example.com",
                            "when": "2026-01-31 12:00 UTC", "ip": "203.0.113.7", "browser": "Firefox",
                            "valid_hours": 24},
    "new_device": {"email": "a@example.com", "username": "alice", **_REQUEST},
    "password_changed": {"email": "a@example.com", "username": "alice", **_REQUEST},
    "factor_added": {"email": "a@example.com", "username": "alice", "method": "passkey", "name": "Laptop",
                     **_REQUEST},
    "factor_removed": {"email": "a@example.com", "username": "alice", "method": "totp", "name": "",
                       **_REQUEST},
    "account_locked": {"email": "a@example.com", "username": "alice", "link": "https://x/l?token=t",
                       "valid_minutes": 60, **_REQUEST},
}  # fmt: skip


def deliver(message: EmailMessage) -> bool:
    """The configured backend: console, file or smtp (called by core's outbox sender; an
    exception means "not delivered", and the outbox retries later)."""
    settings = plugin_settings("auth")
    if settings.mail_backend == "file":
        mailfiles.write(Path(settings.mail_dir), message)
    elif settings.mail_backend == "smtp":
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout) as smtp:
            if settings.smtp_starttls:
                # Without a context smtplib encrypts but accepts any certificate: a server in
                # the middle would be handed the login. The system's CAs (or SSL_CERT_FILE).
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            smtp.send_message(message)
    else:
        text = mailfiles.text_of(message)
        log.info("mail to %s: %s\n%s", message["To"], message["Subject"], text or "(no text part)")
    return True


def reset_message(user: dict[str, Any], token: str) -> None:
    """The password-reset link, to the account's address."""
    send_message(
        "password_reset",
        user["email"],
        user=user,
        link=link(plugin_settings("auth").reset_page, token),
        valid_minutes=onetime.LIFETIME // 60,
    )


def verification_message(user: dict[str, Any], token: str) -> None:
    """The link that confirms the account's address."""
    send_message(
        "email_verification",
        user["email"],
        user=user,
        link=link(plugin_settings("auth").verify_page, token),
        valid_minutes=onetime.LIFETIME // 60,
    )


def invitation_message(to: str, token: str) -> str:
    """Queue the invitation to ``to``; the link it carries."""
    url = link(plugin_settings("auth").invite_page, token)
    send_message("invitation", to, link=url, valid_days=invites.LIFETIME // 86400)
    return url
