"""Changing the account's email address (contract v2, "Auth additions"): ``POST /api/auth/email``
with step-up mails a 24-hour single-use link to the new address and a notice to the old one;
``POST /api/auth/email/confirm`` makes the change."""

from __future__ import annotations

import re

import pytest

from tests.plugins.auth.conftest import (
    NEW_PASSWORD,
    PASSWORD,
    SITE_URL,
    as_text,
    assert_error,
    call,
    expire_stored,
    expiries_around,
    field_errors,
    link_token,
    login,
    mails,
    post,
    run_parallel,
    signin,
    signup,
    stored_values,
    text_of,
    wait_for_mails,
)

DAY = 24 * 60 * 60
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/9.1"


def change(client, token, new_email="new@example.com", **extra):
    body = {"new_email": new_email, **extra}
    headers = {"User-Agent": BROWSER}
    return post(client, "/api/auth/email", body, token=token, headers=headers, ip="203.0.113.7")


def confirm(client, token):
    return post(client, "/api/auth/email/confirm", {"token": token})


def requested(client, mail_dir, account, new_email="new@example.com", to=None):
    """Ask for the change; the confirmation message (to ``to``, else ``new_email``) and the notice."""
    before = len(mails(mail_dir))
    response = change(client, account.access, new_email)
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.get_json() == {"status": "accepted"}
    sent = wait_for_mails(mail_dir, before + 2)[before:]
    by_address = {message["To"]: message for message in sent}
    return by_address[to or new_email], by_address[account.email]


@pytest.fixture
def alice(client):
    return signup(client, "alice")


def email_of_login(client, login_name, password=PASSWORD):
    return signin(client, login_name, password).user


def test_the_new_address_gets_a_link_and_nothing_changes_before_it_is_used(client, mail_dir, alice):
    confirmation, _ = requested(client, mail_dir, alice)
    token = link_token(confirmation)
    assert f"{SITE_URL}/confirm-email.html?token={token}" in text_of(confirmation)
    assert "24 hours" in text_of(confirmation)
    user = email_of_login(client, "alice@example.com")
    assert user["email"] == "alice@example.com"
    assert_error(login(client, "new@example.com"), 401, "invalid_credentials")


def test_the_old_address_is_told_what_when_from_where_and_what_to_do(client, mail_dir, alice):
    _, notice = requested(client, mail_dir, alice)
    text = text_of(notice)
    assert "new@example.com" in text
    assert "203.0.113.7" in text
    assert "TestBrowser/9.1" in text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", text), text
    assert "not you" in text and "password" in text
    assert "?token=" not in text  # the old address gets no link that would make the change


def test_confirming_changes_the_address_verified_and_logs_it(client, mail_dir, alice):
    confirmation, _ = requested(client, mail_dir, alice)
    assert confirm(client, link_token(confirmation)).status_code == 204
    user = email_of_login(client, "new@example.com")
    assert (user["id"], user["email"], user["email_verified"]) == (alice.id, "new@example.com", True)
    assert_error(login(client, "alice@example.com"), 401, "invalid_credentials")
    events = call(client, "GET", "/api/auth/activity", token=alice.access).get_json()["events"]
    assert "email_changed" in [event["type"] for event in events]


def test_the_link_works_once(client, mail_dir, alice):
    token = link_token(requested(client, mail_dir, alice)[0])
    assert confirm(client, token).status_code == 204
    assert_error(confirm(client, token), 400, "invalid_token")


def test_two_confirmations_at_once_change_it_once(client, mail_dir, alice):
    token = link_token(requested(client, mail_dir, alice)[0])
    statuses = sorted(response.status_code for response in run_parallel(4, lambda _: confirm(client, token)))
    assert statuses == [204, 400, 400, 400]


def test_the_link_lasts_24_hours(app, client, mail_dir, alice):
    token = link_token(requested(client, mail_dir, alice)[0])
    expiry = expiries_around(app, DAY)
    assert expiry, "no stored expiry 24 hours ahead"
    expire_stored(app, expiry, DAY + 1)
    assert_error(confirm(client, token), 400, "invalid_token")
    assert email_of_login(client, "alice")["email"] == "alice@example.com"


def test_a_link_nearly_a_day_old_still_works(app, client, mail_dir, alice):
    token = link_token(requested(client, mail_dir, alice)[0])
    expire_stored(app, expiries_around(app, DAY), DAY - 600)
    assert confirm(client, token).status_code == 204


def test_only_the_newest_request_s_link_works(client, mail_dir, alice):
    first = link_token(requested(client, mail_dir, alice, "first@example.com")[0])
    second = link_token(requested(client, mail_dir, alice, "second@example.com")[0])
    assert_error(confirm(client, first), 400, "invalid_token")
    assert confirm(client, second).status_code == 204
    assert email_of_login(client, "alice")["email"] == "second@example.com"


