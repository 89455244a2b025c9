"""``POST /api/emaillink``: always 202, and a mail with a link and a code only where it should go."""

from __future__ import annotations

import re
import time

import pytest

from tests.plugins.auth.conftest import SITE_URL, field_errors, mails, signup, text_of, wait_for_mails
from tests.plugins.emaillink.conftest import PAGE, Mailed, ask, confirm, link_rows, mailed


@pytest.fixture
def alice(client):
    return signup(client, "alice")


def test_a_known_address_gets_a_link_to_the_page_and_a_code(client, alice, mail_dir):
    response = ask(client, "alice@example.com")
    assert response.status_code == 202
    assert response.get_json() == {"status": "accepted"}
    (message,) = wait_for_mails(mail_dir, 1)
    assert "alice@example.com" in message["To"]
    assert message["From"] and message["Subject"]
    got = Mailed(message)
    assert re.search(re.escape(f"{SITE_URL}/{PAGE}?token=") + re.escape(got.token), got.text)
    assert re.fullmatch(r"\d{6}", got.code)
    kinds = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html"} <= kinds
    # The file is readable as it is: the link is whole in the raw message, no soft breaks.
    assert f"{PAGE}?token={got.token}" in message.as_string()


def test_an_unknown_address_answers_the_same_and_is_sent_nothing(client, alice, mail_dir):
    known = ask(client, "alice@example.com")
    wait_for_mails(mail_dir, 1)
    unknown = ask(client, "nobody@example.com")
    assert unknown.status_code == known.status_code == 202
    assert unknown.get_data() == known.get_data()
    time.sleep(0.3)
    assert len(mails(mail_dir)) == 1


def test_the_address_is_matched_in_any_spelling(client, alice, mail_dir):
    got = mailed(client, mail_dir, "ALICE@Example.COM")
    assert "alice@example.com" in got.message["To"]


def test_a_malformed_address_is_a_422_naming_the_field(client):
    assert "email" in field_errors(ask(client, "not an address"))
    assert "email" in field_errors(ask(client, "a" * 250 + "@example.com"))
    assert "email" in field_errors(client.post("/api/emaillink", json={}))


def test_the_page_and_site_url_come_from_the_settings(make_link_app, mail_dir):
    app = make_link_app(
        emaillink={"page": "account/signin.html"}, config={"site": {"url": "https://example.org/club"}}
    )
    client = app.test_client(use_cookies=False)
    signup(client, "alice")
    ask(client, "alice@example.com")
    (message,) = wait_for_mails(mail_dir, 1)
    assert re.search(r"https://example\.org/club/account/signin\.html\?token=[\w-]+", text_of(message))


def test_neither_the_token_nor_the_code_is_stored(app, client, alice, mail_dir):
    got = mailed(client, mail_dir)
    stored = repr(link_rows(app))
    assert len(link_rows(app)) == 1
    assert got.token not in stored
    assert got.code not in stored


def test_a_newer_mail_ends_the_earlier_link_and_code(client, alice, mail_dir):
    first = mailed(client, mail_dir)
    second = mailed(client, mail_dir)
    assert confirm(client, token=first.token).status_code == 400
    if first.code != second.code:  # one chance in a million that they are the same
        assert confirm(client, email="alice@example.com", code=first.code).status_code == 400
    assert confirm(client, token=second.token).status_code == 200


def test_routes_are_404_when_the_plugin_is_off(make_link_app):
    client = make_link_app(enabled=["auth"]).test_client(use_cookies=False)
    assert ask(client, "alice@example.com").status_code == 404
    assert confirm(client, token="x").status_code == 404
