"""A software WebAuthn authenticator and client for the tests: what a browser and a passkey
provider hand the server, built from the specification, not from the server's code.

It keeps discoverable ES256 credentials (``cryptography``'s P-256 keys), answers creation
options with a ``"none"`` attestation (CBOR by ``cbor2``: the attestation object and the COSE
key) and request options with a signed assertion, and writes the WebAuthn Level 3 JSON forms
(``RegistrationResponseJSON``, ``AuthenticationResponseJSON``), binary as base64url. Each
check a server must make can be failed on purpose: another origin or relying party id, no user
verification, a chosen signature counter, a copy of a credential (a cloned authenticator).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

#: authenticatorData flags (WebAuthn, "Authenticator Data").
UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40
#: COSE: key type EC2, algorithm ES256, curve P-256.
COSE_EC2, COSE_ES256, COSE_P256 = 2, -7, 1


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    """One discoverable credential the authenticator holds."""

    id: bytes
    rp_id: str
    user_handle: bytes
    key: ec.EllipticCurvePrivateKey
    sign_count: int = 0

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: COSE_EC2,
                3: COSE_ES256,
                -1: COSE_P256,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )


@dataclass
class Authenticator:
    """A passkey provider: ``synced`` ones are backup eligible and backed up (BE|BS, like a
    phone's passkeys); ``counting`` ones raise the signature counter by one per use (a security
    key), the others always report 0 (as synced passkeys commonly do)."""

    synced: bool = False
    counting: bool = True
    aaguid: bytes = bytes(16)
    credentials: dict[bytes, Credential] = field(default_factory=dict)

    # -- navigator.credentials.create() ----------------------------------------------------------

    def create(
        self,
        options: dict[str, Any],
        origin: str,
        *,
        rp_id: str | None = None,
        user_verified: bool = True,
        challenge: str | None = None,
        credential_id: bytes | None = None,
        ceremony: str = "webauthn.create",
    ) -> dict[str, Any]:
        """A new credential for ``PublicKeyCredentialCreationOptionsJSON`` as a browser on
        ``origin`` returns it. ``rp_id`` signs for another relying party than the options',
        ``credential_id`` reuses an id, ``challenge`` answers another challenge."""
        rp = rp_id or options["rp"].get("id")
        credential = Credential(
            id=credential_id or secrets.token_bytes(32),
            rp_id=rp,
            user_handle=unb64url(options["user"]["id"]),
            key=ec.generate_private_key(ec.SECP256R1()),
        )
        self.credentials[credential.id] = credential
        attested = self.aaguid + struct.pack(">H", len(credential.id)) + credential.id + credential.cose_key()
        auth_data = self._auth_data(rp, user_verified, credential.sign_count, AT) + attested
        client_data = self._client_data(ceremony, challenge or options["challenge"], origin)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(credential.id),
            "rawId": b64url(credential.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal", "hybrid"] if self.synced else ["usb"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform" if self.synced else "cross-platform",
        }

    # -- navigator.credentials.get() -------------------------------------------------------------

    def get(
        self,
        options: dict[str, Any],
        origin: str,
        *,
        credential_id: bytes | None = None,
        rp_id: str | None = None,
        user_verified: bool = True,
        sign_count: int | None = None,
        challenge: str | None = None,
        user_handle: bool = True,
    ) -> dict[str, Any]:
        """An assertion for ``PublicKeyCredentialRequestOptionsJSON`` as a browser on ``origin``
        returns it: with a credential the options allow (any of this relying party's when the
        list is empty: a discoverable one), or ``credential_id``. ``sign_count`` reports that
        counter instead of the next one."""
        credential = self._pick(options, credential_id)
        rp = rp_id or options.get("rpId") or credential.rp_id
        if sign_count is None:
            if self.counting:
                credential.sign_count += 1
            sign_count = credential.sign_count
        auth_data = self._auth_data(rp, user_verified, sign_count)
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = credential.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64url(credential.id),
            "rawId": b64url(credential.id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                **({"userHandle": b64url(credential.user_handle)} if user_handle else {}),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform" if self.synced else "cross-platform",
        }

    def clone(self) -> Authenticator:
        """A second authenticator holding copies of the same keys and counters."""
        return copy.deepcopy(self)

    # -- parts -----------------------------------------------------------------------------------

    def _pick(self, options: dict[str, Any], credential_id: bytes | None) -> Credential:
        if credential_id is not None:
            return self.credentials[credential_id]
        allowed = [unb64url(item["id"]) for item in options.get("allowCredentials") or ()]
        for credential in self.credentials.values():
            if allowed and credential.id not in allowed:
                continue
            if not allowed and options.get("rpId") not in (None, credential.rp_id):
                continue
            return credential
        raise LookupError("this authenticator holds no credential these options allow")

    def _auth_data(self, rp_id: str, user_verified: bool, sign_count: int, extra_flags: int = 0) -> bytes:
        flags = UP | extra_flags | (UV if user_verified else 0) | ((BE | BS) if self.synced else 0)
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", sign_count)

    @staticmethod
    def _client_data(ceremony: str, challenge: str, origin: str) -> bytes:
        data = {"type": ceremony, "challenge": challenge, "origin": origin, "crossOrigin": False}
        return json.dumps(data, separators=(",", ":")).encode()
