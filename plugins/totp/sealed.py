"""The TOTP secret at rest: AES-256-GCM under a derived key, bound to its user.

A stored value is ``v1.<base64url(nonce ‖ ciphertext ‖ tag)>``. The user's id is the
associated data, so a row copied onto another account does not decrypt.
"""

from __future__ import annotations

import base64
import logging
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from plugins.totp import keys

log = logging.getLogger("annex.totp")
#: Prefix of the current format (another key or cipher later gets another).
VERSION = "v1."
NONCE_BYTES = 12


def _context(user_id: int) -> bytes:
    return f"annex.totp:{user_id}".encode()


def seal(user_id: int, secret: str) -> str:
    """The stored form of ``secret`` (a fresh random nonce every time)."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(keys.key(keys.SEALING)).encrypt(nonce, secret.encode(), _context(user_id))
    return VERSION + base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(user_id: int, stored: str) -> str | None:
    """The secret, or None when it cannot be read (the key changed: the user enrols again)."""
    try:
        if not stored.startswith(VERSION):
            raise ValueError("unknown format")
        raw = base64.urlsafe_b64decode(stored[len(VERSION) :])
        nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        return AESGCM(keys.key(keys.SEALING)).decrypt(nonce, sealed, _context(user_id)).decode()
    except (InvalidTag, ValueError):
        log.warning("the TOTP secret of user %s cannot be decrypted: was the key changed?", user_id)
        return None
