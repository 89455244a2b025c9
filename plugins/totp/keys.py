"""The plugin's two keys, derived (HKDF-SHA256) from one key material, each for one use.

The material is ``plugins.totp.encryption_key`` when set, else ``security.secret_key``: the
site's secret itself never encrypts or hashes anything here, and the two keys are independent
(knowing one tells nothing of the other or of the material).
"""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core import get_settings
from plugins.totp.settings import settings

#: HKDF ``info`` of the AES-256-GCM key that seals the TOTP secrets.
SEALING = b"annex.totp.secret.v1"
#: HKDF ``info`` of the HMAC-SHA256 key of the recovery-code hashes.
RECOVERY = b"annex.totp.recovery.v1"


@functools.lru_cache(maxsize=16)
def _derive(material: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material.encode())


def material() -> str:
    """The configured key material (the plugin's own key, or the site's secret key)."""
    return settings().encryption_key or get_settings().security.secret_key or ""


def key(info: bytes) -> bytes:
    """The 32-byte key for ``info`` (``SEALING`` or ``RECOVERY``)."""
    return _derive(material(), info)
