"""The two WebAuthn ceremonies, through py_webauthn: options out, responses checked.

Registration makes a passkey (``navigator.credentials.create()``), an assertion proves one
(``navigator.credentials.get()``: a passwordless sign-in, a second factor, a re-authentication).
User verification is required in both. A response names its challenge in its clientDataJSON:
that challenge must be one this server issued, still open, for this user or for anyone, and it
is used up before the signature is even looked at, so no response is accepted twice.
"""

from __future__ import annotations

import json
from typing import Any

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from core import Identity, account_event
from plugins.passkeys import challenges, credentials
from plugins.passkeys.party import relying_party
from plugins.passkeys.settings import settings

#: The contract's algorithms, in its order of preference: ES256, EdDSA, RS256.
ALGORITHMS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]
KNOWN = {transport.value for transport in AuthenticatorTransport}


class Refused(Exception):
    """The response proves nothing: the route answers its 400 or 401, the factor is wrong."""


def registration_options(identity: Identity) -> dict[str, Any]:
    """``PublicKeyCredentialCreationOptionsJSON`` for a new passkey of ``identity``."""
    party = relying_party()
    handle = credentials.handle_of(identity.id)
    name = identity.username or str(identity.account.get("email") or "") or "user"
    options = generate_registration_options(
        rp_id=party.id,
        rp_name=party.name,
        user_name=name,
        user_display_name=name,
        user_id=base64url_to_bytes(handle),
        challenge=challenges.issue("register", identity.id),
        timeout=settings().challenge_ttl * 1000,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=_descriptors(credentials.of_user(identity.id)),
        supported_pub_key_algs=ALGORITHMS,
    )
    return json.loads(options_to_json(options))


def authentication_options(user_id: int | None = None) -> dict[str, Any]:
    """``PublicKeyCredentialRequestOptionsJSON``: for any discoverable passkey (``user_id`` None)
    or, as a second factor, for the passkeys of ``user_id``."""
    party = relying_party()
    purpose, allowed = ("login", []) if user_id is None else ("mfa", credentials.of_user(user_id))
    options = generate_authentication_options(
        rp_id=party.id,
        challenge=challenges.issue(purpose, user_id),
        timeout=settings().challenge_ttl * 1000,
        allow_credentials=_descriptors(allowed),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return json.loads(options_to_json(options))


def register(user_id: int, credential: dict[str, Any]) -> dict[str, Any]:
    """Check a registration response for ``user_id``: the columns of the passkey to store.
    ``Refused`` for anything wrong (its challenge is used up all the same)."""
    try:
        parsed = parse_registration_credential_json(credential)
        challenge = parse_client_data_json(parsed.response.client_data_json).challenge
    except Exception as exc:  # the library raises several kinds on malformed input
        raise Refused("malformed registration response") from exc
    if not challenges.consume(challenge, ("register",), user_id):
        raise Refused("unknown, used or expired challenge")
    party = relying_party()
    try:
        verified = verify_registration_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=party.id,
            expected_origin=list(party.origins),
            require_user_presence=True,
            require_user_verification=True,
            supported_pub_key_algs=ALGORITHMS,
        )
    except Exception as exc:
        raise Refused(str(exc)) from exc
    return {
        "credential_id": bytes_to_base64url(verified.credential_id),
        "public_key": bytes_to_base64url(verified.credential_public_key),
        "sign_count": verified.sign_count,
        "transports": [t.value for t in parsed.response.transports or () if t.value in KNOWN],
        "backed_up": verified.credential_backed_up,
        "device_type": verified.credential_device_type.value,
        "aaguid": verified.aaguid,
    }


def assert_passkey(credential: Any, user_id: int | None = None) -> tuple[dict[str, Any], str]:
    """Check an assertion: the stored passkey it proves and its ``amr`` value (``swk`` for a
    synced, backed-up passkey, else ``hwk``). ``user_id`` demands that user's passkey.

    A signature counter that did not move forward (while either count is in use) means two
    authenticators hold one key: refused and recorded as ``passkey_clone_suspected``."""
    try:
        parsed = parse_authentication_credential_json(credential)
        challenge = parse_client_data_json(parsed.response.client_data_json).challenge
        credential_id = bytes_to_base64url(parsed.raw_id)
    except Exception as exc:
        raise Refused("malformed authentication response") from exc
    row = credentials.by_credential_id(credential_id)
    if row is None or (user_id is not None and row["user_id"] != user_id):
        raise Refused("unknown credential")
    handle = parsed.response.user_handle
    if handle and bytes_to_base64url(handle) != credentials.existing_handle(row["user_id"]):
        raise Refused("the user handle is not the passkey's")
    if not challenges.consume(challenge, challenges.ASSERTIONS, row["user_id"]):
        raise Refused("unknown, used or expired challenge")
    party = relying_party()
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=party.id,
            expected_origin=list(party.origins),
            credential_public_key=base64url_to_bytes(row["public_key"]),
            # The counter is compared below, once the signature is known to be the passkey's:
            # only a signed assertion may raise the alarm of a clone.
            credential_current_sign_count=0,
            require_user_verification=True,
        )
    except Exception as exc:
        raise Refused(str(exc)) from exc
    stored, new = int(row["sign_count"]), verified.new_sign_count
    if (stored or new) and new <= stored:
        account_event(row["user_id"], "passkey_clone_suspected", passkey=row["id"], name=row["name"])
        raise Refused("the signature counter went backwards")
    if not credentials.record_use(row, new, verified.credential_backed_up):
        raise Refused("another assertion of this passkey was counted meanwhile")
    multi_device = verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE
    synced = verified.credential_backed_up or multi_device
    return row, "swk" if synced else "hwk"


def _descriptors(rows: list[dict[str, Any]]) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(row["credential_id"]),
            transports=[AuthenticatorTransport(t) for t in credentials.transports(row) if t in KNOWN],
        )
        for row in rows
    ]
