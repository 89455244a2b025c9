"""``flask --app core users …``: create, grant, revoke, list, logout-all, delete."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plugins.auth.conftest import (
    PASSWORD,
    assert_error,
    assert_refused,
    assert_token_refused,
    login,
    probe,
    refresh,
    signin,
    signup,
)

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


def users(app, *args, input=None):
    result = app.test_cli_runner().invoke(args=["users", *args], input=input)
    return result


@pytest.fixture
def created(app):
    result = users(app, "create", "carol", "--email", "Carol@Example.com", "--password", PASSWORD)
    assert result.exit_code == 0, result.output
    return result


def test_users_create_makes_an_account_that_can_log_in(app, client, created):
    response = login(client, "carol")
    assert response.status_code == 200
    user = response.get_json()["user"]
    assert (user["username"], user["email"], user["roles"]) == ("carol", "carol@example.com", ["member"])


def test_users_create_refuses_a_taken_name(app, created):
    result = users(app, "create", "CAROL", "--email", "other@example.com", "--password", PASSWORD)
    assert result.exit_code != 0
    assert login(app.test_client(), "carol", PASSWORD).get_json()["user"]["email"] == "carol@example.com"


def test_users_create_refuses_a_common_password(app, client):
    result = users(app, "create", "dave", "--email", "dave@example.com", "--password", "password123")
    assert result.exit_code != 0
    assert login(client, "dave", "password123").status_code == 401


def test_users_create_refuses_an_invalid_username(app, client):
    result = users(app, "create", "d!", "--email", "dave@example.com", "--password", PASSWORD)
    assert result.exit_code != 0


def test_users_grant_and_revoke_change_the_roles(app, client, created):
    result = users(app, "grant", "carol", "admin")
    assert result.exit_code == 0, result.output
    assert sorted(login(client, "carol").get_json()["user"]["roles"]) == ["admin", "member"]
    result = users(app, "revoke", "carol", "admin")
    assert result.exit_code == 0, result.output
    assert login(client, "carol").get_json()["user"]["roles"] == ["member"]


def test_users_grant_to_an_unknown_user_fails(app):
    assert users(app, "grant", "nobody", "admin").exit_code != 0


def test_a_granted_role_is_in_new_tokens_identity(app, client, created):
    users(app, "grant", "carol", "editor")
    account = signin(client, "carol")
    assert "editor" in account.user["roles"]


def test_users_list_shows_every_account(app, client, created):
    signup(client, "alice")
    result = users(app, "list")
    assert result.exit_code == 0, result.output
    assert "carol" in result.output and "carol@example.com" in result.output
    assert "alice" in result.output and "alice@example.com" in result.output
    assert "$2" not in result.output  # no hashes


def test_users_logout_all_revokes_every_session(app, client):
    account = signup(client, "alice")
    other = signin(client, "alice")
    bob = signup(client, "bob")
    result = users(app, "logout-all", "alice")
    assert result.exit_code == 0, result.output
    for session in (account, other):
        assert_token_refused(probe(client, session.access), "token_revoked")
        assert_refused(refresh(client, session.refresh), "token_revoked")
    assert probe(client, bob.access).status_code == 200


def test_users_delete_removes_the_account_and_its_tokens(app, client):
    account = signup(client, "alice")
    result = users(app, "delete", "alice")
    assert result.exit_code == 0, result.output
    assert_error(login(client, "alice"), 401, "invalid_credentials")
    assert_token_refused(probe(client, account.access), "token_revoked")


def test_users_delete_of_an_unknown_user_fails(app):
    assert users(app, "delete", "nobody").exit_code != 0


@pytest.fixture
def flask_command(tmp_path):
    """Runs the real ``flask --app core`` in a subprocess on a fresh SQLite file."""
    env = {
        **os.environ,
        "ANNEX_CONFIG": str(tmp_path / "absent-is-fine.toml"),
        "ANNEX_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db",
        "ANNEX_SECRET_KEY": "k" * 48,
        "ANNEX__PLUGINS__ENABLED": '["auth"]',
        "ANNEX__PLUGINS__AUTH__BCRYPT_ROUNDS": "4",
    }
    (tmp_path / "absent-is-fine.toml").write_text("[site]\nstatic_dir = ''\n")

    def flask(*args, stdin=subprocess.DEVNULL):
        return subprocess.run(
            [str(BIN / "flask"), "--app", "core", *args],
            cwd=ROOT,
            env=env,
            stdin=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    return flask


def test_the_real_flask_command_creates_and_lists_users(flask_command):
    created = flask_command("users", "create", "erin", "--email", "erin@example.com", "--password", PASSWORD)
    assert created.returncode == 0, created.stderr
    listed = flask_command("users", "list")
    assert listed.returncode == 0, listed.stderr
    assert "erin" in listed.stdout and "erin@example.com" in listed.stdout


def test_users_delete_asks_at_a_terminal_and_not_in_a_script(flask_command):
    created = flask_command("users", "create", "erin", "--email", "erin@example.com", "--password", PASSWORD)
    assert created.returncode == 0, created.stderr

    # A person at a terminal who answers "n" keeps the account.
    controller, terminal = os.openpty()
    try:
        os.write(controller, b"n\n")
        declined = flask_command("users", "delete", "erin", stdin=terminal)
    finally:
        os.close(terminal)
        os.close(controller)
    assert declined.returncode == 1
    assert "delete erin and all their data?" in declined.stdout
    assert "erin@example.com" in flask_command("users", "list").stdout

    # A script (stdin not a terminal) runs `users delete NAME` as the contract writes it.
    deleted = flask_command("users", "delete", "erin")
    assert deleted.returncode == 0, deleted.stderr
    assert "deleted erin" in deleted.stdout
    assert "erin@example.com" not in flask_command("users", "list").stdout
