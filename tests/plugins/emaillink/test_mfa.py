"""The MFA challenge after a link or a code, when the user has a second factor: the
third-party test plugin's PIN (tests/testplugins/signin_method.py), and the totp plugin."""

from __future__ import annotations

import time

import pyotp
import pytest

from tests.plugins.auth.conftest import (
    COOKIES,
    PASSWORD,
    assert_error,
    claims_of,
    https_client,
    post,
    signup,
    text_of,
    wait_for_mails,
)
from tests.plugins.emaillink.conftest import confirm, mailed
from tests.testplugins import signin_method

PIN = "2468"


@pytest.fixture
def app(make_link_app):
    return make_link_app(plugins=[signin_method])


@pytest.fixture
def alice(client):
    account = signup(client, "alice")
    response = post(client, "/api/magic/pin", {"pin": PIN}, token=account.access)
    assert response.status_code == 204, response.get_data(as_text=True)
    return account


def challenge_of(response):
    assert_error(response, 401, "mfa_required")
    assert not set(COOKIES) & {c.split("=", 1)[0] for c in response.headers.getlist("Set-Cookie")}
    assert "access_token" not in response.get_data(as_text=True)
    return response.get_json()["error"]["mfa"]


def test_the_link_of_a_user_with_a_factor_asks_for_it(app, client, alice, mail_dir):
    got = mailed(client, mail_dir)
    mfa = challenge_of(https_client(app).post("/api/emaillink/confirm", json={"token": got.token}))
    assert mfa["factors"] == ["pin"] and mfa["expires_in"] == 300
    done = post(client, "/api/auth/mfa", {"mfa_token": mfa["token"], "factor": "pin", "code": PIN})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert claims_of(done.get_json()["access_token"])["amr"] == ["mail", "pin", "mfa"]
    # The link was spent by the first step.
    assert_error(confirm(client, token=got.token), 400, "invalid_token")


def test_the_code_of_a_user_with_a_factor_asks_for_it_too(client, alice, mail_dir):
    got = mailed(client, mail_dir)
    mfa = challenge_of(confirm(client, email="alice@example.com", code=got.code))
    wrong = post(client, "/api/auth/mfa", {"mfa_token": mfa["token"], "factor": "pin", "code": "0000"})
    assert_error(wrong, 401, "invalid_code")
    done = post(client, "/api/auth/mfa", {"mfa_token": mfa["token"], "factor": "pin", "code": PIN})
    assert done.status_code == 200


def test_with_totp_enrolled_the_link_asks_for_an_authenticator_code(make_link_app, mail_dir):
    app = make_link_app(enabled=["auth", "totp", "emaillink"])
    client = app.test_client(use_cookies=False)
    alice = signup(client, "alice")
    setup = post(client, "/api/totp/setup", {"password": PASSWORD}, token=alice.access)
    assert setup.status_code in (200, 201), setup.get_data(as_text=True)
    secret = setup.get_json()["secret"]
    enabled = post(client, "/api/totp/confirm", {"code": pyotp.TOTP(secret).now()}, token=alice.access)
    assert enabled.status_code in (200, 201, 204), enabled.get_data(as_text=True)
    assert "authenticator app" in text_of(wait_for_mails(mail_dir, 1)[0])  # the owner is told first
    got = mailed(client, mail_dir)
    mfa = challenge_of(confirm(client, token=got.token))
    assert "totp" in mfa["factors"]
    # The next step's code: the one of enrolment is spent (a replayed step is refused).
    code = pyotp.TOTP(secret).at(time.time(), counter_offset=1)
    done = post(client, "/api/auth/mfa", {"mfa_token": mfa["token"], "factor": "totp", "code": code})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert claims_of(done.get_json()["access_token"])["amr"] == ["mail", "otp", "mfa"]
