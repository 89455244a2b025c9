"""Password rules and hashing: NFKC, every character counts, bcrypt behind an HMAC.

bcrypt reads at most 72 bytes (bcrypt 5 raises beyond), so the password is first reduced to
an HMAC-SHA-256 digest, base64-encoded (44 bytes): two passwords that differ anywhere differ.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import hmac
import unicodedata
from pathlib import Path

import bcrypt

#: Longest accepted password, in characters after normalisation.
MAX_LENGTH = 1024
#: The common-password list: Django's (20,000 passwords compiled by Royce Williams, BSD).
COMMON_PASSWORDS = Path(__file__).with_name("common-passwords.txt.gz")
#: HMAC key when no pepper is configured: still defeats bcrypt's 72-byte limit.
DEFAULT_PEPPER = b"annex-password-v1"


def normalize(password: str) -> str:
    """NFKC, as NIST SP 800-63B recommends (folds compatibility characters: ``²`` → ``2``)."""
    return unicodedata.normalize("NFKC", password)


@functools.cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip() for line in fh if line.strip())


def problem(
    password: str, min_length: int, username: str | None = None, email: str | None = None
) -> str | None:
    """Why ``password`` is not acceptable, or None."""
    text = normalize(password)
    if len(text) < min_length:
        return f"must be at least {min_length} characters"
    if len(text) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    folded = text.casefold()
    if folded in common_passwords():
        return "is too common"
    if folded in {(username or "").casefold(), (email or "").casefold()}:
        return "must differ from the username and email"
    return None


def _prehash(password: str, pepper: str) -> bytes:
    key = pepper.encode() if pepper else DEFAULT_PEPPER
    digest = hmac.new(key, normalize(password).encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest)


def hash_password(password: str, rounds: int, pepper: str) -> str:
    return bcrypt.hashpw(_prehash(password, pepper), bcrypt.gensalt(rounds)).decode()


def check_password(password: str, stored: str, pepper: str) -> bool:
    try:
        return bcrypt.checkpw(_prehash(password, pepper), stored.encode())
    except ValueError:
        return False


def cost_of(stored: str) -> int:
    """The cost a bcrypt hash was made with (``$2b$12$…`` → 12)."""
    try:
        return int(stored.split("$")[2])
    except (IndexError, ValueError):
        return 0


@functools.cache
def dummy_hash(rounds: int) -> str:
    """A hash to check against when the user does not exist, so both failures cost the same."""
    return bcrypt.hashpw(b"annex-dummy-password", bcrypt.gensalt(rounds)).decode()
