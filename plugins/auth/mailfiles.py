"""The file mail backend's folder: one ``.eml`` file a message, written so that a person can read it.

Text parts are written 8bit UTF-8: no quoted-printable soft line breaks or base64, so a link
copied from the file works and accented text reads as it was written. Names start with the
time in nanoseconds, so sorting them sorts the messages.
"""

from __future__ import annotations

import email
import email.policy
import re
import time
from email.message import EmailMessage
from pathlib import Path

#: What counts as a link in a message's text (the CLI lists them).
LINK = re.compile(r"https?://[^\s<>\"']+")


def write(folder: Path, message: EmailMessage) -> Path:
    """Store ``message`` in ``folder`` as a new file; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    readable = _readable(message)
    name = f"{time.time_ns()}-{(message['Message-ID'] or '<mail>').strip('<>').split('@')[0]}.eml"
    # Written under a temporary name, then renamed: a reader never sees half a message.
    partial = folder / f".{name}.part"
    partial.write_bytes(readable.as_bytes())
    return partial.replace(folder / name)


def newest_first(folder: Path) -> list[EmailMessage]:
    """Every message in ``folder``, the latest first (none when the folder does not exist)."""
    if not folder.is_dir():
        return []
    paths = sorted(folder.glob("*.eml"), key=lambda path: path.name, reverse=True)
    return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in paths]


def text_of(message: EmailMessage) -> str | None:
    """The plain-text body of ``message`` (None when it has none)."""
    body = message.get_body(preferencelist=("plain",))
    return None if body is None else body.get_content()


def links_in(text: str) -> list[str]:
    """The links of ``text`` in order, once each, without a sentence's closing punctuation."""
    found = [match.rstrip(".,;:!?)") for match in LINK.findall(text)]
    return list(dict.fromkeys(found))


def _readable(message: EmailMessage) -> EmailMessage:
    """A copy of ``message`` whose inline text parts are 8bit UTF-8.

    The outbox stores a message as text, which turns an 8bit UTF-8 body into base64; this
    undoes that (and any quoted-printable) for the file. Body lines are never folded, so a long
    link stays on one line.
    """
    copy = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    for part in copy.walk():
        if part.is_multipart() or part.get_content_maintype() != "text" or part.is_attachment():
            continue
        if part.get("Content-ID") is not None:
            continue  # referenced by another part: left as it is
        if part.get("Content-Transfer-Encoding", "7bit").lower() in ("7bit", "8bit"):
            continue
        disposition = part.get_content_disposition()
        part.set_content(
            part.get_content(), subtype=part.get_content_subtype(), cte="8bit", disposition=disposition
        )
    return copy
