"""The shapes of the passkeys routes' answers, as /api/openapi.json documents them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Passkey(BaseModel):
    id: int
    name: str
    created_at: str
    last_used_at: str | None
    backed_up: bool


class Passkeys(BaseModel):
    passkeys: list[Passkey]


class Party(BaseModel):
    id: str
    name: str


class UserEntity(BaseModel):
    #: The opaque user handle, base64url.
    id: str
    name: str
    displayName: str


class Descriptor(BaseModel):
    type: str
    id: str
    transports: list[str] | None = None


class CreationOptions(BaseModel):
    """``PublicKeyCredentialCreationOptionsJSON``: hand it to ``navigator.credentials.create()``
    (``PublicKeyCredential.parseCreationOptionsFromJSON``)."""

    rp: Party
    user: UserEntity
    challenge: str
    pubKeyCredParams: list[dict[str, Any]]
    timeout: int
    excludeCredentials: list[Descriptor]
    authenticatorSelection: dict[str, Any]
    attestation: str


class RequestOptions(BaseModel):
    """``PublicKeyCredentialRequestOptionsJSON``: hand it to ``navigator.credentials.get()``
    (``PublicKeyCredential.parseRequestOptionsFromJSON``)."""

    challenge: str
    timeout: int
    rpId: str
    allowCredentials: list[Descriptor]
    userVerification: str


class SignedIn(BaseModel):
    """The answer of every sign-in (``POST /api/auth/login``'s): the tokens (bearer transport)
    and the account; the cookie transport sets them as cookies."""

    model_config = ConfigDict(extra="allow")

    access_token: str | None = None
    refresh_token: str | None = None
    token_type: str
    expires_in: int
    user: dict[str, Any]
