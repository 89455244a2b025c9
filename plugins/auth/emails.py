"""Email addresses in one canonical form, so that one mailbox is one account.

``BÜCHER.example``, ``xn--bcher-kva.example`` and a full-width spelling name one domain, and an
address typed in NFC or NFD is one address. The canonical form is what ``email-validator``
calls normalised (the domain mapped and checked with IDNA 2008/UTS 46 through the ``idna``
package, shown in Unicode; the address in NFC), lower-cased. It is what registration stores and
checks for uniqueness, and what a login or reset by email looks up.
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email


def canonical(address: str) -> str:
    """The stored form of a syntactically valid address; ValueError if it is not one."""
    try:
        # Syntax only: no DNS, and reserved names such as example.test are fine.
        valid = validate_email(address, check_deliverability=False, globally_deliverable=False)
    except EmailNotValidError:
        raise ValueError("not a valid email address") from None
    return unicodedata.normalize("NFC", valid.normalized.lower())


def lookup_form(text: str) -> str:
    """What to look ``text`` up as: its canonical form, or (not an address) lower-cased NFC."""
    try:
        return canonical(text)
    except ValueError:
        return unicodedata.normalize("NFC", text.lower())
