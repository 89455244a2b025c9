"""Reset links die with the password they were sent to replace (issue 15, point 2): another
completed reset, a password change and logout-all end every unused link; a newer request leaves
the older links alive only until one of them is used."""

from __future__ import annotations

import time

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
)

THIRD_PASSWORD = "copper-Willow-19-canyon"


@pytest.fixture
def account(client):
    return signup(client, "alice")


def reset_link(client, mail_dir):
    """The token of a new reset mail (a password change's notice may still be on its way)."""
    resets = len(reset_mails(mail_dir))
    assert post(client, "/api/auth/password-reset", {"email": "alice@example.com"}).status_code == 202
    deadline = time.monotonic() + 5
    while len(reset_mails(mail_dir)) == resets and time.monotonic() < deadline:
        time.sleep(0.05)
    return link_token(reset_mails(mail_dir)[resets])


def reset_mails(mail_dir):
    return [message for message in mails(mail_dir) if message["Subject"] == "Reset your password"]


def confirm(client, token, password=NEW_PASSWORD):
    return post(client, "/api/auth/password-reset/confirm", {"token": token, "new_password": password})


def test_completing_one_reset_ends_every_other_link(client, account, mail_dir):
    first, second, third = (reset_link(client, mail_dir) for _ in range(3))
    assert confirm(client, second).status_code == 204
    assert_error(confirm(client, first, THIRD_PASSWORD), 400, "invalid_token")
    assert_error(confirm(client, third, THIRD_PASSWORD), 400, "invalid_token")
    assert login(client, "alice", NEW_PASSWORD).status_code == 200


def test_a_newer_request_leaves_the_older_link_usable_until_one_is_used(client, account, mail_dir):
    older = reset_link(client, mail_dir)
    newer = reset_link(client, mail_dir)
    assert confirm(client, older).status_code == 204
    assert_error(confirm(client, newer, THIRD_PASSWORD), 400, "invalid_token")


def test_a_password_change_ends_every_link(client, account, mail_dir):
    token = reset_link(client, mail_dir)
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert post(client, "/api/auth/password", body, token=account.access).status_code == 204
    assert_error(confirm(client, token, THIRD_PASSWORD), 400, "invalid_token")
    assert login(client, "alice", NEW_PASSWORD).status_code == 200


def test_logout_all_ends_every_link(client, account, mail_dir):
    token = reset_link(client, mail_dir)
    response = post(client, "/api/auth/logout-all", {"password": PASSWORD}, token=account.access)
    assert response.status_code == 204
    assert_error(confirm(client, token), 400, "invalid_token")
    assert login(client, "alice", PASSWORD).status_code == 200


def test_users_logout_all_on_the_command_line_ends_every_link(app, client, account, mail_dir):
    token = reset_link(client, mail_dir)
    result = app.test_cli_runner().invoke(args=["users", "logout-all", "alice"])
    assert result.exit_code == 0, result.output
    assert_error(confirm(client, token), 400, "invalid_token")


def test_a_link_requested_after_the_change_works(client, account, mail_dir):
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert post(client, "/api/auth/password", body, token=account.access).status_code == 204
    assert confirm(client, reset_link(client, mail_dir), THIRD_PASSWORD).status_code == 204
    assert login(client, "alice", THIRD_PASSWORD).status_code == 200
