"""JWTs: claims, algorithm pinning, keys and rotation, expiry, and every forgery we can think of."""

from __future__ import annotations

import hashlib
import json
import time

import jwt
import pytest

from tests.plugins.auth.conftest import (
    JWT_KEY,
    SITE_URL,
    assert_refused,
    assert_token_refused,
    b64url,
    claims_of,
    header_of,
    post,
    probe,
    raw_jwt,
    refresh,
    resign,
    sign,
    signup,
)

CLAIMS = ("iss", "aud", "sub", "sid", "jti", "iat", "exp", "typ")
OTHER_KEY = "a-completely-different-signing-key-0123456789abcdefghijklmnop"


@pytest.fixture
def account(client):
    return signup(client, "alice")


# what a token carries -----------------------------------------------------------------------------


def test_access_token_carries_the_contract_claims(account):
    claims = jwt.decode(account.access, JWT_KEY, algorithms=["HS256"], audience="annex", issuer=SITE_URL)
    assert set(CLAIMS) <= set(claims)
    assert claims["iss"] == SITE_URL
    assert claims["aud"] == "annex"
    assert claims["sub"] == str(account.id)
    assert claims["typ"] == "access"
    assert claims["exp"] - claims["iat"] == 900
    assert abs(claims["iat"] - time.time()) < 60


def test_refresh_token_carries_the_contract_claims_of_the_same_session(account):
    access = claims_of(account.access)
    claims = jwt.decode(account.refresh, JWT_KEY, algorithms=["HS256"], audience="annex", issuer=SITE_URL)
    assert set(CLAIMS) <= set(claims)
    assert claims["typ"] == "refresh"
    assert claims["sub"] == str(account.id)
    assert claims["sid"] == access["sid"]
    assert claims["jti"] != access["jti"]
    assert claims["exp"] - claims["iat"] == 1_209_600


def test_tokens_are_hs256_with_a_kid_header(account):
    for token in (account.access, account.refresh):
        header = header_of(token)
        assert header["alg"] == "HS256"
        assert header.get("kid")


def test_two_logins_get_distinct_sessions_and_token_ids(client, account):
    other = post(client, "/api/auth/login", {"username": "alice", "password": account.password}).get_json()
    assert claims_of(other["access_token"])["sid"] != claims_of(account.access)["sid"]
    assert claims_of(other["access_token"])["jti"] != claims_of(account.access)["jti"]


def test_issuer_follows_site_url(make_auth_app):
    client = make_auth_app(config={"site": {"url": "https://www.example.org"}}).test_client()
    account = signup(client)
    assert claims_of(account.access)["iss"] == "https://www.example.org"
    assert probe(client, account.access).status_code == 200


def test_token_ttls_follow_the_settings(make_auth_app):
    client = make_auth_app({"access_token_ttl": 120, "refresh_token_ttl": 3600}).test_client()
    account = signup(client)
    access, refresh_claims = claims_of(account.access), claims_of(account.refresh)
    assert access["exp"] - access["iat"] == 120
    assert refresh_claims["exp"] - refresh_claims["iat"] == 3600


# keys -----------------------------------------------------------------------------------------------


def test_tokens_are_signed_with_jwt_key(account):
    jwt.decode(account.access, JWT_KEY, algorithms=["HS256"], audience="annex")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(account.access, OTHER_KEY, algorithms=["HS256"], audience="annex")


def test_without_jwt_key_the_key_comes_from_the_secret_key(make_auth_app):
    first = make_auth_app({"jwt_key": ""}, config={"security": {"secret_key": "s" * 48}})
    same = make_auth_app({"jwt_key": ""}, config={"security": {"secret_key": "s" * 48}})
    other = make_auth_app({"jwt_key": ""}, config={"security": {"secret_key": "t" * 48}})
    account = signup(first.test_client())
    assert probe(same.test_client(), account.access).status_code == 200
    assert_token_refused(probe(other.test_client(), account.access))


