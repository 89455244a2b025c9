"""Mail: messages with a link to the site, queued in core's outbox and delivered by its sender
through the ``send_email`` hook.

The built-in backend is ``trylast``: any other plugin implementing ``send_email`` wins.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import urlencode

from core import get_settings, plugin_settings, queue_email
from plugins.auth import mailfiles

log = logging.getLogger("annex.auth.mail")


def link(page: str, token: str) -> str:
    """``<site.url>/<page>?token=…``: built from configuration, never from the request's Host."""
    return f"{get_settings().site.url.rstrip('/')}/{page.lstrip('/')}?{urlencode({'token': token})}"


def compose(to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text message from ``mail_from``; the body 8bit UTF-8, its lines never wrapped."""
    message = EmailMessage()
    message["From"] = plugin_settings("auth").mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain="annex")
    message.set_content(body, cte="8bit")
    return message


def send(to: str, subject: str, body: str) -> None:
    """Queue a message in core's outbox (``core.queue_email``), inside the caller's transaction
    if any: the request never waits for the mail server, so a reset request answers in the same
    time whether the address is known or not, and the outbox retries what the server refused."""
    queue_email(compose(to, subject, body))


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
        log.info("mail to %s: %s\n%s", message["To"], message["Subject"], message.get_content())
    return True


def reset_message(to: str, token: str) -> None:
    url = link(plugin_settings("auth").reset_page, token)
    send(
        to,
        "Reset your password",
        f"Someone asked to reset the password of your account.\n\nTo choose a new password, open:\n{url}\n\n"
        "The link works once, for 30 minutes. If you did not ask, ignore this message.\n",
    )


def verification_message(to: str, token: str) -> None:
    url = link(plugin_settings("auth").verify_page, token)
    send(
        to,
        "Confirm your email address",
        f"To confirm this address for your account, open:\n{url}\n\nThe link works once, for 30 minutes.\n",
    )


def invitation_message(to: str, token: str) -> str:
    """Queue the invitation to ``to``; the link it carries."""
    url = link(plugin_settings("auth").invite_page, token)
    site = get_settings().site.url
    send(
        to,
        "You are invited",
        f"You are invited to create an account at {site}.\n\nTo create it, open:\n{url}\n\n"
        "The link works once, for 7 days, for this address only.\n",
    )
    return url
