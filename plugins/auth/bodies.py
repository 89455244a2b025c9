"""Request bodies of the auth routes, validated before any view runs."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from core import Body
from plugins.auth import emails, passwords
from plugins.auth.settings import settings

USERNAME = re.compile(r"[A-Za-z0-9_.-]{3,32}")
MAX_EMAIL = 254
#: Upper bound on what a login form may send as a password (the rules apply at registration).
MAX_PASSWORD_INPUT = 4096


def check_email(value: str) -> str:
    """A syntactically valid address of at most 254 characters, in its canonical form
    (lower-cased, IDNA domain, NFC: ``emails.canonical``)."""
    if len(value) > MAX_EMAIL:
        raise ValueError(f"must be at most {MAX_EMAIL} characters")
    return emails.canonical(value)


def check_new_password(value: str, username: str | None, email: str | None) -> str:
    problem = passwords.problem(value, settings().password_min_length, username, email)
    if problem:
        raise ValueError(f"password {problem}")
    return value


class Register(Body):
    username: str
    email: str
    password: str
    #: The invitation's token, where registration is by invitation.
    invite: str | None = Field(None, max_length=256)

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        if not USERNAME.fullmatch(value):
            raise ValueError("3-32 characters of letters, digits, '_', '.' and '-'")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return check_email(value)

    @field_validator("password")
    @classmethod
    def _password(cls, value: str, info: ValidationInfo) -> str:
        return check_new_password(value, info.data.get("username"), info.data.get("email"))


class Login(Body):
    username: str = Field(min_length=1, max_length=MAX_EMAIL)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_INPUT)


class RefreshToken(Body):
    refresh_token: str | None = Field(None, max_length=4096)


class Password(Body):
    password: str = Field(min_length=1, max_length=MAX_PASSWORD_INPUT)


class AccountDeletion(Body):
    """``DELETE /api/user``: the password (v1), or for an account without one a step-up proof."""

    password: str | None = Field(None, min_length=1, max_length=MAX_PASSWORD_INPUT)
    code: str | None = Field(None, min_length=1, max_length=64)
    credential: dict[str, Any] | None = None


class OptionalPassword(Body):
    password: str | None = Field(None, max_length=MAX_PASSWORD_INPUT)


class ChangePassword(Body):
    current_password: str = Field(min_length=1, max_length=MAX_PASSWORD_INPUT)
    new_password: str = Field(min_length=1, max_length=MAX_PASSWORD_INPUT)


class ResetRequest(Body):
    email: str

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return check_email(value)


class EmailChange(Body):
    """``POST /api/auth/email``: the new address, and a step-up proof when the sign-in is not recent."""

    new_email: str
    password: str | None = Field(None, min_length=1, max_length=MAX_PASSWORD_INPUT)
    code: str | None = Field(None, min_length=1, max_length=256)
    credential: dict[str, Any] | None = None

    @field_validator("new_email")
    @classmethod
    def _email(cls, value: str) -> str:
        return check_email(value)

    def proof(self) -> dict[str, Any]:
        return self.model_dump(exclude={"new_email"}, exclude_none=True)


class ResetConfirm(Body):
    token: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=MAX_PASSWORD_INPUT)


class TokenOnly(Body):
    token: str = Field(min_length=1, max_length=256)


class MfaAnswer(Body):
    """The second step of a sign-in: the challenge's token, a factor and its proof. The proof is
    every other field (``code``, ``credential``, or a third-party factor's own)."""

    model_config = ConfigDict(extra="allow")

    mfa_token: str = Field(min_length=1, max_length=256)
    factor: str = Field(min_length=1, max_length=64)
    code: str | None = Field(None, max_length=256)
    credential: dict[str, Any] | None = None

    def proof(self) -> dict[str, Any]:
        return {
            key: value
            for key, value in self.model_dump().items()
            if key not in ("mfa_token", "factor") and value is not None
        }


class Reauth(Body):
    """A proof that it is still the account's owner: the password, a code or a credential."""

    password: str | None = Field(None, min_length=1, max_length=MAX_PASSWORD_INPUT)
    code: str | None = Field(None, min_length=1, max_length=256)
    credential: dict[str, Any] | None = None
