"""The sign-in mail: a link to the site's page and the same sign-in as a 6-digit code.

Queued in core's outbox (``core.queue_email``) inside the caller's transaction, so the request
never waits for the mail server (an address with an account answers as fast as one without)
and a rolled-back link is never mailed; delivery is whatever ``send_email`` backend is enabled.
"""

from __future__ import annotations

import html
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlencode

from core import get_settings, queue_email
from plugins.emaillink.settings import settings


def link(token: str) -> str:
    """``<site.url>/<page>?token=…``: built from configuration, never from the request's Host."""
    site = get_settings().site.url.rstrip("/")
    return f"{site}/{settings().page.lstrip('/')}?{urlencode({'token': token})}"


def _texts(url: str, code: str, minutes: int, creates: bool) -> tuple[str, str, str]:
    """Subject, plain text and HTML of the message."""
    if creates:
        subject, purpose = "Create your account", "To create your account and sign in"
    else:
        subject, purpose = "Your sign-in link", "To sign in"
    text = (
        f"{purpose}, open:\n{url}\n\n"
        f"Or enter this code where you asked for it: {code}\n\n"
        f"The link and the code work once, together, for {minutes} minutes. "
        "If you did not ask to sign in, ignore this message.\n"
    )
    page = (
        f'<p>{purpose}, open:<br><a href="{html.escape(url)}">{html.escape(url)}</a></p>\n'
        f"<p>Or enter this code where you asked for it: <strong>{code}</strong></p>\n"
        f"<p>The link and the code work once, together, for {minutes} minutes. "
        "If you did not ask to sign in, ignore this message.</p>\n"
    )
    return subject, text, page


def send(to: str, token: str, code: str, *, creates: bool) -> None:
    """Queue the sign-in mail to ``to``; ``creates``: the link makes the account."""
    s = settings()
    subject, text, page = _texts(link(token), code, s.lifetime // 60, creates)
    message = EmailMessage()
    message["From"] = s.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain="annex")
    # 8bit: no quoted-printable soft breaks inside the link of a mail file or a message source.
    message.set_content(text, cte="8bit")
    message.add_alternative(page, subtype="html", cte="8bit")
    queue_email(message)
