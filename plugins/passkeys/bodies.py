"""Request bodies of the passkeys routes (WebAuthn Level 3 JSON forms, binary as base64url).

The credential models name the fields a ceremony needs and let the others through (browsers add
``publicKey``, ``authenticatorData``… to ``toJSON()``); what the fields hold is the ceremony's
check, which answers ``400 invalid_credential`` or ``401 invalid_credentials``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core import Body

#: Longest passkey name, in characters.
NAME_MAX = 64


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class AttestationResponse(_Open):
    """``AuthenticatorAttestationResponseJSON``."""

    clientDataJSON: str = Field(max_length=8192)
    attestationObject: str = Field(max_length=32768)
    transports: list[str] | None = None


class RegistrationResponse(_Open):
    """``RegistrationResponseJSON``: what ``navigator.credentials.create()`` gave, as JSON."""

    id: str = Field(max_length=1400)
    rawId: str = Field(max_length=1400)
    type: str
    response: AttestationResponse
    clientExtensionResults: dict[str, Any] = {}
    authenticatorAttachment: str | None = None


class AssertionResponse(_Open):
    """``AuthenticatorAssertionResponseJSON``."""

    clientDataJSON: str = Field(max_length=8192)
    authenticatorData: str = Field(max_length=8192)
    signature: str = Field(max_length=2048)
    userHandle: str | None = Field(None, max_length=128)


class AuthenticationResponse(_Open):
    """``AuthenticationResponseJSON``: what ``navigator.credentials.get()`` gave, as JSON."""

    id: str = Field(max_length=1400)
    rawId: str = Field(max_length=1400)
    type: str
    response: AssertionResponse
    clientExtensionResults: dict[str, Any] = {}
    authenticatorAttachment: str | None = None


def _name(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("give the passkey a name")
    if len(value) > NAME_MAX:
        raise ValueError(f"at most {NAME_MAX} characters")
    return value


class Proof(Body):
    """A fresh proof for a sensitive action when the last sign-in is not recent enough: the
    password, an authenticator code, or a passkey assertion (``login/options`` first)."""

    password: str | None = Field(None, max_length=4096)
    code: str | None = Field(None, max_length=64)
    credential: AuthenticationResponse | None = None

    def fields(self) -> dict[str, Any]:
        """The proof as ``core.require_recent_auth`` takes it: only what was sent."""
        return self.model_dump(exclude_unset=True, exclude_none=True)


class NewPasskey(Body):
    credential: RegistrationResponse
    #: What the user calls it; "Passkey" when left out.
    name: str = Field("Passkey", max_length=NAME_MAX * 4)

    @field_validator("name")
    @classmethod
    def _clean(cls, value: str) -> str:
        return _name(value)


class Rename(Body):
    name: str = Field(max_length=NAME_MAX * 4)

    @field_validator("name")
    @classmethod
    def _clean(cls, value: str) -> str:
        return _name(value)


class LoginOptions(Body):
    """Empty for a passwordless sign-in; the ``mfa.token`` of a ``401 mfa_required`` for a
    passkey as the second factor."""

    mfa_token: str | None = Field(None, max_length=512)


class Login(Body):
    credential: AuthenticationResponse
