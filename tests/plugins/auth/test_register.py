"""POST /api/auth/register: the body, each validation rule, uniqueness and the race."""

from __future__ import annotations

import gzip
import unicodedata
from pathlib import Path

import pytest

from tests.plugins.auth.conftest import (
    PASSWORD,
    PROBE,
    Recorder,
    assert_error,
    call,
    field_errors,
    login,
    parse_time,
    post,
    probe,
    register,
    run_parallel,
    seconds_since,
    signup,
)

PLUGIN_DIR = Path(__file__).resolve().parents[3] / "plugins" / "auth"


# the token body ---------------------------------------------------------------------------------


def test_register_answers_201_with_the_token_body(client):
    response = register(client, "alice", "alice@example.com")
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["access_token"] and body["refresh_token"] and body["access_token"] != body["refresh_token"]
    user = body["user"]
    assert set(user) == {"id", "username", "email", "email_verified", "roles", "created_at"}
    assert isinstance(user["id"], int) and not isinstance(user["id"], bool)
    assert (user["username"], user["email"], user["email_verified"], user["roles"]) == (
        "alice",
        "alice@example.com",
        False,
        ["member"],
    )
    assert abs(seconds_since(user["created_at"])) < 60


def test_register_logs_the_new_user_in(client):
    account = signup(client)
    assert probe(client, account.access).status_code == 200


def test_register_response_is_not_cached(client):
    response = register(client)
    assert response.headers["Cache-Control"] == "no-store"


def test_expires_in_follows_access_token_ttl(make_auth_app):
    client = make_auth_app({"access_token_ttl": 60}).test_client()
    assert register(client).get_json()["expires_in"] == 60


def test_username_is_stored_as_typed_and_email_lower_cased(client):
    account = signup(client, "AliCe.W-9_", email="Alice.W@Example.COM")
    assert account.username == "AliCe.W-9_"
    assert account.email == "alice.w@example.com"
    again = login(client, "AliCe.W-9_").get_json()["user"]
    assert (again["username"], again["email"]) == ("AliCe.W-9_", "alice.w@example.com")


def test_every_new_user_gets_a_distinct_integer_id(client):
    first, second = signup(client, "alice"), signup(client, "bob")
    assert first.id != second.id


def test_user_created_hook_receives_the_new_account(make_auth_app):
    recorder = Recorder()
    client = make_auth_app(plugins=[recorder]).test_client()
    account = signup(client, "alice")
    assert len(recorder.created) == 1
    created = recorder.created[0]
    assert (created["id"], created["username"], created["email"]) == (
        account.id,
        "alice",
        "alice@example.com",
    )
    assert "password" not in created and "password_hash" not in created


# usernames ------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["abc", "a" * 32, "A.b-c_9", "___", "1.2"])
def test_valid_usernames_are_accepted(client, username):
    assert register(client, username, email="someone@example.com").status_code == 201


@pytest.mark.parametrize(
    "username",
    ["ab", "a" * 33, "", "al ice", "alice!", "al@ice", "ålice", "alice\n", "al/ice", "\uff21lice"],
)
def test_invalid_usernames_are_422_naming_username(client, username):
    fields = field_errors(register(client, username, email="someone@example.com"))
    assert "username" in fields
    assert "email" not in fields and "password" not in fields


def test_a_nul_character_in_the_username_is_refused_without_a_500(client):
    response = register(client, "ali\u0000ce", email="someone@example.com")
    assert (response.status_code, error_of_body(response)) in (
        (400, "invalid_json"),
        (422, "validation_error"),
    )


def test_username_must_be_a_string(client):
    body = {"username": 12345, "email": "a@example.com", "password": PASSWORD}
    assert "username" in field_errors(post(client, "/api/auth/register", body))


# emails ---------------------------------------------------------------------------------------


def test_an_email_of_254_characters_is_accepted(client):
    address = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 57 + ".com"
    assert len(address) == 254
    assert register(client, "alice", email=address).status_code == 201


