"""The two proofs a sign-in mail carries, a link's token and a 6-digit code, and their hashes.

Neither is stored: the token as its SHA-256 (256 random bits need no key), the code as an
HMAC-SHA256 under a key derived from ``security.secret_key`` and bound to its row's token hash,
so that a copy of the table does not give the million possible codes away.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets

from core import get_settings

#: Context string of the code key derived from security.secret_key.
CODE_KEY_LABEL = b"annex.emaillink.code.v1"
#: Digits in a code.
CODE_DIGITS = 6
#: What a code may look like as typed: six digits, spaces and dashes between them ignored.
_TYPED_CODE = re.compile(r"[\s-]+")


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@functools.lru_cache(maxsize=8)
def _code_key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), CODE_KEY_LABEL, hashlib.sha256).digest()


def code_hash(code: str, of_token_hash: str) -> str:
    """The stored form of ``code`` for the row whose token hash is ``of_token_hash``."""
    key = _code_key(get_settings().security.secret_key or "")
    return hmac.new(key, f"{of_token_hash}:{code}".encode(), hashlib.sha256).hexdigest()


def code_matches(code: str, of_token_hash: str, stored: str) -> bool:
    return hmac.compare_digest(code_hash(code, of_token_hash), stored)


def typed_code(text: str) -> str | None:
    """The code a person typed (``"123 456"`` is ``"123456"``), or None when it is not one."""
    code = _TYPED_CODE.sub("", text)
    return code if len(code) == CODE_DIGITS and code.isascii() and code.isdigit() else None
