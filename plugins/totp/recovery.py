"""Recovery codes: ten random single-use codes, shown once, stored only as keyed hashes.

Why HMAC-SHA256 and not bcrypt: a code is 40 random bits, not a password a person chose. A
slow hash protects low-entropy secrets against guessing from a stolen database; here an
unkeyed fast hash would not do (2^40 SHA-256 guesses take a GPU minutes), but the HMAC's key
is derived from the site's key material, which the database does not hold, so a copy of the
table alone is useless. Online guessing is the rate limits' job, and an exact (user, hash)
match is one index lookup instead of a bcrypt per stored code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import delete, func, insert, select

from core import account_event, execute, now, scalar, transaction
from plugins.totp import keys
from plugins.totp.schema import recovery_codes

#: Codes per set.
COUNT = 10
#: Crockford's base32 alphabet: no i, l, o, u, so nothing reads as another character.
ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
#: Characters per code (40 bits), shown as two groups of four.
LENGTH = 8
#: What people type for a character the alphabet leaves out.
_LOOKALIKES = str.maketrans({"o": "0", "i": "1", "l": "1"})


def generate() -> list[str]:
    """``COUNT`` fresh codes, ``xxxx-xxxx``."""
    codes = []
    while len(codes) < COUNT:
        raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        shown = f"{raw[:4]}-{raw[4:]}"
        if shown not in codes:
            codes.append(shown)
    return codes


def normalise(code: object) -> str | None:
    """A code as stored (eight characters of the alphabet), from what a person typed: any case,
    with or without the hyphen or spaces, ``o``/``i``/``l`` for ``0``/``1``; else None."""
    if not isinstance(code, str):
        return None
    raw = "".join(code.split()).replace("-", "").lower().translate(_LOOKALIKES)
    if len(raw) != LENGTH or any(c not in ALPHABET for c in raw):
        return None
    return raw


def digest(normalised: str) -> str:
    return hmac.new(keys.key(keys.RECOVERY), normalised.encode(), hashlib.sha256).hexdigest()


def left(user_id: int) -> int:
    return int(scalar(select(func.count()).where(recovery_codes.c.user_id == user_id)) or 0)


def replace(user_id: int) -> list[str]:
    """A new set for ``user_id``; the old codes stop working in the same transaction."""
    codes = generate()
    with transaction():
        drop(user_id)
        at = now()
        for code in codes:
            execute(
                insert(recovery_codes).values(
                    user_id=user_id, code_hash=digest(normalise(code) or ""), created_at=at
                )
            )
    return codes


def use(user_id: int, code: object) -> bool:
    """Spend one code: True once, for a code of the user's current set. The DELETE settles two
    requests with one code at once: only one of them removes the row."""
    normalised = normalise(code)
    if normalised is None:
        return False
    with transaction():
        statement = delete(recovery_codes).where(
            recovery_codes.c.user_id == user_id, recovery_codes.c.code_hash == digest(normalised)
        )
        if execute(statement).rowcount != 1:
            return False
        account_event(user_id, "recovery_code_used", codes_left=left(user_id))
    return True


def drop(user_id: int) -> None:
    execute(delete(recovery_codes).where(recovery_codes.c.user_id == user_id))
