"""One mailbox, one account: the spellings of an IDN domain and the NFC/NFD forms of an address
are one address, for registration, login and reset (issue 15, "Also seen"; docs/auth.md)."""

from __future__ import annotations

import unicodedata

import pytest

from tests.plugins.auth.conftest import (
    PASSWORD,
    assert_error,
    login,
    mails,
    post,
    register,
    wait_for_mails,
)

NFC = "josé@bücher.example"
SPELLINGS = [
    pytest.param(unicodedata.normalize("NFD", NFC), id="nfd"),
    pytest.param("josé@xn--bcher-kva.example", id="a-label"),
    pytest.param("JOSÉ@BÜCHER.EXAMPLE", id="upper-case"),
    pytest.param("josé@ｂüｃｈｅｒ.example", id="full-width"),
]


def first(client, email=NFC):
    response = register(client, "jose", email=email)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["user"]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_another_spelling_of_a_registered_address_is_taken(client, spelling):
    first(client)
    assert_error(register(client, "other", email=spelling), 409, "email_taken")


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_every_spelling_is_stored_in_one_form_and_signs_in(client, spelling):
    user = first(client, spelling)
    assert user["email"] == NFC and unicodedata.is_normalized("NFC", user["email"])
    assert login(client, NFC).status_code == 200
    assert login(client, spelling).status_code == 200


def test_a_reset_requested_with_another_spelling_reaches_the_account(client, mail_dir):
    first(client)
    before = len(mails(mail_dir))
    address = "josé@xn--bcher-kva.example"
    assert post(client, "/api/auth/password-reset", {"email": address}).status_code == 202
    message = wait_for_mails(mail_dir, before + 1)[-1]
    assert NFC in str(message["To"]) or "xn--bcher-kva.example" in str(message["To"])


def test_a_login_with_a_wrong_password_under_another_spelling_is_still_refused(client):
    first(client)
    assert_error(login(client, "josé@xn--bcher-kva.example", PASSWORD + "x"), 401, "invalid_credentials")
