"""One user's enrolment: set up (a pending secret), confirmed (on), used, removed.

Every change that two requests could race is one conditional statement, settled by the
database: a setup never overwrites an enabled secret, a confirm enables only the secret it
checked, and a time step is accepted once (``last_step`` moves only forward).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select, text, update

from core import SQL, ApiError, account_event, end_sessions, execute, hold_account, now, one, transaction
from plugins.totp import codes, recovery, sealed
from plugins.totp.schema import enrolments, recovery_codes

#: Asked at every sign-in of every user (``second_factors``): one prepared lookup.
_FACTORS = SQL(
    f"SELECT e.enabled AS enabled, (SELECT count(*) FROM {recovery_codes.name} r"
    f" WHERE r.user_id = e.user_id) AS codes_left FROM {enrolments.name} e WHERE e.user_id = :user_id"
)
#: A new pending secret, unless the user's TOTP is already on (then nothing changes).
_BEGIN = text(
    f"INSERT INTO {enrolments.name} (user_id, secret, enabled, created_at)"
    " VALUES (:user_id, :secret, :off, :at)"
    " ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at,"
    f" last_step = NULL, enabled_at = NULL WHERE NOT {enrolments.name}.enabled"
)


def already_enrolled() -> ApiError:
    return ApiError(409, "already_enrolled", "an authenticator is already set up; remove it first")


def not_enrolled() -> ApiError:
    return ApiError(409, "not_enrolled", "no authenticator is set up; start with POST /api/totp/setup")


def invalid_code() -> ApiError:
    return ApiError(401, "invalid_code", "the code is wrong or was already used")


def status(user_id: int) -> dict[str, Any]:
    """``{"enabled", "recovery_codes_left"}``: what the account page and the export show."""
    row = _FACTORS.one(user_id=user_id)
    enabled = bool(row and row["enabled"])
    return {"enabled": enabled, "recovery_codes_left": int(row["codes_left"]) if enabled and row else 0}


def factors(user_id: int) -> list[str] | None:
    """The second factors the user holds here: ``totp``, and ``recovery_code`` while any is left."""
    found = status(user_id)
    if not found["enabled"]:
        return None
    return ["totp", "recovery_code"] if found["recovery_codes_left"] else ["totp"]


def _row(user_id: int) -> dict[str, Any] | None:
    return one(select(enrolments).where(enrolments.c.user_id == user_id))


def begin(user_id: int) -> str:
    """Store a new pending secret for the user (replacing a pending one) and return it.
    ``409 already_enrolled`` while TOTP is on."""
    secret = codes.new_secret()
    with transaction():
        hold_account(user_id)  # no row of a deleted account lands behind its user_deleted
        stored = execute(
            _BEGIN, user_id=user_id, secret=sealed.seal(user_id, secret), off=False, at=now()
        ).rowcount
        if stored != 1:
            raise already_enrolled()
    return secret


def confirm(user_id: int, code: object) -> list[str] | None:
    """Turn TOTP on with a right code of the pending secret: the new recovery codes, or None for
    a wrong code. The other sessions end and the activity says ``mfa_enabled``."""
    row = _row(user_id)
    if row is None:
        raise not_enrolled()
    if row["enabled"]:
        raise already_enrolled()
    secret = sealed.unseal(user_id, row["secret"])
    step = codes.matching_step(secret, code) if secret else None
    if step is None:
        return None
    with transaction():
        hold_account(user_id)
        # Only the secret this code was checked against, and only once: two confirms at once,
        # or a confirm racing a new setup, enable at most one secret.
        enabled = execute(
            update(enrolments)
            .where(
                enrolments.c.user_id == user_id,
                ~enrolments.c.enabled,
                enrolments.c.secret == row["secret"],
            )
            .values(enabled=True, last_step=step, enabled_at=now())
        ).rowcount
        if enabled != 1:
            current = _row(user_id)
            if current is not None and current["enabled"]:
                raise already_enrolled()
            return None  # the pending secret was replaced meanwhile: this code is not for it
        fresh = recovery.replace(user_id)
        account_event(user_id, "mfa_enabled", factor="totp", notice="factor_added", method="totp")
        end_sessions(user_id, keep_current=True)
    return fresh


def accept(user_id: int, code: object) -> bool:
    """Whether ``code`` is a right, unused code of the user's enabled secret; using it spends
    its time step and every earlier one (RFC 6238 §5.2)."""
    row = one(
        select(enrolments.c.secret, enrolments.c.last_step).where(
            enrolments.c.user_id == user_id, enrolments.c.enabled
        )
    )
    if row is None:
        return False
    secret = sealed.unseal(user_id, row["secret"])
    step = codes.matching_step(secret, code) if secret else None
    if step is None or (row["last_step"] is not None and step <= row["last_step"]):
        return False
    # The database settles two requests with one code: the row moves forward for one of them.
    moved = execute(
        update(enrolments)
        .where(
            enrolments.c.user_id == user_id,
            enrolments.c.enabled,
            or_(enrolments.c.last_step.is_(None), enrolments.c.last_step < step),
        )
        .values(last_step=step)
    ).rowcount
    return moved == 1


def regenerate(user_id: int) -> list[str]:
    """A new set of recovery codes (the old set dies); ``409 not_enrolled`` while TOTP is off."""
    with transaction():
        hold_account(user_id)
        enabled = one(
            select(enrolments.c.user_id)
            .where(enrolments.c.user_id == user_id, enrolments.c.enabled)
            .with_for_update()  # a disable at the same time waits (SQLite's write lock does that already)
        )
        if enabled is None:
            raise not_enrolled()
        return recovery.replace(user_id)


def disable(user_id: int) -> bool:
    """Remove the enrolment, pending or on, and its recovery codes; whether TOTP was on.
    Recorded as ``mfa_disabled`` when it was."""
    with transaction():
        was_on = execute(
            delete(enrolments).where(enrolments.c.user_id == user_id, enrolments.c.enabled)
        ).rowcount
        remove(user_id)
        if was_on:
            account_event(user_id, "mfa_disabled", factor="totp", notice="factor_removed", method="totp")
    return bool(was_on)


def remove(user_id: int) -> None:
    """Drop every row of the user (``user_deleted``: joins the deletion's transaction)."""
    with transaction():
        execute(delete(enrolments).where(enrolments.c.user_id == user_id))
        recovery.drop(user_id)
