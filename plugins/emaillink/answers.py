"""The shapes of the emaillink routes' JSON answers, as /api/openapi.json documents them."""

from __future__ import annotations

from pydantic import BaseModel


class Accepted(BaseModel):
    """A request taken; what follows arrives by mail (or, for an address without an account,
    nothing does: the answer is the same)."""

    status: str


class Account(BaseModel):
    """The account fields of a sign-in's answer."""

    id: int
    username: str
    email: str
    email_verified: bool
    roles: list[str]
    created_at: str


class SignedIn(BaseModel):
    """A sign-in's answer, as a password login's: the tokens (bearer transport; the cookie
    transport sets them as cookies) and the account."""

    access_token: str | None = None
    refresh_token: str | None = None
    token_type: str
    expires_in: int
    user: Account
