"""Security review of the MFA challenge: an open challenge is a half-open session, so whatever
ends the account's sessions (a password reset or change, logging out everywhere) ends it too.

Before, a challenge opened with the old password could still be answered for five minutes
after the owner reset the password to lock the person who knew it out.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.plugins.auth.conftest import (
    NEW_PASSWORD,
    PASSWORD,
    assert_error,
    link_token,
    login,
    mails,
    post,
    signup,
    wait_for_mails,
)
from tests.plugins.auth.test_mfa import PIN, challenge_of, enrol_pin, mfa
from tests.testplugins import signin_method


@pytest.fixture
def app(make_auth_app):
    return make_auth_app(plugins=[signin_method])


@pytest.fixture
def alice(client):
    account = signup(client, "alice")
    enrol_pin(client, account.access)
    return account


def signed_in(client: Any) -> str:
    """A full sign-in of alice (password, then the PIN): the access token."""
    response = mfa(client, challenge_of(login(client, "alice"))["token"], code=PIN)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


def test_a_password_reset_ends_an_open_challenge(client, alice, mail_dir):
    pending = challenge_of(login(client, "alice"))["token"]  # someone who knows the password
    before = len(mails(mail_dir))
    assert post(client, "/api/auth/password-reset", {"email": "alice@example.com"}).status_code == 202
    token = link_token(wait_for_mails(mail_dir, before + 1)[-1])
    body = {"token": token, "new_password": NEW_PASSWORD}
    assert post(client, "/api/auth/password-reset/confirm", body).status_code == 204
    assert_error(mfa(client, pending, code=PIN), 400, "invalid_token")


def test_a_password_change_ends_an_open_challenge(client, alice):
    access = signed_in(client)
    pending = challenge_of(login(client, "alice"))["token"]
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert post(client, "/api/auth/password", body, token=access).status_code == 204
    assert_error(mfa(client, pending, code=PIN), 400, "invalid_token")


def test_logging_out_everywhere_ends_an_open_challenge(client, alice):
    access = signed_in(client)
    pending = challenge_of(login(client, "alice"))["token"]
    assert post(client, "/api/auth/logout-all", {"password": PASSWORD}, token=access).status_code == 204
    assert_error(mfa(client, pending, code=PIN), 400, "invalid_token")


def test_a_challenge_opened_after_the_change_still_works(client, alice):
    access = signed_in(client)
    assert post(client, "/api/auth/logout-all", {"password": PASSWORD}, token=access).status_code == 204
    assert mfa(client, challenge_of(login(client, "alice"))["token"], code=PIN).status_code == 200
