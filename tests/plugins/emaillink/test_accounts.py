"""Account creation by link (``plugins.emaillink.create_accounts``), through the site's
registration rule (``plugins.auth.registration``)."""

from __future__ import annotations

import time

import pytest

from tests.plugins.auth.conftest import assert_error, claims_of, login, mails, signup
from tests.plugins.emaillink.conftest import ask, confirm, mailed


@pytest.fixture
def app(make_link_app):
    return make_link_app(emaillink={"create_accounts": True})


def test_an_unknown_address_gets_a_link_that_creates_the_account(client, mail_dir):
    got = mailed(client, mail_dir, "New.Person@Example.com")
    assert "new.person@example.com" in got.message["To"]
    response = confirm(client, token=got.token)
    assert response.status_code == 200, response.get_data(as_text=True)
    user = response.get_json()["user"]
    assert user["email"] == "new.person@example.com"
    assert user["username"] == "new.person"
    assert user["email_verified"] is True
    assert claims_of(response.get_json()["access_token"])["amr"] == ["mail"]
    # The account has no password: password login fails as for a wrong one.
    assert_error(login(client, "new.person", "anything-at-all-42"), 401, "invalid_credentials")
    # And it signs in by mail from now on.
    again = mailed(client, mail_dir, "new.person@example.com")
    by_code = confirm(client, email="new.person@example.com", code=again.code)
    assert by_code.get_json()["user"]["id"] == user["id"]


def test_the_username_is_made_unique(client, mail_dir):
    signup(client, "carol")
    got = mailed(client, mail_dir, "carol@elsewhere.example")
    response = confirm(client, token=got.token)
    assert response.status_code == 200, response.get_data(as_text=True)
    name = response.get_json()["user"]["username"]
    assert name != "carol" and name.startswith("carol")


def test_the_code_creates_the_account_too(client, mail_dir):
    got = mailed(client, mail_dir, "dora@example.com")
    response = confirm(client, email="dora@example.com", code=got.code)
    assert response.status_code == 200
    assert response.get_json()["user"]["email"] == "dora@example.com"


def test_an_account_registered_meanwhile_is_signed_into_not_duplicated(client, mail_dir):
    got = mailed(client, mail_dir, "erin@example.com")
    erin = signup(client, "erin")
    response = confirm(client, token=got.token)
    assert response.status_code == 200
    assert response.get_json()["user"]["id"] == erin.id


def test_with_creation_off_an_unknown_address_is_sent_nothing(make_link_app, mail_dir):
    client = make_link_app().test_client(use_cookies=False)
    assert ask(client, "nobody@example.com").status_code == 202
    time.sleep(0.3)
    assert mails(mail_dir) == []


@pytest.mark.parametrize("registration", ["closed", "invite"])
def test_a_closed_registration_refuses_the_account_on_confirmation(make_link_app, mail_dir, registration):
    app = make_link_app(emaillink={"create_accounts": True}, auth={"registration": registration})
    client = app.test_client(use_cookies=False)
    got = mailed(client, mail_dir, "frank@example.com")
    assert_error(confirm(client, token=got.token), 403, "registration_closed")
    # Nobody was made: the address still has no account.
    assert_error(login(client, "frank@example.com", "whatever-it-is-42"), 401, "invalid_credentials")
    other = mailed(client, mail_dir, "frank@example.com")
    assert_error(confirm(client, email="frank@example.com", code=other.code), 403, "registration_closed")


def test_with_registration_closed_existing_accounts_still_sign_in(make_link_app, mail_dir):
    signup(make_link_app().test_client(use_cookies=False), "gina")  # made while it was open
    app = make_link_app(emaillink={"create_accounts": True}, auth={"registration": "closed"})
    client = app.test_client(use_cookies=False)
    got = mailed(client, mail_dir, "gina@example.com")
    assert confirm(client, token=got.token).status_code == 200