def test_the_link_is_bound_to_the_account_that_asked(client, mail_dir, alice):
    bob = signup(client, "bob")
    token = link_token(requested(client, mail_dir, bob, "bobs-new@example.com")[0])
    assert confirm(client, token).status_code == 204
    assert email_of_login(client, "alice")["email"] == "alice@example.com"
    assert email_of_login(client, "bob")["email"] == "bobs-new@example.com"


def test_an_address_taken_meanwhile_is_409_and_nothing_changes(client, mail_dir, alice):
    token = link_token(requested(client, mail_dir, alice)[0])
    signup(client, "newcomer", email="NEW@example.com")
    assert_error(confirm(client, token), 409, "email_taken")
    assert email_of_login(client, "alice")["email"] == "alice@example.com"


def test_a_taken_address_is_409_at_once_and_mails_nothing(client, mail_dir, alice):
    signup(client, "bob")
    before = len(mails(mail_dir))
    assert_error(change(client, alice.access, "Bob@Example.com"), 409, "email_taken")
    assert len(mails(mail_dir)) == before


def test_the_account_s_own_address_in_any_spelling_is_refused(client, alice):
    response = change(client, alice.access, "ALICE@example.COM")
    assert "new_email" in field_errors(response)


@pytest.mark.parametrize("bad", ["not-an-address", "a@b@c.example", "x" * 250 + "@example.com", ""])
def test_an_invalid_address_is_422(client, alice, bad):
    assert "new_email" in field_errors(change(client, alice.access, bad))


def test_the_new_address_is_stored_as_registration_stores_one(client, mail_dir, alice):
    confirmation, _ = requested(client, mail_dir, alice, "Zoë@BÜCHER.example", to="zoë@bücher.example")
    assert confirm(client, link_token(confirmation)).status_code == 204
    assert email_of_login(client, "alice")["email"] == "zoë@bücher.example"
    assert email_of_login(client, "zoë@xn--bcher-kva.example")["username"] == "alice"


def test_nobody_signed_in_gets_401(client):
    assert_error(post(client, "/api/auth/email", {"new_email": "new@example.com"}), 401, "unauthorized")


def test_an_old_sign_in_needs_a_proof_in_the_body(client, clock, mail_dir):
    signup(client, "alice")
    with clock.ago(301):
        stale = signin(client, "alice")
    response = change(client, stale.access)
    assert_error(response, 403, "reauth_required")
    assert response.get_json()["error"]["methods"] == ["password"]
    assert_error(change(client, stale.access, password="wrong-password-1"), 401, "invalid_credentials")
    before = len(mails(mail_dir))
    assert change(client, stale.access, password=PASSWORD).status_code == 202
    wait_for_mails(mail_dir, before + 2)


def test_a_password_change_cancels_a_pending_change(client, mail_dir, alice):
    token = link_token(requested(client, mail_dir, alice)[0])
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert post(client, "/api/auth/password", body, token=alice.access).status_code == 204
    assert_error(confirm(client, token), 400, "invalid_token")


def test_reset_links_sent_to_the_old_address_die_with_the_change(client, mail_dir, alice):
    assert post(client, "/api/auth/password-reset", {"email": alice.email}).status_code == 202
    reset = link_token(wait_for_mails(mail_dir, 1)[-1])
    assert confirm(client, link_token(requested(client, mail_dir, alice)[0])).status_code == 204
    body = {"token": reset, "new_password": NEW_PASSWORD}
    assert_error(post(client, "/api/auth/password-reset/confirm", body), 400, "invalid_token")


def test_only_a_hash_of_the_token_is_stored(app, client, mail_dir, alice):
    token = link_token(requested(client, mail_dir, alice)[0])
    assert not [found for found in stored_values(app) if token in (as_text(found[2]) or "")]


@pytest.mark.parametrize("token", ["", "x" * 300])
def test_a_malformed_token_is_422_and_an_unknown_one_400(client, token):
    assert "token" in field_errors(confirm(client, token))
    assert_error(confirm(client, "never-issued"), 400, "invalid_token")


def test_the_confirmation_page_is_a_setting(make_auth_app, mail_dir):
    app = make_auth_app(auth={"email_change_page": "account/new-address.html"})
    client = app.test_client(use_cookies=False)
    account = signup(client, "alice")
    confirmation, _ = requested(client, mail_dir, account)
    assert f"{SITE_URL}/account/new-address.html?token=" in text_of(confirmation)


def test_requests_are_limited_per_account(make_auth_app, mail_dir):
    client = make_auth_app(rate_limits=True).test_client(use_cookies=False)
    account = signup(client, "alice")
    statuses = [change(client, account.access, f"new{i}@example.com").status_code for i in range(6)]
    assert statuses == [202] * 5 + [429]


def test_the_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert set(paths["/api/auth/email"]["post"]["responses"]) >= {"202", "403", "409", "422"}
    assert set(paths["/api/auth/email/confirm"]["post"]["responses"]) >= {"204", "400", "409"}
