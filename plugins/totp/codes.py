"""Authenticator codes: RFC 6238 with ``pyotp`` (HMAC-SHA-1, 6 digits, 30-second steps).

A code is accepted one step either side of now (a phone's clock drifts, a person types slowly)
and names the step it belongs to, so the caller can refuse a step already used (replay).
"""

from __future__ import annotations

import hmac
import re
import time
from urllib.parse import quote, urlencode

import pyotp

DIGITS = 6
PERIOD = 30
#: Steps accepted either side of the current one.
VALID_WINDOW = 1
_CODE = re.compile(rf"[0-9]{{{DIGITS}}}")


def new_secret() -> str:
    """A fresh base32 secret of 160 bits (RFC 4226's recommended length)."""
    return pyotp.random_base32(32)


def otpauth_uri(secret: str, issuer: str, account: str) -> str:
    """The Key URI an authenticator app reads from a QR code, every parameter spelt out
    (``algorithm``, ``digits``, ``period``: some apps do not assume the defaults)."""
    label = f"{quote(issuer, safe='')}:{quote(account, safe='')}"
    query = urlencode(
        {"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": PERIOD},
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def normalise(code: object) -> str | None:
    """The six digits of ``code`` as typed (spaces allowed: "123 456"), or None."""
    if not isinstance(code, str):
        return None
    digits = "".join(code.split())
    return digits if _CODE.fullmatch(digits) else None


def matching_step(secret: str, code: object, at: float | None = None) -> int | None:
    """The time step ``code`` belongs to, within the window around ``at`` (now), or None.

    The latest matching step wins: with a step refused once used, that keeps the most codes
    usable. Every candidate is compared in constant time.
    """
    digits = normalise(code)
    if digits is None:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
    current = totp.timecode(time.time() if at is None else at)
    found = None
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), digits):
            found = step
    return found