@pytest.mark.parametrize(
    "address",
    [
        "not-an-email",
        "alice@",
        "@example.com",
        "alice@@example.com",
        "alice example@example.com",
        "",
        "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".com",  # 255 characters
    ],
)
def test_invalid_emails_are_422_naming_email(client, address):
    fields = field_errors(register(client, "alice", email=address))
    assert "email" in fields
    assert "username" not in fields


# passwords ------------------------------------------------------------------------------------


def test_password_of_8_characters_is_accepted(client):
    assert register(client, password="zQ8#Lm2!").status_code == 201


def test_password_of_7_characters_is_refused(client):
    assert "password" in field_errors(register(client, password="zQ8#Lm2"))


def test_password_of_1024_characters_is_accepted_and_works(client):
    password = ("Ab3$-long-pass-" * 80)[:1024]
    assert register(client, password=password).status_code == 201
    assert login(client, "alice", password).status_code == 200


def test_password_of_1025_characters_is_refused(client):
    assert "password" in field_errors(register(client, password=("Ab3$-long-pass-" * 80)[:1025]))


def test_password_length_counts_characters_after_nfkc(client):
    # "ﬃ" is one character that NFKC turns into three: 7 typed, 9 after normalisation.
    password = "\ufb03Zq9#kx"
    assert len(password) == 7 and len(unicodedata.normalize("NFKC", password)) == 9
    assert register(client, "alice", password=password).status_code == 201
    # "e" + combining acute is two characters that NFKC composes into one: 11 typed, 7 after.
    short = "e\u0301" * 4 + "Zq9"
    assert len(short) == 11 and len(unicodedata.normalize("NFKC", short)) == 7
    assert "password" in field_errors(register(client, "bob", password=short))


def test_nfkc_equivalent_passwords_are_the_same_password(client):
    signup(client, "alice", password="Kettle\u00b2harbor-\ufb01sh")
    assert login(client, "alice", "Kettle2harbor-fish").status_code == 200


def test_password_is_not_truncated_at_72_bytes(client):
    prefix = "Qx7#mLp2-Vt9$wRz4-Hn6!bKc8-Jd3%sFy5-Gu1&aEo0-Ti4*rWq7-Zl2^pXn9-Mv5(cBd)-Ye"[:72]
    assert len(prefix.encode()) == 72
    first, second = prefix + "A" * 28, prefix + "B" * 28
    assert len(first) == len(second) == 100
    signup(client, "alice", password=first)
    assert_error(login(client, "alice", second), 401, "invalid_credentials")
    assert login(client, "alice", first).status_code == 200


def test_multibyte_passwords_longer_than_72_bytes_are_not_truncated(client):
    prefix = "äöü€" * 9  # 36 characters, 90 bytes
    signup(client, "alice", password=prefix + "ALPHA")
    assert_error(login(client, "alice", prefix + "OMEGA"), 401, "invalid_credentials")
    assert login(client, "alice", prefix + "ALPHA").status_code == 200


@pytest.mark.parametrize(
    "password",
    ["password", "12345678", "qwertyuiop", "iloveyou", "password1", "password123", "qwerty123", "iloveyou1"],
)
def test_common_passwords_are_refused(client, password):
    assert "password" in field_errors(register(client, "alice", password=password))


def shipped_common_passwords() -> list[str]:
    files = [
        p
        for p in PLUGIN_DIR.rglob("*")
        if p.is_file() and "password" in p.name.lower() and "common" in p.name.lower()
    ]
    assert files, f"no common-password list shipped in {PLUGIN_DIR}"
    path = files[0]
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return [line.strip() for line in raw.decode("utf-8", "replace").splitlines() if line.strip()]


def test_the_shipped_common_password_list_has_at_least_10000_entries():
    assert len(set(shipped_common_passwords())) >= 10_000


