"""What is stored, and what leaves: the secret sealed at rest, recovery codes as hashes only,
the export without either, nothing in the log, every row gone with the account."""

from __future__ import annotations

import base64
import json
import logging

from tests.plugins.totp.conftest import (
    PASSWORD,
    assert_error,
    call,
    mfa,
    mfa_token,
    register,
    stored_rows,
)

TABLES = ("totp_enrolments", "totp_recovery_codes")


def every_stored_text(app) -> str:
    """Every value of every table in the database, as one text."""
    from sqlalchemy import inspect

    from core import get_db

    with app.app_context():
        names = inspect(get_db().executable).get_table_names()
    return json.dumps([stored_rows(app, name) for name in names], default=repr)


def forms_of(secret: str) -> list[str]:
    raw = base64.b32decode(secret)
    """The secret as text in the encodings a careless store might use."""
    encoded = [base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()]
    return [secret, secret.lower(), raw.hex(), *encoded]


def test_the_secret_is_stored_encrypted_and_never_in_the_clear(app, client):
    alice = register(client)
    alice.enrol()
    [row] = stored_rows(app, "totp_enrolments")
    assert row["user_id"] == alice.id
    assert alice.secret not in row["secret"]
    everything = every_stored_text(app)
    assert not [form for form in forms_of(alice.secret) if form in everything]


def test_a_pending_secret_is_stored_encrypted_too(app, client):
    alice = register(client)
    alice.setup()
    assert not [form for form in forms_of(alice.secret) if form in every_stored_text(app)]


def test_the_same_secret_is_never_stored_the_same_way_twice(app, client):
    """A fresh nonce each time: two users' rows (or two setups) share nothing recognisable."""
    alice = register(client)
    alice.setup()
    first = stored_rows(app, "totp_enrolments")[0]["secret"]
    alice.setup()
    second = stored_rows(app, "totp_enrolments")[0]["secret"]
    assert first != second


def test_recovery_codes_are_stored_as_hashes_only(app, client):
    alice = register(client)
    codes = alice.enrol()
    stored = stored_rows(app, "totp_recovery_codes")
    assert len(stored) == 10 and {row["user_id"] for row in stored} == {alice.id}
    everything = every_stored_text(app)
    for code in codes:
        assert code not in everything and code.replace("-", "") not in everything


def test_the_export_says_whether_it_is_on_and_holds_no_secret(client):
    alice = register(client)
    codes = alice.enrol()
    response = alice.call("GET", "/api/user/export")
    assert response.status_code == 200
    document = response.get_json()
    assert document["totp"] == {"enabled": True, "recovery_codes_left": 10}
    text = response.get_data(as_text=True)
    assert not [form for form in forms_of(alice.secret) if form in text]
    assert not [code for code in codes if code in text or code.replace("-", "") in text]


def test_neither_secret_nor_code_is_logged(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    alice = register(client)
    codes = alice.enrol()
    assert mfa(client, mfa_token(client), "totp", alice.code(0)).status_code == 200
    assert mfa(client, mfa_token(client), "recovery_code", codes[0]).status_code == 200
    assert_error(mfa(client, mfa_token(client), "totp", "000000"), 401, "invalid_code")
    alice.call("POST", "/api/totp/recovery-codes")
    logged = caplog.text
    assert not [form for form in forms_of(alice.secret) if form in logged]
    assert not [code for code in codes if code in logged or code.replace("-", "") in logged]


def test_deleting_the_account_drops_every_row(app, client):
    alice = register(client)
    bob = register(client, "bob")
    alice.enrol()
    bob.enrol()
    assert call(client, "DELETE", "/api/user", {"password": PASSWORD}, token=alice.token).status_code == 204
    for table in TABLES:
        assert {row["user_id"] for row in stored_rows(app, table)} == {bob.id}


def test_with_an_encryption_key_the_site_secret_key_may_change(make_totp_app):
    """``plugins.totp.encryption_key`` pins the key: a new ``security.secret_key`` keeps the
    enrolments readable; without it, a new secret key makes them unreadable (enrol again)."""
    key = {"encryption_key": "totp-at-rest-key-0123456789abcdefghijklmnop"}
    first = make_totp_app(totp=key, config={"security": {"secret_key": "x" * 40}})
    client = first.test_client(use_cookies=False)
    alice = register(client)
    codes = alice.enrol()

    rotated = make_totp_app(totp=key, config={"security": {"secret_key": "y" * 40}})
    client = rotated.test_client(use_cookies=False)
    assert mfa(client, mfa_token(client), "totp", alice.code(0)).status_code == 200
    assert mfa(client, mfa_token(client), "recovery_code", codes[0]).status_code == 200

    unkeyed = make_totp_app(config={"security": {"secret_key": "y" * 40}})
    client = unkeyed.test_client(use_cookies=False)
    assert_error(mfa(client, mfa_token(client), "totp", alice.code(1)), 401, "invalid_code")
    assert_error(mfa(client, mfa_token(client), "recovery_code", codes[1]), 401, "invalid_code")


def test_a_row_moved_to_another_account_does_not_decrypt(app, client):
    """The sealed secret is bound to its user: copying alice's row onto bob gives bob nothing."""
    from core import execute

    alice = register(client)
    bob = register(client, "bob")
    alice.enrol()
    bob.enrol()
    sealed = stored_rows(app, "totp_enrolments")
    alices = next(row["secret"] for row in sealed if row["user_id"] == alice.id)
    with app.app_context():
        execute("UPDATE totp_enrolments SET secret = :s WHERE user_id = :u", s=alices, u=bob.id)
    assert_error(mfa(client, mfa_token(client, "bob"), "totp", alice.code(0)), 401, "invalid_code")
