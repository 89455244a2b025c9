"""Accounts in ``auth_users``: creation (uniqueness settled by the database), lookups, updates."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from core import SQL, ApiError, execute, get_db, hooks, now, one, rfc3339, rows, transaction
from plugins.auth import emails
from plugins.auth.schema import devices, events, invites, mfa_challenges, sessions, tokens, users

# PostgreSQL row locks on the account; SQLite's BEGIN IMMEDIATE already holds the whole database.
_LOCK = {
    (True, False): SQL("SELECT 1 FROM auth_users WHERE id = :id FOR SHARE"),
    (True, True): SQL("SELECT 1 FROM auth_users WHERE id = :id FOR UPDATE"),
    (False, False): SQL("SELECT 1 FROM auth_users WHERE id = :id"),
    (False, True): SQL("SELECT 1 FROM auth_users WHERE id = :id"),
}
_VERSION = SQL("SELECT password_version FROM auth_users WHERE id = :id")
_PASSWORD_SET = SQL("SELECT password_hash <> '' FROM auth_users WHERE id = :id")
_DISABLED = SQL("SELECT disabled FROM auth_users WHERE id = :id")
_COLUMNS = ", ".join(f'"{column.name}"' for column in users.columns)
_BY_ID = SQL(f"SELECT {_COLUMNS} FROM auth_users WHERE id = :id")


def disabled_error() -> ApiError:
    """The 403 of every sign-in of a disabled account."""
    return ApiError(403, "account_disabled", "this account is disabled; the site's operator can enable it")


def taken(field: str) -> ApiError:
    return ApiError(409, f"{field}_taken", f"this {field} is already registered")


def conflict(username: str, email: str) -> ApiError | None:
    """The 409 a registration of ``username``/``email`` would meet, if any."""
    if find_by_username(username) is not None:
        return taken("username")
    if find_by_email(email) is not None:
        return taken("email")
    return None


def create(
    username: str,
    email: str,
    password_hash: str,
    roles: list[str],
    *,
    email_verified: bool = False,
    claim: Callable[[int], list[str]] | None = None,
) -> dict[str, Any]:
    """Insert an account (``password_hash`` "" for none); a concurrent registration of the same
    name becomes a 409. ``claim(user_id)`` runs in the insert's transaction (an invitation used
    up there): the roles it returns are added, and what it raises rolls the account back."""
    try:
        with transaction():
            result = execute(
                insert(users).values(
                    username=username,
                    email=email,
                    password_hash=password_hash,
                    email_verified=email_verified,
                    roles=json.dumps(roles),
                    created_at=now(),
                )
            )
            user_id = result.inserted_primary_key[0]
            granted = claim(user_id) if claim is not None else []
            if granted:
                merged = list(dict.fromkeys([*roles, *granted]))
                execute(update(users).where(users.c.id == user_id).values(roles=json.dumps(merged)))
    except IntegrityError:
        raise conflict(username, email) or taken("username") from None
    return get(user_id)


def lock(user_id: int, exclusive: bool = False) -> bool:
    """Order this write transaction against every other one that locks the account; False when
    the account is gone (deleted before this transaction could lock it).

    Call it first inside ``transaction()``, before any other lock, so no two transactions wait
    for each other. Shared (``FOR SHARE``): writes of the user's rows (sessions, activity, other
    plugins' data through the ``hold_account`` hook) run side by side but never beside a change
    of the account row itself. Exclusive (``FOR UPDATE``): the account delete, which waits for
    every shared holder to commit and makes later ones find the account gone. On SQLite the
    transaction's ``BEGIN IMMEDIATE`` serialises all writers, so only the existence check is left.
    """
    db = get_db()
    if not db.in_transaction:
        raise RuntimeError("accounts.lock() belongs inside transaction()")
    return _LOCK[db.is_postgres, exclusive].scalar(id=user_id) is not None


def get(user_id: int) -> dict[str, Any] | None:
    """The account row (prepared: a refresh and every authenticated auth route read it)."""
    row = _BY_ID.one(id=user_id)
    if row is not None:  # SQLite's driver answers 0/1 where SQLAlchemy's Boolean says False/True
        row["email_verified"], row["disabled"] = bool(row["email_verified"]), bool(row["disabled"])
    return row


def find_by_username(username: str) -> dict[str, Any] | None:
    return one(select(users).where(func.lower(users.c.username) == username.lower()))


def find_by_email(email: str) -> dict[str, Any] | None:
    """The account of ``email`` in any spelling of it (``emails.canonical``)."""
    return one(select(users).where(func.lower(users.c.email) == emails.lookup_form(email)))


def find_by_login(login: str) -> dict[str, Any] | None:
    """Usernames cannot contain ``@``, so a login with one is an email address."""
    return find_by_email(login) if "@" in login else find_by_username(login)


def roles_of(user: dict[str, Any]) -> list[str]:
    return list(json.loads(user["roles"]))


def public(user: dict[str, Any]) -> dict[str, Any]:
    """The account fields any client may see (never the hash)."""
    return {
        "id": user["id"],
        "username": user["username"],
        "email": user["email"],
        "email_verified": bool(user["email_verified"]),
        "roles": roles_of(user),
        "created_at": rfc3339(user["created_at"]),
    }


def set_password_hash(user_id: int, password_hash: str) -> None:
    """The same password hashed anew (a higher cost); its version stays."""
    with transaction():
        execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))


def password_unchanged(user_id: int, version: int, *, exclusive: bool = False) -> bool:
    """Inside a transaction: lock the account (shared) and tell whether its password is still
    ``version``, the one a check made before the transaction verified (bcrypt is too slow to
    run under a lock). False once it changed or the account is gone: a login that verified the
    old password must not start a session after the change has ended the others.

    ``exclusive`` when the caller will write the account row: two shared locks that both go on
    to update the row would wait for each other (a deadlock on PostgreSQL)."""
    return lock(user_id, exclusive=exclusive) and _VERSION.scalar(id=user_id) == version


def replace_password(user_id: int, password_hash: str, version: int) -> bool:
    """Set a new password if the current one is still ``version``, under the exclusive lock,
    so that every login still holding the old one has either committed its session (the
    caller then revokes it in this transaction) or will find the version changed. False if
    the password changed meanwhile or the account is gone."""
    with transaction():
        if not lock(user_id, exclusive=True):
            return False
        changed = execute(
            update(users)
            .where(users.c.id == user_id, users.c.password_version == version)
            .values(password_hash=password_hash, password_version=users.c.password_version + 1)
        )
    return changed.rowcount == 1


def claim_mailbox(user_id: int) -> bool:
    """The address was proved by its owner signing in through it (an emailed link or code), for
    an account whose address nobody had proved: mark it verified and drop the password, which
    was set by whoever created the account without proving the mailbox (an account created in
    a victim's name beforehand must not keep its creator's way in). True if a password went."""
    with transaction():
        had_password = bool(_PASSWORD_SET.scalar(id=user_id))
        values: dict[str, Any] = {"email_verified": True}
        if had_password:
            values.update(password_hash="", password_version=users.c.password_version + 1)
        execute(update(users).where(users.c.id == user_id).values(**values))
    return had_password


def set_email_verified(user_id: int) -> None:
    with transaction():
        execute(update(users).where(users.c.id == user_id).values(email_verified=True))


def refuse_if_disabled(user_id: int) -> None:
    """Inside the transaction that starts a session or a challenge: lock the account (shared)
    and raise ``403 account_disabled`` if it is disabled. Disabling holds the account
    exclusively while it ends the sessions, so no sign-in can slip between the two."""
    if lock(user_id) and _DISABLED.scalar(id=user_id):
        raise disabled_error()


def set_disabled(user_id: int, disabled: bool) -> bool:
    """Disable or enable the account, holding it exclusively (the caller ends its sessions in
    the same transaction); False when it is gone."""
    with transaction():
        if not lock(user_id, exclusive=True):
            return False
        execute(update(users).where(users.c.id == user_id).values(disabled=disabled))
    return True


def change_email(user_id: int, email: str) -> None:
    """Give the account a new address, verified (the mailbox proved it); a concurrent taker of
    the address becomes ``409 email_taken`` (the unique index settles it)."""
    try:
        with transaction():
            execute(update(users).where(users.c.id == user_id).values(email=email, email_verified=True))
    except IntegrityError:
        raise taken("email") from None


def set_roles(user_id: int, roles: list[str]) -> None:
    with transaction():
        execute(update(users).where(users.c.id == user_id).values(roles=json.dumps(sorted(set(roles)))))


def all_users(search: str | None = None) -> list[dict[str, Any]]:
    """Every account by id; ``search``: those whose username or email contains it (any case)."""
    statement = select(users).order_by(users.c.id)
    if search:
        pattern = "%" + search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            func.lower(users.c.username).like(pattern, escape="\\")
            | func.lower(users.c.email).like(pattern, escape="\\")
        )
    return rows(statement)


def delete_account(user_id: int) -> bool:
    """Delete the account and every plugin's rows of it in one transaction (all go, or none);
    False when it was already gone.

    The exclusive lock comes first: it waits for every write holding the account (``lock``,
    the ``hold_account`` hook) to commit, and every later one finds the account gone, so no row
    of the user lands behind the ``user_deleted`` hooks.
    """
    with transaction():
        if not lock(user_id, exclusive=True):
            return False
        hooks().user_deleted(user_id=user_id)
    return True


def delete_everything_of(user_id: int) -> None:
    """Drop the account and every auth row naming it (the ``user_deleted`` hook)."""
    with transaction():
        for table in (sessions, tokens, events, mfa_challenges, devices):
            execute(delete(table).where(table.c.user_id == user_id))
        execute(delete(invites).where(invites.c.used_by == user_id))
        execute(delete(users).where(users.c.id == user_id))
