"""Request bodies of the emaillink routes, validated before any view runs."""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from core import Body
from plugins.emaillink import addresses, proofs


def _address(value: str) -> str:
    return addresses.canonical(value)


class LinkRequest(Body):
    """Ask for a sign-in mail."""

    email: str = Field(max_length=addresses.MAX_EMAIL)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return _address(value)


class Confirm(Body):
    """The link's ``token``, or the ``email`` the code was mailed to and the ``code``."""

    token: str | None = Field(None, min_length=1, max_length=256)
    email: str | None = Field(None, max_length=addresses.MAX_EMAIL)
    #: Six digits; spaces and dashes between them are ignored.
    code: str | None = Field(None, max_length=32)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else _address(value)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        if value is None:
            return None
        code = proofs.typed_code(value)
        if code is None:
            raise ValueError(f"must be {proofs.CODE_DIGITS} digits")
        return code

    @model_validator(mode="after")
    def _one_proof(self) -> Confirm:
        if self.token is not None and (self.email is not None or self.code is not None):
            raise ValueError("send either token, or email and code")
        if self.token is None and (self.email is None or self.code is None):
            raise ValueError("send token, or email and code")
        return self
