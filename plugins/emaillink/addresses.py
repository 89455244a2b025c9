"""Email addresses in one canonical form, so that one mailbox has one count and one live link.

The form is ``email-validator``'s normalised address (IDNA domain shown in Unicode, NFC),
lower-cased: the form accounts are stored and looked up in, whatever spelling was typed.
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

#: Longest address accepted (RFC 5321's path limit).
MAX_EMAIL = 254


def canonical(address: str) -> str:
    """The canonical form of a syntactically valid address; ValueError if it is not one."""
    if len(address) > MAX_EMAIL:
        raise ValueError(f"must be at most {MAX_EMAIL} characters")
    try:
        # Syntax only: no DNS, and reserved names such as example.test are fine.
        valid = validate_email(address, check_deliverability=False, globally_deliverable=False)
    except EmailNotValidError:
        raise ValueError("not a valid email address") from None
    return unicodedata.normalize("NFC", valid.normalized.lower())
