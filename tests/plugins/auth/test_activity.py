"""GET /api/auth/activity: the user's own security log, newest first, at most 100 entries."""

from __future__ import annotations

import pytest

from tests.plugins.auth.conftest import (
    NEW_PASSWORD,
    PASSWORD,
    PROBE,
    assert_error,
    call,
    link_token,
    login,
    post,
    refresh,
    seconds_since,
    signin,
    signup,
    wait_for_mails,
)


def events_of(client, token):
    response = call(client, "GET", "/api/auth/activity", token=token)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["events"]


def types_of(client, token):
    return [event["type"] for event in events_of(client, token)]


@pytest.fixture
def account(client):
    return signup(client, "alice", headers={"User-Agent": "TestBrowser/1.0"}, ip="192.0.2.10")


def test_register_is_the_first_event_with_its_fields(client, account):
    events = events_of(client, account.access)
    assert [e["type"] for e in events] == ["register"]
    event = events[0]
    assert set(event) == {"type", "at", "ip", "user_agent"}
    assert abs(seconds_since(event["at"])) < 60
    assert event["ip"] == "192.0.2.10"
    assert event["user_agent"] == "TestBrowser/1.0"


def test_logins_and_failed_logins_are_logged_newest_first(client, account):
    login(client, "alice", "wrong-Password-99", ip="192.0.2.66")
    signin(client, "alice", ip="192.0.2.11")
    events = events_of(client, account.access)
    assert [e["type"] for e in events] == ["login", "login_failed", "register"]
    assert events[1]["ip"] == "192.0.2.66"
    times = [e["at"] for e in events]
    assert times == sorted(times, reverse=True)


def test_a_failed_login_by_email_is_logged_for_the_account(client, account):
    login(client, "alice@example.com", "wrong-Password-99")
    assert types_of(client, account.access)[0] == "login_failed"


def test_logout_is_logged(client, account):
    other = signin(client, "alice")
    post(client, "/api/auth/logout", token=other.access)
    assert types_of(client, account.access)[:2] == ["logout", "login"]


def test_logout_all_is_logged(client, account):
    assert (
        post(client, "/api/auth/logout-all", {"password": PASSWORD}, token=account.access).status_code == 204
    )
    fresh = signin(client, "alice")
    assert types_of(client, fresh.access)[:2] == ["login", "logout_all"]


def test_revoking_another_session_is_logged(client, account):
    other = signin(client, "alice")
    sessions = call(client, "GET", PROBE, token=other.access).get_json()["sessions"]
    (other_id,) = [s["id"] for s in sessions if s["current"]]
    response = call(
        client, "DELETE", f"/api/auth/sessions/{other_id}", {"password": PASSWORD}, token=account.access
    )
    assert response.status_code == 204
    assert types_of(client, account.access)[0] == "session_revoked"


def test_refresh_reuse_is_logged(client, account):
    first = refresh(client, account.refresh).get_json()["refresh_token"]
    refresh(client, first)
    assert refresh(client, account.refresh).status_code == 401  # reuse two generations back
    fresh = signin(client, "alice")
    assert "refresh_reuse" in types_of(client, fresh.access)


def test_an_ordinary_refresh_is_not_a_security_event(client, account):
    refresh(client, account.refresh)
    assert types_of(client, account.access) == ["register"]


def test_password_change_is_logged(client, account):
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert post(client, "/api/auth/password", body, token=account.access).status_code == 204
    assert types_of(client, account.access)[0] == "password_changed"


def test_password_reset_is_logged(client, account, mail_dir):
    post(client, "/api/auth/password-reset", {"email": "alice@example.com"})
    token = link_token(wait_for_mails(mail_dir, 1)[0])
    assert (
        post(
            client, "/api/auth/password-reset/confirm", {"token": token, "new_password": NEW_PASSWORD}
        ).status_code
        == 204
    )
    fresh = signin(client, "alice", NEW_PASSWORD)
    assert types_of(client, fresh.access)[:2] == ["login", "password_reset"]


def test_email_verification_is_logged(client, account, mail_dir):
    post(client, "/api/auth/verify-email", token=account.access)
    token = link_token(wait_for_mails(mail_dir, 1)[0])
    assert post(client, "/api/auth/verify-email/confirm", {"token": token}).status_code == 204
    assert types_of(client, account.access)[0] == "email_verified"


def test_only_the_users_own_events_are_shown(client, account):
    bob = signup(client, "bob")
    login(client, "bob", "wrong-Password-99")
    assert types_of(client, account.access) == ["register"]
    assert types_of(client, bob.access) == ["login_failed", "register"]


def test_at_most_the_last_100_entries_are_shown(client, account):
    for _ in range(104):
        login(client, "alice", "wrong-Password-99")
    signin(client, "alice")
    events = events_of(client, account.access)
    assert len(events) == 100
    assert events[0]["type"] == "login"
    assert "register" not in [e["type"] for e in events]


def test_activity_never_contains_secrets(client, account):
    login(client, "alice", "wrong-Password-99")
    other = signin(client, "alice")
    text = call(client, "GET", "/api/auth/activity", token=account.access).get_data(as_text=True)
    for secret in (
        PASSWORD,
        "wrong-Password-99",
        account.access,
        account.refresh,
        other.access,
        other.refresh,
    ):
        assert secret not in text


def test_only_known_event_types_appear(client, account, mail_dir):
    login(client, "alice", "wrong-Password-99")
    other = signin(client, "alice")
    post(client, "/api/auth/logout", token=other.access)
    known = {
        "register",
        "login",
        "login_failed",
        "refresh_reuse",
        "logout",
        "logout_all",
        "session_revoked",
        "password_changed",
        "password_reset",
        "email_verified",
    }
    assert set(types_of(client, account.access)) <= known


def test_activity_needs_authentication(client, account):
    assert_error(client.get("/api/auth/activity"), 401, "unauthorized")
