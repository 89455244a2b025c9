"""Signing keys: the current one signs, previous ones still verify; ``kid`` names each."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

#: Context string of the key derived from security.secret_key.
DERIVATION_LABEL = b"annex.auth.jwt.v1"


def derive(secret_key: str) -> str:
    """A JWT key derived from the site secret, so the secret itself never signs tokens."""
    return hmac.new(secret_key.encode(), DERIVATION_LABEL, hashlib.sha256).hexdigest()


def kid_of(key: str) -> str:
    """A public identifier of a key: the start of its SHA-256."""
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass(frozen=True, eq=False)  # hashed by identity: rings are built once per configuration
class KeyRing:
    current: str
    by_kid: dict[str, str]

    @classmethod
    def build(cls, current: str, previous: list[str]) -> KeyRing:
        by_kid = {kid_of(key): key for key in previous}
        by_kid[kid_of(current)] = current
        return cls(current=current, by_kid=by_kid)

    @property
    def current_kid(self) -> str:
        return kid_of(self.current)
