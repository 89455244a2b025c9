"""Who may register (contract v2, "Auth additions"): ``plugins.auth.registration`` = open,
invite or closed, for the register route and every other way an account is made; invitations
from ``annex users invite``; ``GET /api/auth/registration`` tells the frontend."""

from __future__ import annotations

import re

import pytest

from tests.plugins.auth.conftest import (
    PASSWORD,
    SITE_URL,
    assert_error,
    email_of,
    link_token,
    login,
    post,
    text_of,
    wait_for_mails,
)
from tests.testplugins import signin_method


def mode_app(make_auth_app, mode):
    return make_auth_app(auth={"registration": mode}, plugins=[signin_method])


def invite(app, email, *roles):
    args = ["users", "invite", email]
    for role in roles:
        args += ["--role", role]
    return app.test_cli_runner().invoke(args=args)


def register(client, username, email=None, invite=None):
    body = {"username": username, "email": email or email_of(username), "password": PASSWORD}
    if invite is not None:
        body["invite"] = invite
    return post(client, "/api/auth/register", body)


def magic(client, email, **extra):
    return post(client, "/api/magic/signin", {"email": email, "code": "424242", **extra})


@pytest.mark.parametrize("mode", ["open", "invite", "closed"])
def test_the_mode_route(make_auth_app, mode):
    client = mode_app(make_auth_app, mode).test_client()
    response = client.get("/api/auth/registration")
    assert response.status_code == 200
    assert response.get_json() == {"registration": mode}


def test_open_is_the_default(client):
    assert client.get("/api/auth/registration").get_json() == {"registration": "open"}
    assert register(client, "alice").status_code == 201


def test_closed_refuses_every_way_in(make_auth_app):
    client = mode_app(make_auth_app, "closed").test_client(use_cookies=False)
    assert_error(register(client, "alice"), 403, "registration_closed")
    assert_error(magic(client, "new@example.com"), 403, "registration_closed")
    assert login(client, "alice").status_code == 401  # nothing was made


def test_invite_mode_needs_the_invitation_for_that_address(make_auth_app, mail_dir):
    app = mode_app(make_auth_app, "invite")
    client = app.test_client(use_cookies=False)
    assert_error(register(client, "alice"), 403, "registration_closed")
    result = invite(app, "Alice@Example.com", "editor")
    assert result.exit_code == 0, result.output
    message = wait_for_mails(mail_dir, 1)[-1]
    assert message["To"] == "alice@example.com"
    assert f"{SITE_URL}/register.html?token=" in text_of(message)
    token = link_token(message)
    assert token in result.output and "alice@example.com" in result.output
    # a wrong token, or another address, is refused
    assert_error(register(client, "alice", invite="not-the-token"), 403, "registration_closed")
    assert_error(register(client, "bob", invite=token), 403, "registration_closed")
    response = register(client, "alice", invite=token)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["user"]["roles"] == ["member", "editor"]
    # single use
    assert_error(
        register(client, "alice2", email="alice@example.com", invite=token), 403, "registration_closed"
    )


def test_an_invitation_expires_after_seven_days(make_auth_app, mail_dir, clock):
    app = mode_app(make_auth_app, "invite")
    client = app.test_client(use_cookies=False)
    with clock.ago(7 * 86400 + 60):
        assert invite(app, "old@example.com").exit_code == 0
    assert invite(app, "new@example.com").exit_code == 0
    tokens = {m["To"]: link_token(m) for m in wait_for_mails(mail_dir, 2)}
    assert_error(register(client, "old", invite=tokens["old@example.com"]), 403, "registration_closed")
    assert register(client, "new", invite=tokens["new@example.com"]).status_code == 201


def test_other_methods_use_invitations_too(make_auth_app, mail_dir):
    app = mode_app(make_auth_app, "invite")
    client = app.test_client(use_cookies=False)
    assert_error(magic(client, "carol@example.com"), 403, "registration_closed")
    assert invite(app, "carol@example.com", "staff").exit_code == 0
    token = link_token(wait_for_mails(mail_dir, 1)[-1])
    response = magic(client, "carol@example.com", invite=token)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["user"]["roles"] == ["member", "staff"]
    # the account exists now: signing in again needs no invitation
    assert magic(client, "carol@example.com").status_code == 200


def test_the_invite_command_refuses_what_it_cannot_do(make_auth_app):
    app = mode_app(make_auth_app, "open")
    assert register(app.test_client(use_cookies=False), "alice").status_code == 201
    taken = invite(app, "alice@example.com")
    assert taken.exit_code != 0 and "already has an account" in taken.output
    bad = invite(app, "not-an-address")
    assert bad.exit_code != 0 and "email" in bad.output


def test_the_invite_page_setting(make_auth_app, mail_dir):
    app = make_auth_app(auth={"registration": "invite", "invite_page": "join.html"})
    result = invite(app, "dan@example.com")
    assert re.search(re.escape(SITE_URL) + r"/join\.html\?token=", result.output), result.output
    assert f"{SITE_URL}/join.html?token=" in text_of(wait_for_mails(mail_dir, 1)[-1])