def test_entries_from_the_whole_common_password_list_are_refused(client):
    # Not only the head of the list: entries spread over all of it (those long enough to be
    # refused only for being common).
    entries = [p for p in shipped_common_passwords() if 8 <= len(p) <= 64 and p.isprintable()]
    sample = entries[:: max(1, len(entries) // 25)][:25] + entries[-3:]
    accepted = [p for p in sample if register(client, "alice", password=p).status_code != 422]
    assert not accepted, f"common passwords accepted: {accepted}"


def test_password_equal_to_the_username_is_refused(client):
    assert "password" in field_errors(register(client, "longusername1", password="longusername1"))


def test_password_equal_to_the_email_is_refused(client):
    response = register(client, "alice", email="alice.w@example.com", password="alice.w@example.com")
    assert "password" in field_errors(response)


# the body as a whole ----------------------------------------------------------------------------


def test_every_bad_field_is_listed_at_once(client):
    fields = field_errors(register(client, "a!", email="nope", password="short"))
    assert {"username", "email", "password"} <= set(fields)


def test_missing_fields_are_each_listed(client):
    fields = field_errors(post(client, "/api/auth/register", {}))
    assert {"username", "email", "password"} <= set(fields)


@pytest.mark.parametrize(
    "extra", [{"roles": ["admin"]}, {"email_verified": True}, {"id": 1}, {"colour": "red"}]
)
def test_unknown_fields_are_422_naming_them(client, extra):
    body = {"username": "alice", "email": "alice@example.com", "password": PASSWORD, **extra}
    fields = field_errors(post(client, "/api/auth/register", body))
    assert set(extra) <= set(fields)
    assert login(client, "alice").status_code == 401  # nothing was created


def test_a_body_that_is_not_json_is_415(client):
    response = client.post(
        "/api/auth/register", data="username=alice", content_type="application/x-www-form-urlencoded"
    )
    assert_error(response, 415, "unsupported_media_type")


def test_malformed_json_is_400(client):
    response = client.post("/api/auth/register", data='{"username": ', content_type="application/json")
    assert_error(response, 400, "invalid_json")


def test_a_json_array_is_400(client):
    assert_error(post(client, "/api/auth/register", ["alice"]), 400, "invalid_json")


def test_get_on_register_is_405_with_allow(client):
    response = call(client, "GET", "/api/auth/register")
    assert_error(response, 405, "method_not_allowed")
    assert "POST" in response.headers["Allow"]


# uniqueness -----------------------------------------------------------------------------------


def test_a_taken_username_is_409_username_taken_whatever_its_case(client):
    signup(client, "Alice")
    assert_error(register(client, "aLICE", email="other@example.com"), 409, "username_taken")


def test_a_taken_email_is_409_email_taken_whatever_its_case(client):
    signup(client, "alice", email="Alice@Example.com")
    assert_error(register(client, "bob", email="ALICE@example.COM"), 409, "email_taken")


def test_a_refused_duplicate_leaves_the_first_account_intact(client):
    signup(client, "alice")
    register(client, "ALICE", email="other@example.com", password="another-Secret-55")
    assert login(client, "alice").status_code == 200
    assert login(client, "ALICE", "another-Secret-55").status_code == 401


def test_twenty_parallel_registrations_of_one_name_give_one_201(app):
    def attempt(i):
        return register(
            app.test_client(), "racer" if i % 2 else "RACER", email=f"racer{i}@example.com"
        ).status_code

    statuses = run_parallel(20, attempt)
    assert sorted(statuses, key=str) == sorted([201] + [409] * 19, key=str), statuses


def test_twenty_parallel_registrations_of_one_email_give_one_201(app):
    def attempt(i):
        response = register(
            app.test_client(), f"racer{i}", email="Racer@example.com" if i % 2 else "racer@example.com"
        )
        return response.status_code, error_of_body(response)

    results = run_parallel(20, attempt)
    assert results.count((201, None)) == 1, results
    assert results.count((409, "email_taken")) == 19, results


def error_of_body(response):
    data = response.get_json(silent=True) or {}
    return data.get("error", {}).get("code")


def test_registered_user_is_listed_with_one_session(client):
    account = signup(client)
    sessions = call(client, "GET", PROBE, token=account.access).get_json()["sessions"]
    assert len(sessions) == 1
    assert parse_time(sessions[0]["created_at"])