def test_a_token_signed_with_a_previous_key_still_verifies(make_auth_app):
    old = make_auth_app({"jwt_key": OTHER_KEY})
    account = signup(old.test_client())
    rotated = make_auth_app({"jwt_key": JWT_KEY, "previous_keys": [OTHER_KEY]})  # same database
    client = rotated.test_client()
    assert probe(client, account.access).status_code == 200
    renewed = refresh(client, account.refresh)
    assert renewed.status_code == 200
    # New tokens are signed with the current key.
    jwt.decode(renewed.get_json()["access_token"], JWT_KEY, algorithms=["HS256"], audience="annex")


def test_a_token_of_a_dropped_key_is_refused(make_auth_app):
    old = make_auth_app({"jwt_key": OTHER_KEY})
    account = signup(old.test_client())
    rotated = make_auth_app({"jwt_key": JWT_KEY, "previous_keys": []})
    assert_token_refused(probe(rotated.test_client(), account.access))
    assert_refused(refresh(rotated.test_client(), account.refresh))


def test_current_and_previous_keys_have_different_kids(make_auth_app):
    old = make_auth_app({"jwt_key": OTHER_KEY})
    old_token = signup(old.test_client()).access
    new = make_auth_app({"jwt_key": JWT_KEY, "previous_keys": [OTHER_KEY]})
    new_token = signup(new.test_client(), "bob").access
    assert header_of(old_token)["kid"] != header_of(new_token)["kid"]


# expiry ---------------------------------------------------------------------------------------------


def test_an_expired_access_token_is_401_token_expired(client, account):
    now = int(time.time())
    expired = resign(account.access, iat=now - 4000, exp=now - 3600)
    assert_token_refused(probe(client, expired), "token_expired")


def test_an_access_token_expires_after_its_ttl(make_auth_app):
    # iat is whole seconds: a TTL of n lives between n-1 and n seconds. 3 leaves the signup and
    # first probe (slower on PostgreSQL) 2 seconds at least.
    client = make_auth_app({"access_token_ttl": 3}).test_client()
    account = signup(client)
    assert probe(client, account.access).status_code == 200  # verified, and remembered
    time.sleep(3.2)
    assert_token_refused(probe(client, account.access), "token_expired")


def test_an_expired_refresh_token_is_401_token_expired(client, account):
    now = int(time.time())
    expired = resign(account.refresh, iat=now - 4000, exp=now - 3600)
    assert_refused(refresh(client, expired), "token_expired")


def test_a_forged_later_expiry_does_not_help_without_the_key(client, account):
    forged = resign(account.access, key=OTHER_KEY, exp=int(time.time()) + 10**6)
    assert_token_refused(probe(client, forged))


# forgeries ------------------------------------------------------------------------------------------


def test_alg_none_is_refused(client, account):
    claims = claims_of(account.access)
    unsigned = raw_jwt({"alg": "none", "typ": "JWT", "kid": header_of(account.access)["kid"]}, claims, None)
    assert_token_refused(probe(client, unsigned))
    assert_token_refused(probe(client, jwt.encode(claims, None, algorithm="none")))


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_other_hmac_algorithms_are_refused_even_with_the_right_key(client, account, algorithm):
    token = sign(
        claims_of(account.access),
        JWT_KEY,
        algorithm=algorithm,
        headers={"kid": header_of(account.access)["kid"]},
    )
    assert_token_refused(probe(client, token))


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "PS256", "EdDSA"])
def test_asymmetric_alg_headers_are_refused_alg_confusion(client, account, algorithm):
    # The classic confusion: an asymmetric alg in the header, an HMAC made with the server's
    # key as signature.
    header = {"alg": algorithm, "typ": "JWT", "kid": header_of(account.access)["kid"]}
    token = raw_jwt(header, claims_of(account.access), JWT_KEY.encode(), hashlib.sha256)
    assert_token_refused(probe(client, token))


