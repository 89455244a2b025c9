"""Property tests (hypothesis) for the validators and the token code: whatever a client sends, each
either accepts it (and what it accepts keeps its promises) or refuses it with the documented
error, never with another exception (which the server would answer as a 500).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import string
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from core import ApiError, json_input
from plugins.auth import passwords, tokens
from plugins.auth.bodies import USERNAME, Login, Register
from plugins.content.data import check_key
from plugins.profile.model import MAX_URL, all_fields, update_model
from plugins.profile.settings import RESERVED, FieldSpec
from plugins.profile.settings import Settings as ProfileSettings

pytestmark = pytest.mark.load

BOUNDED = settings(
    max_examples=200,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SITE_URL = "http://127.0.0.1:5000"


@pytest.fixture
def database_url(tmp_path) -> str:
    """Validators do not touch the database: one SQLite run is enough (no PostgreSQL twin)."""
    return f"sqlite:///{tmp_path / 'annex.db'}"


@pytest.fixture
def auth_app(make_app) -> Any:
    return make_app({"plugins": {"enabled": ["auth"], "auth": {"bcrypt_rounds": 4}}})


# ------------------------------------------------------------------------------------------------
# strategies
# ------------------------------------------------------------------------------------------------

#: Text as json_input.loads hands it on: no lone surrogates, no NUL.
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=40)
INT64 = st.integers(-(2**63 - 1), 2**63 - 1)
FINITE = st.floats(allow_nan=False, allow_infinity=False)
SCALARS = st.none() | st.booleans() | INT64 | FINITE | TEXT
#: Any value json_input.loads can return.
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=16,
)
#: Pieces of JSON and of hostile JSON, glued together at random.
PIECES = [
    b"{", b"}", b"[", b"]", b",", b":", b" ", b'"a"', b'"\\u00e9"', b"0", b"-1", b"1.5e3", b"true",
    b"null", b"NaN", b"Infinity", b"-Infinity", b"1e400", b"9" * 25, b'"\\ud800"', b'"\\udc00x"',
    b'"\\u0000"', b'"\x00"', b"\xff", b"\xc3", b"\xef\xbb\xbf", b"[" * 40, b"]" * 40, b'{"k":' * 40,
]  # fmt: skip
FRAGMENTS = st.lists(st.sampled_from(PIECES), max_size=30).map(b"".join)
ANY_BODY = st.one_of(
    st.binary(max_size=300),
    FRAGMENTS,
    JSON.map(lambda value: json.dumps(value).encode()),
    JSON.map(lambda value: json.dumps(value, ensure_ascii=False).encode()),
)


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(item) for item in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(item) for item in value), default=0)
    return 0


def assert_safe(value: Any) -> None:
    """What loads() returns can be stored and serialised again: finite, bounded, no NUL."""
    json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
    assert depth(value) <= json_input.MAX_DEPTH
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, bool) or item is None:
            continue
        if isinstance(item, int):
            assert abs(item) <= json_input.MAX_INT
        elif isinstance(item, float):
            assert math.isfinite(item)
        elif isinstance(item, str):
            assert "\x00" not in item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        else:
            assert isinstance(item, list), type(item)
            stack.extend(item)


# ------------------------------------------------------------------------------------------------
# core/json_input.loads
# ------------------------------------------------------------------------------------------------


@BOUNDED
@given(ANY_BODY)
def test_any_body_is_a_safe_value_or_invalid_json(data: bytes) -> None:
    try:
        value = json_input.loads(data)
    except ApiError as error:
        assert (error.status, error.code) == (400, "invalid_json")
        return
    assert_safe(value)


@BOUNDED
@given(JSON)
def test_every_ordinary_json_value_is_accepted_as_sent(value: Any) -> None:
    assume(depth(value) <= json_input.MAX_DEPTH)
    assert json_input.loads(json.dumps(value).encode()) == value
    assert json_input.loads(json.dumps(value, ensure_ascii=False).encode("utf-8")) == value


# ------------------------------------------------------------------------------------------------
# plugins/auth/bodies.py: Register and Login
# ------------------------------------------------------------------------------------------------

USERNAMES = st.from_regex(r"[A-Za-z0-9_.-]{3,32}", fullmatch=True)
PASSWORDS = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=1100)
FIELD_VALUES = st.one_of(JSON, TEXT, USERNAMES, st.emails(), PASSWORDS)
ANY_FIELDS = st.builds(
    lambda fields, extra: {**extra, **fields},
    st.fixed_dictionaries(
        {}, optional={"username": FIELD_VALUES, "email": FIELD_VALUES, "password": FIELD_VALUES}
    ),
    st.dictionaries(TEXT, JSON, max_size=2),
)
#: Bodies of every shape, many of them close to a valid registration or login.
BODIES = st.one_of(
    ANY_FIELDS,
    st.fixed_dictionaries({"username": USERNAMES, "email": st.emails(), "password": PASSWORDS}),
    st.fixed_dictionaries({"username": USERNAMES | st.emails() | TEXT, "password": PASSWORDS}),
)


@BOUNDED
@given(BODIES)
def test_register_bodies_validate_or_are_refused(auth_app, body: dict[str, Any]) -> None:
    with auth_app.test_request_context():
        try:
            model = Register.model_validate(body)
        except ValidationError:
            return
    assert set(body) == {"username", "email", "password"}
    assert USERNAME.fullmatch(model.username)
    assert model.email == model.email.lower() and len(model.email) <= 254 and "@" in model.email
    normalized = passwords.normalize(model.password)
    assert 8 <= len(normalized) <= passwords.MAX_LENGTH
    assert normalized.casefold() not in passwords.common_passwords()
    assert normalized.casefold() not in {model.username.casefold(), model.email.casefold()}


@BOUNDED
@given(
    USERNAMES,
    st.from_regex(r"[a-z0-9]{1,20}", fullmatch=True),
    st.text(string.ascii_letters + string.digits + " !#%&", min_size=10, max_size=60),
)
def test_well_formed_registrations_are_accepted(auth_app, username: str, local: str, secret: str) -> None:
    body = {"username": username, "email": f"{local}@Example.COM", "password": f"Zq{secret}"}
    with auth_app.test_request_context():
        model = Register.model_validate(body)
    assert (model.username, model.email) == (username, f"{local}@example.com")


@BOUNDED
@given(BODIES)
def test_login_bodies_validate_or_are_refused(auth_app, body: dict[str, Any]) -> None:
    with auth_app.test_request_context():
        try:
            model = Login.model_validate(body)
        except ValidationError:
            return
    assert set(body) == {"username", "password"}
    assert 1 <= len(model.username) <= 254 and 1 <= len(model.password) <= 4096


# ------------------------------------------------------------------------------------------------
# plugins/auth/tokens.decode
# ------------------------------------------------------------------------------------------------

#: Claim values, including what JSON allows beyond the usual (PyJWT reads NaN and Infinity).
CLAIM_VALUES = st.one_of(JSON, st.floats(), st.integers())
#: Values close to what each claim should hold: digits of other scripts, very long numbers, bools.
NEAR_MISSES = {
    "sub": st.one_of(
        st.integers().map(str),
        st.text(st.characters(categories=["Nd", "No"]), min_size=1, max_size=5),
        st.integers(4000, 6000).map(lambda n: "1" * n),
    ),
    "sid": st.one_of(st.booleans(), st.integers(), st.floats(), st.integers().map(str)),
    "exp": st.one_of(st.integers(), st.floats(), st.just(10**30)),
    "iat": st.one_of(st.integers(), st.floats()),
    "aud": st.one_of(st.lists(st.sampled_from(["annex", "other"])), TEXT),
    "typ": st.sampled_from(["access", "refresh", "ACCESS", ""]),
}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@st.composite
def token_strings(draw: st.DrawFn) -> Any:
    """Random text, JWT-shaped strings, and (signed in the test, with the app's real key) tokens
    whose claims and header were tampered with, as only a holder of the key could."""
    kind = draw(st.sampled_from(["text", "shaped", "signed", "signed", "signed"]))
    if kind == "text":
        return draw(st.text(st.characters(exclude_categories=("Cs",)), max_size=200))
    if kind == "shaped":
        header = draw(st.one_of(JSON, st.fixed_dictionaries({"alg": st.sampled_from(["HS256", "none"])})))
        parts = [json.dumps(header).encode(), json.dumps(draw(JSON)).encode(), draw(st.binary(max_size=40))]
        return ".".join(b64(part) for part in parts)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": SITE_URL, "aud": tokens.AUDIENCE, "sub": "1", "sid": 1, "jti": "j", "iat": now - 10,
        "exp": now + 600, "typ": draw(st.sampled_from([tokens.ACCESS, tokens.REFRESH])), "gen": 1,
    }  # fmt: skip
    for name in draw(st.lists(st.sampled_from(sorted(claims)), max_size=2, unique=True)):
        action = draw(st.sampled_from(["near", "near", "near", "any", "drop"]))
        if action == "drop":
            del claims[name]
        else:
            claims[name] = draw(NEAR_MISSES.get(name, CLAIM_VALUES) if action == "near" else CLAIM_VALUES)
    kid = draw(st.sampled_from([CURRENT_KID] * 8 + ["other", "odd"]))
    return claims, draw(CLAIM_VALUES) if kid == "odd" else kid


#: Stands for the app's current key id in a drawn token header.
CURRENT_KID = "<current>"


def sign(claims: dict[str, Any], kid: Any) -> str:
    """An HS256 JWT signed with the app's current key (by hand: PyJWT refuses odd headers)."""
    ring = tokens.keyring()
    header = {"alg": "HS256", "typ": "JWT", "kid": ring.current_kid if kid == CURRENT_KID else kid}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(ring.current.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


@BOUNDED
@given(token_strings(), st.sampled_from([tokens.ACCESS, tokens.REFRESH]))
def test_any_token_string_decodes_to_usable_claims_or_is_refused(auth_app, drawn: Any, typ: str) -> None:
    if not isinstance(drawn, str) and drawn[0].get("typ") in (tokens.ACCESS, tokens.REFRESH):
        typ = drawn[0]["typ"]  # mostly ask for the type the token claims, so that it gets further
    with auth_app.test_request_context():
        token = drawn if isinstance(drawn, str) else sign(*drawn)
        try:
            claims = tokens.decode(token, typ)
        except ApiError as error:
            assert error.status == 401 and error.code in ("unauthorized", "token_expired"), error.to_dict()
            return
    assert_usable(claims, typ)


def assert_usable(claims: dict[str, Any], typ: str) -> None:
    """What callers do next with verified claims must work (plugins/auth/identify.py, routes/session.py)."""
    assert claims["typ"] == typ and claims["iss"] == SITE_URL
    assert type(claims["sid"]) is int, f"session id {claims['sid']!r} accepted: {claims}"
    try:
        int(claims["sub"])  # identify() compares it with the session's user id
    except ValueError:
        pytest.fail(f"subject {str(claims['sub'])[:20]!r}... accepted, but int() of it raises")


@BOUNDED
@given(st.sampled_from(sorted(NEAR_MISSES)).flatmap(lambda name: st.tuples(st.just(name), NEAR_MISSES[name])))
def test_a_signed_token_with_one_odd_claim_is_refused_or_usable(auth_app, claim: tuple[str, Any]) -> None:
    name, value = claim
    now = int(time.time())
    claims = {
        "iss": SITE_URL, "aud": tokens.AUDIENCE, "sub": "1", "sid": 1, "jti": "j", "iat": now - 10,
        "exp": now + 600, "typ": tokens.ACCESS, name: value,
    }  # fmt: skip
    with auth_app.test_request_context():
        try:
            decoded = tokens.decode(sign(claims, CURRENT_KID), tokens.ACCESS)
        except ApiError as error:
            assert error.status == 401 and error.code in ("unauthorized", "token_expired"), error.to_dict()
            return
    assert_usable(decoded, tokens.ACCESS)


# ------------------------------------------------------------------------------------------------
# plugins/profile/model.update_model
# ------------------------------------------------------------------------------------------------

FIELD_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True).filter(lambda name: name not in RESERVED)


@st.composite
def field_specs(draw: st.DrawFn) -> FieldSpec:
    kind = draw(st.sampled_from(["string", "integer", "boolean", "url"]))
    max_length = draw(st.none() | st.integers(1, 80)) if kind in ("string", "url") else None
    return FieldSpec(type=kind, max_length=max_length, required=draw(st.booleans()))


PROFILE_SETTINGS = st.dictionaries(FIELD_NAMES, field_specs(), max_size=3).map(
    lambda fields: ProfileSettings(fields=fields)
)
URLS = st.one_of(
    st.from_regex(
        r"https?://[a-z0-9.-]{1,20}(:[0-9]{1,6})?(/[a-z0-9/%?#=&.:\[\]@ -]{0,30})?", fullmatch=True
    ),
    st.from_regex(r"[a-z+]{0,8}:/{0,3}[^\s]{0,30}", fullmatch=True),
)


@st.composite
def profile_updates(draw: st.DrawFn) -> tuple[ProfileSettings, dict[str, Any]]:
    settings_ = draw(PROFILE_SETTINGS)
    names = sorted(all_fields(settings_))
    chosen = draw(st.lists(st.sampled_from(names), max_size=len(names), unique=True))
    body = {name: draw(st.one_of(JSON, URLS, TEXT)) for name in chosen}
    if draw(st.booleans()):
        body.update(draw(st.dictionaries(st.sampled_from(sorted(RESERVED)) | TEXT, JSON, max_size=2)))
    return settings_, body


@BOUNDED
@given(profile_updates())
def test_profile_updates_validate_or_are_refused(update: tuple[ProfileSettings, dict[str, Any]]) -> None:
    settings_, body = update
    specs = all_fields(settings_)
    try:
        model = update_model(settings_).model_validate(body)
    except ValidationError:
        return
    changes = model.model_dump(exclude_unset=True)
    assert set(changes) == set(body) <= set(specs)
    for name, value in changes.items():
        spec = specs[name]
        if value is None:
            continue
        if spec.type == "integer":
            assert type(value) is int
        elif spec.type == "boolean":
            assert type(value) is bool
        else:
            assert isinstance(value, str) and value == body[name]
            assert len(value) <= (spec.max_length or (MAX_URL if spec.type == "url" else len(value)))
        if spec.type == "url":
            from urllib.parse import urlsplit

            parts = urlsplit(value)
            assert parts.scheme in ("http", "https") and parts.hostname
            assert not any(character.isspace() for character in value)


# ------------------------------------------------------------------------------------------------
# plugins/content/data.check_key
# ------------------------------------------------------------------------------------------------

KEY_ALPHABET = set(string.ascii_letters + string.digits + "_.:-")


@BOUNDED
@given(st.one_of(st.text(max_size=140), st.from_regex(r"[A-Za-z0-9_.:-]{1,128}", fullmatch=True)))
def test_keys_are_accepted_only_when_well_formed(key: str) -> None:
    well_formed = 1 <= len(key) <= 128 and set(key) <= KEY_ALPHABET
    try:
        check_key(key)
    except ApiError as error:
        assert (error.status, error.code, set(error.fields or {})) == (422, "validation_error", {"key"})
        assert not well_formed, f"{key!r} refused"
        return
    assert well_formed, f"{key!r} accepted"
