"""Rate limits: 3 mails an hour per address, 10 per client IP, 10 wrong confirmations per IP."""

from __future__ import annotations

import pytest

from tests.plugins.auth.conftest import assert_error, signup
from tests.plugins.emaillink.conftest import ask, confirm, mailed


@pytest.fixture
def app(make_link_app):
    return make_link_app(rate_limits=True)


def test_a_fourth_mail_for_one_address_within_the_hour_is_refused(client, mail_dir):
    signup(client, "alice", ip="10.0.0.1")
    for n in range(3):
        assert ask(client, "alice@example.com", ip=f"10.0.1.{n}").status_code == 202
    refused = ask(client, "ALICE@example.com", ip="10.0.1.9")
    assert_error(refused, 429, "rate_limited")
    assert int(refused.headers["Retry-After"]) > 0
    # The same count for an address without an account: the 429 tells nothing.
    for n in range(3):
        assert ask(client, "nobody@example.com", ip=f"10.0.2.{n}").status_code == 202
    assert_error(ask(client, "nobody@example.com", ip="10.0.2.9"), 429, "rate_limited")
    assert ask(client, "other@example.com", ip="10.0.3.1").status_code == 202


def test_an_eleventh_mail_from_one_client_within_the_hour_is_refused(client):
    for n in range(10):
        assert ask(client, f"user{n}@example.com", ip="10.0.0.7").status_code == 202
    assert_error(ask(client, "user99@example.com", ip="10.0.0.7"), 429, "rate_limited")
    assert ask(client, "user99@example.com", ip="10.0.0.8").status_code == 202


def test_ten_wrong_confirmations_from_one_client_stop_the_next(client, mail_dir):
    signup(client, "alice", ip="10.0.0.1")
    got = mailed(client, mail_dir, ip="10.0.0.2")
    for _ in range(10):
        assert_error(confirm_from(client, "10.0.0.5", token="wrong-token"), 400, "invalid_token")
    assert_error(confirm_from(client, "10.0.0.5", token=got.token), 429, "rate_limited")
    # Refused before it was looked at: the link still works from elsewhere.
    assert confirm_from(client, "10.0.0.6", token=got.token).status_code == 200


def test_right_confirmations_are_not_counted(client, mail_dir):
    for n in range(12):
        signup(client, f"user{n}", ip=f"10.1.0.{n}")
        got = mailed(client, mail_dir, f"user{n}@example.com", ip=f"10.2.0.{n}")
        assert confirm_from(client, "10.0.0.5", token=got.token).status_code == 200


def confirm_from(client, ip, **body):
    from tests.plugins.auth.conftest import post

    return post(client, "/api/emaillink/confirm", body, ip=ip)


def test_limits_follow_the_settings(make_link_app, mail_dir):
    client = make_link_app(rate_limits=True, emaillink={"limits": {"request_email": "1/hour"}}).test_client(
        use_cookies=False
    )
    assert ask(client, "x@example.com").status_code == 202
    assert_error(ask(client, "x@example.com"), 429, "rate_limited")
    assert confirm(client, token="t").status_code == 400