def test_a_tampered_payload_is_refused(client, account):
    bob = signup(client, "bob")
    head, _, signature = account.access.split(".")
    claims = claims_of(account.access)
    claims["sub"] = str(bob.id)
    tampered = f"{head}.{b64url(json.dumps(claims).encode())}.{signature}"
    assert_token_refused(probe(client, tampered))


def test_a_tampered_signature_is_refused(client, account):
    head, payload, signature = account.access.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert_token_refused(probe(client, f"{head}.{payload}.{flipped}"))
    assert_token_refused(probe(client, f"{head}.{payload}."))


def test_a_token_signed_with_another_key_is_refused(client, account):
    assert_token_refused(probe(client, resign(account.access, key=OTHER_KEY)))


@pytest.mark.parametrize("kid", ["unknown-kid", "../../../../dev/null", "' OR 1=1 --", ""])
def test_a_token_with_an_unknown_kid_signed_with_another_key_is_refused(client, account, kid):
    token = sign(claims_of(account.access), OTHER_KEY, headers={"kid": kid})
    assert_token_refused(probe(client, token))
    empty_key = raw_jwt({"alg": "HS256", "typ": "JWT", "kid": kid}, claims_of(account.access), b"")
    assert_token_refused(probe(client, empty_key))


@pytest.mark.parametrize("garbage", ["abc", "a.b.c", "....", "eyJhbGciOiJIUzI1NiJ9", "Bearer"])
def test_malformed_tokens_are_refused(client, account, garbage):
    assert_token_refused(probe(client, garbage))


def test_an_empty_bearer_header_is_401(client):
    response = client.get("/api/auth/sessions", headers={"Authorization": "Bearer "})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_no_credentials_is_401_with_a_bearer_challenge(client):
    response = client.get("/api/auth/sessions")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "https://evil.example"},
        {"iss": SITE_URL + "/"},
        {"aud": "other"},
        {"aud": ["other"]},
        {"typ": "refresh"},
        {"typ": "id"},
        {"sid": "not-a-session"},
    ],
    ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()),
)
def test_wrong_claims_signed_with_the_right_key_are_refused(client, account, changes):
    response = probe(client, resign(account.access, **changes))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] in ("unauthorized", "token_revoked")
    if {"iss", "aud", "typ"} & set(changes):
        assert_token_refused(response, "unauthorized")


@pytest.mark.parametrize("claim", CLAIMS)
def test_each_claim_is_required(client, account, claim):
    assert_token_refused(probe(client, resign(account.access, drop=[claim])), "unauthorized")


@pytest.mark.parametrize("claim", CLAIMS)
def test_each_claim_is_required_in_refresh_tokens(client, account, claim):
    assert_refused(refresh(client, resign(account.refresh, drop=[claim])), "unauthorized")


def test_a_refused_refresh_token_in_the_body_gets_the_invalid_token_challenge(client, account):
    # api.md: every 401 carries WWW-Authenticate: Bearer with error="invalid_token" when a token
    # was presented and rejected; a refresh token in the body is presented too.
    assert_token_refused(refresh(client, account.access), "unauthorized")
    assert_token_refused(refresh(client, resign(account.refresh, key=OTHER_KEY)), "unauthorized")


def test_a_resigned_copy_of_a_valid_token_still_works(client, account):
    # Control for the forgery tests above: re-signing unchanged claims with the same key and kid
    # gives a token the server accepts, so their refusals are about the change they make.
    assert probe(client, resign(account.access)).status_code == 200


def test_a_refresh_token_is_not_an_access_token(client, account):
    assert_token_refused(probe(client, account.refresh), "unauthorized")


def test_an_access_token_is_not_a_refresh_token(client, account):
    assert_refused(refresh(client, account.access), "unauthorized")
    assert refresh(client, account.refresh).status_code == 200  # the session was not harmed


def test_a_token_of_a_deleted_user_is_refused(client, account):
    response = client.delete(
        "/api/user",
        json={"password": account.password},
        headers={"Authorization": f"Bearer {account.access}"},
    )
    assert response.status_code == 204
    assert_token_refused(probe(client, account.access), "token_revoked")
