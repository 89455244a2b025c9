"""``POST /api/emaillink/confirm``: by the link's token or by (email, code), once across both,
within 15 minutes, five wrong codes at most; it answers as a password login does."""

from __future__ import annotations

import pytest

from tests.plugins.auth.conftest import (
    ACCESS,
    COOKIES,
    assert_error,
    call,
    claims_of,
    field_errors,
    https_client,
    login,
    probe,
    refresh,
    set_cookies,
    signup,
)
from tests.plugins.emaillink.conftest import age_links, confirm, mailed

FIFTEEN_MINUTES = 900


@pytest.fixture
def alice(client):
    return signup(client, "alice")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_the_token_signs_in_with_tokens_and_cookies_and_amr_mail(app, client, alice, mail_dir):
    got = mailed(client, mail_dir)
    browser = https_client(app)
    response = browser.post("/api/emaillink/confirm", json={"token": got.token})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["user"]["id"] == alice.id and body["user"]["username"] == "alice"
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    claims = claims_of(body["access_token"])
    assert claims["amr"] == ["mail"]
    assert abs(claims["auth_time"] - claims["iat"]) <= 2
    assert set(COOKIES) <= set(set_cookies(response))
    assert probe(client, body["access_token"]).status_code == 200
    # The cookies alone are a session too, and the session list says how it began.
    sessions = browser.get("/api/auth/sessions").get_json()["sessions"]
    assert [s["methods"] for s in sessions if s["current"]] == [["mail"]]
    assert browser.get_cookie(ACCESS) is not None


def test_the_code_signs_in_too(client, alice, mail_dir):
    got = mailed(client, mail_dir)
    response = confirm(client, email="Alice@Example.com", code=f"{got.code[:3]} {got.code[3:]}")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert claims_of(response.get_json()["access_token"])["amr"] == ["mail"]


def test_the_token_then_the_code_is_refused(client, alice, mail_dir):
    got = mailed(client, mail_dir)
    assert confirm(client, token=got.token).status_code == 200
    assert_error(confirm(client, email="alice@example.com", code=got.code), 400, "invalid_token")
    assert_error(confirm(client, token=got.token), 400, "invalid_token")


def test_the_code_then_the_token_is_refused(client, alice, mail_dir):
    got = mailed(client, mail_dir)
    assert confirm(client, email="alice@example.com", code=got.code).status_code == 200
    assert_error(confirm(client, token=got.token), 400, "invalid_token")
    assert_error(confirm(client, email="alice@example.com", code=got.code), 400, "invalid_token")


def test_an_unknown_token_is_invalid(client, alice):
    assert_error(confirm(client, token="not-a-token"), 400, "invalid_token")


def test_a_link_and_code_expire_after_fifteen_minutes(app, client, alice, mail_dir):
    got = mailed(client, mail_dir)
    age_links(app, FIFTEEN_MINUTES - 30)
    assert confirm(client, email="alice@example.com", code=wrong(got.code)).status_code == 400
    other = mailed(client, mail_dir)
    age_links(app, FIFTEEN_MINUTES + 1)
    assert_error(confirm(client, token=other.token), 400, "invalid_token")
    assert_error(confirm(client, email="alice@example.com", code=other.code), 400, "invalid_token")


def test_a_link_still_works_just_before_it_expires(app, client, alice, mail_dir):
    got = mailed(client, mail_dir)
    age_links(app, FIFTEEN_MINUTES - 30)
    assert confirm(client, token=got.token).status_code == 200


def test_four_wrong_codes_leave_the_code_working(client, alice, mail_dir):
    got = mailed(client, mail_dir)
    for _ in range(4):
        assert_error(confirm(client, email="alice@example.com", code=wrong(got.code)), 400, "invalid_token")
    assert confirm(client, email="alice@example.com", code=got.code).status_code == 200


def test_five_wrong_codes_end_the_code_but_not_the_link_in_the_owner_s_mailbox(client, alice, mail_dir):
    got = mailed(client, mail_dir)
    for _ in range(5):
        assert_error(confirm(client, email="alice@example.com", code=wrong(got.code)), 400, "invalid_token")
    assert_error(confirm(client, email="alice@example.com", code=got.code), 400, "invalid_token")
    # A stranger's guesses must not spend the owner's link: it still signs in, once.
    assert confirm(client, token=got.token).status_code == 200
    assert_error(confirm(client, token=got.token), 400, "invalid_token")
    # A new mail is a new code with its own five tries.
    fresh = mailed(client, mail_dir)
    assert confirm(client, email="alice@example.com", code=fresh.code).status_code == 200


