"""The shapes of auth's JSON answers, as /api/openapi.json documents them (docs/api.md)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel


class Account(BaseModel):
    """The account fields any client may see (``accounts.public``)."""

    id: int
    username: str
    email: str
    email_verified: bool
    roles: list[str]
    created_at: str


class Tokens(BaseModel):
    """A session's answer: the tokens (bearer transport only; the cookie transport sets them as
    cookies) and the account."""

    access_token: str | None = None
    refresh_token: str | None = None
    token_type: str
    expires_in: int
    user: Account


class Accepted(BaseModel):
    """A request taken; what follows arrives by mail."""

    status: str


class SessionInfo(BaseModel):
    id: int
    created_at: str
    last_used_at: str
    user_agent: str | None
    ip: str | None
    current: bool
    #: How this session was signed in: RFC 8176 amr values (``pwd``, ``otp``, ``mfa``…).
    methods: list[str]


class Sessions(BaseModel):
    sessions: list[SessionInfo]


class DeviceInfo(BaseModel):
    id: int
    created_at: str
    last_used_at: str
    user_agent: str | None
    #: A short name of the browser ("Firefox on Linux"), from its User-Agent.
    browser: str
    ip: str | None
    #: This request comes from it.
    current: bool


class Methods(BaseModel):
    #: One entry per credential, as ``core.sign_in_methods`` gives them (``password``,
    #: ``passkey`` once per passkey, ``oidc:<provider>``…).
    methods: list[str]


class Devices(BaseModel):
    devices: list[DeviceInfo]


class Event(BaseModel):
    type: str
    at: str
    ip: str | None
    user_agent: str | None


class Activity(BaseModel):
    events: list[Event]


class Export(BaseModel):
    """One section per plugin, named for it; auth's is always there."""

    auth: dict[str, Any]


class Registration(BaseModel):
    """Who may create an account on this site."""

    registration: Literal["open", "invite", "closed"]