def test_a_code_for_an_address_without_a_mail_answers_as_a_wrong_code(client, alice, mail_dir):
    got = mailed(client, mail_dir)
    known = confirm(client, email="alice@example.com", code=wrong(got.code))
    unknown = confirm(client, email="nobody@example.com", code=got.code)
    assert_error(known, 400, "invalid_token")
    assert_error(unknown, 400, "invalid_token")
    assert known.get_data() == unknown.get_data()


def test_a_code_is_only_for_the_address_it_was_mailed_to(client, alice, mail_dir):
    signup(client, "bob")
    got = mailed(client, mail_dir)
    assert_error(confirm(client, email="bob@example.com", code=got.code), 400, "invalid_token")


def test_a_body_with_neither_or_both_proofs_is_a_422(client):
    field_errors(confirm(client))
    field_errors(confirm(client, email="alice@example.com"))
    field_errors(confirm(client, code="123456"))
    field_errors(confirm(client, token="abc", email="alice@example.com", code="123456"))
    assert "code" in field_errors(confirm(client, email="alice@example.com", code="12345a"))
    assert "email" in field_errors(confirm(client, email="nope", code="123456"))
    field_errors(confirm(client, token=""))


def test_the_address_of_an_existing_account_becomes_verified(client, alice, mail_dir):
    assert alice.user["email_verified"] is False
    got = mailed(client, mail_dir)
    response = confirm(client, token=got.token)
    assert response.status_code == 200
    assert response.get_json()["user"]["email_verified"] is True
    again = confirm(client, email="alice@example.com", code=mailed(client, mail_dir).code)
    assert again.get_json()["user"]["email_verified"] is True
    events = call(client, "GET", "/api/auth/activity", token=response.get_json()["access_token"])
    types = [event["type"] for event in events.get_json()["events"]]
    assert types.count("email_verified") == 1  # once, at the first sign-in by mail


def test_an_account_made_in_someone_else_s_name_loses_its_creator_s_way_in(client, mail_dir):
    """Pre-hijacking: someone registers alice's address with a password of theirs; when alice
    signs in through her mailbox, that password and its sessions stop working."""
    squatter = signup(client, "alice")  # the address was never proved
    got = mailed(client, mail_dir)
    owner = confirm(client, token=got.token)
    assert owner.status_code == 200
    assert_error(login(client, "alice", squatter.password), 401, "invalid_credentials")
    assert probe(client, squatter.access).status_code == 401
    assert refresh(client, squatter.refresh).status_code == 401
    assert probe(client, owner.get_json()["access_token"]).status_code == 200


def test_a_verified_account_keeps_its_password_and_sessions_after_a_sign_in_by_mail(app, client, mail_dir):
    alice = signup(client, "alice")
    verified = app.test_cli_runner().invoke(args=["users", "verify", "alice"])
    assert verified.exit_code == 0, verified.output
    by_mail = confirm(client, token=mailed(client, mail_dir).token)
    assert by_mail.status_code == 200
    assert login(client, "alice", alice.password).status_code == 200
    assert probe(client, alice.access).status_code == 200


def test_a_link_of_a_deleted_account_is_refused_and_its_rows_are_gone(app, client, alice, mail_dir):
    from tests.plugins.emaillink.conftest import link_rows

    got = mailed(client, mail_dir)
    deleted = call(client, "DELETE", "/api/user", {"password": alice.password}, token=alice.access)
    assert deleted.status_code == 204
    assert link_rows(app) == []
    assert_error(confirm(client, token=got.token), 400, "invalid_token")


def test_the_export_holds_no_token_code_or_hash(app, client, alice, mail_dir):
    from tests.plugins.emaillink.conftest import link_rows

    got = mailed(client, mail_dir)
    signed_in = confirm(client, token=got.token).get_json()
    export = call(client, "GET", "/api/user/export", token=signed_in["access_token"])
    assert export.status_code == 200
    text = export.get_data(as_text=True)
    (row,) = link_rows(app)
    for secret in (got.token, got.code, row["token_hash"], row["code_hash"]):
        assert secret not in text
    mails = export.get_json()["emaillink"]["mails"]
    assert len(mails) == 1 and mails[0]["used_at"]
