"""The operator commands of contract v2 ("Operator commands (v2)"): ``annex users set-password``,
``verify``, ``show``, ``list --json --role --search`` (``disable``/``enable``: test_disabled.py),
each printing one line of what it did, failing with a one-line reason, never printing a secret."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.plugins.auth.conftest import (
    NEW_PASSWORD,
    PASSWORD,
    assert_error,
    assert_refused,
    assert_token_refused,
    link_token,
    login,
    post,
    probe,
    refresh,
    signin,
    signup,
    wait_for_mails,
)
from tests.testplugins import signin_method

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
THIRD_PASSWORD = "copper-Window-19-valley"


@pytest.fixture
def app(make_auth_app):
    return make_auth_app(plugins=[signin_method])


def users(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["users", *args], input=input)


def ok(result):
    assert result.exit_code == 0, result.output
    return result.output


def failed(result):
    """A failure: non-zero, and its reason on one line."""
    assert result.exit_code != 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.output
    return lines[0]


# ---------------------------------------------------------------------------------- set-password


def test_set_password_asks_twice_and_the_new_one_signs_in(app, client):
    signup(client, "alice")
    output = ok(users(app, "set-password", "alice", input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n"))
    assert NEW_PASSWORD not in output
    assert "set the password of alice" in output
    assert_error(login(client, "alice", PASSWORD), 401, "invalid_credentials")
    assert login(client, "alice", NEW_PASSWORD).status_code == 200


def test_set_password_asks_again_when_the_two_differ(app, client):
    signup(client, "alice")
    typed = f"{NEW_PASSWORD}\n{THIRD_PASSWORD}\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
    ok(users(app, "set-password", "alice", input=typed))
    assert login(client, "alice", NEW_PASSWORD).status_code == 200


def test_set_password_reads_one_line_of_stdin_for_scripts(app, client):
    signup(client, "alice")
    ok(users(app, "set-password", "alice", "--password-stdin", input=f"{NEW_PASSWORD}\nignored\n"))
    assert login(client, "alice", NEW_PASSWORD).status_code == 200


def test_set_password_applies_the_password_rules(app, client):
    signup(client, "alice")
    for weak in ("short", "password123"):
        reason = failed(users(app, "set-password", "alice", "--password-stdin", input=f"{weak}\n"))
        assert "password" in reason and weak not in reason
    assert "no password" in failed(users(app, "set-password", "alice", "--password-stdin", input="\n"))
    assert login(client, "alice", PASSWORD).status_code == 200


def test_set_password_ends_every_session_and_reset_link(app, client, mail_dir):
    first = signup(client, "alice")
    second = signin(client, "alice")
    assert post(client, "/api/auth/password-reset", {"email": "alice@example.com"}).status_code == 202
    reset = link_token(wait_for_mails(mail_dir, 1)[-1])
    output = ok(users(app, "set-password", "alice", "--password-stdin", input=NEW_PASSWORD + "\n"))
    assert "ended 2 session(s)" in output
    for session in (first, second):
        assert_token_refused(probe(client, session.access), "token_revoked")
        assert_refused(refresh(client, session.refresh), "token_revoked")
    body = {"token": reset, "new_password": THIRD_PASSWORD}
    assert_error(post(client, "/api/auth/password-reset/confirm", body), 400, "invalid_token")


def test_set_password_gives_an_account_without_one_a_password(app, client):
    assert post(client, "/api/magic/signin", {"email": "mo@example.com", "code": "424242"}).status_code == 200
    assert_error(login(client, "mo@example.com", NEW_PASSWORD), 401, "invalid_credentials")
    ok(users(app, "set-password", "mo@example.com", "--password-stdin", input=NEW_PASSWORD + "\n"))
    assert login(client, "mo@example.com", NEW_PASSWORD).status_code == 200


def test_set_password_of_an_unknown_user_fails(app):
    assert "no user nobody" in failed(users(app, "set-password", "nobody", "--password-stdin", input="x\n"))


# ---------------------------------------------------------------------------------------- verify


def test_verify_marks_the_email_verified(app, client):
    signup(client, "alice")
    assert signin(client, "alice").user["email_verified"] is False
    assert "marked alice@example.com of alice verified" in ok(users(app, "verify", "alice"))
    assert signin(client, "alice").user["email_verified"] is True
    assert "already verified" in ok(users(app, "verify", "alice"))
    assert "no user nobody" in failed(users(app, "verify", "nobody"))


# ------------------------------------------------------------------------------------------ show


def test_show_tells_the_account_without_a_secret(app, client):
    alice = signup(client, "alice")
    signin(client, "alice")
    post(client, "/api/magic/signin", {"email": "alice@example.com", "code": "424242"})
    assert post(client, "/api/magic/pin", {"pin": "1357"}, token=alice.access).status_code == 204
    ok(users(app, "grant", "alice", "editor"))
    output = ok(users(app, "show", "alice"))
    lines = dict(line.split(": ", 1) for line in output.splitlines())
    assert lines["id"] == str(alice.id)
    assert lines["username"] == "alice"
    assert lines["email"] == "alice@example.com (unverified)"
    assert lines["roles"] == "editor, member"
    assert lines["disabled"] == "no"
    assert set(lines["sign-in methods"].split(", ")) == {"password", "magic"}
    assert lines["second factors"] == "pin"
    assert lines["sessions"] == "3 active"
    assert lines["last login"].startswith("login at ")
    assert "$2" not in output and "1357" not in output and alice.access not in output


def test_show_json_has_the_same_and_says_disabled(app, client):
    signup(client, "alice")
    ok(users(app, "disable", "alice"))
    shown = json.loads(ok(users(app, "show", "alice@example.com", "--json")))
    assert (shown["username"], shown["disabled"], shown["sessions"]) == ("alice", True, 0)
    assert shown["sign_in_methods"] == ["password"]
    assert shown["second_factors"] == []
    assert shown["last_activity"]["type"] == "account_disabled"
    assert "password_hash" not in shown
    assert "no user nobody" in failed(users(app, "show", "nobody"))


# ------------------------------------------------------------------------------------------ list


@pytest.fixture
def three(app, client):
    for name in ("alice", "bob", "carol"):
        signup(client, name)
    ok(users(app, "grant", "bob", "admin"))
    ok(users(app, "disable", "carol"))


def test_list_shows_every_account_and_which_are_disabled(app, three):
    lines = ok(users(app, "list")).splitlines()
    assert [line.split("\t")[1] for line in lines] == ["alice", "bob", "carol"]
    assert lines[2].endswith("\tdisabled") and not lines[0].endswith("disabled")


def test_list_json_is_one_array_of_public_fields(app, three):
    found = json.loads(ok(users(app, "list", "--json")))
    assert [user["username"] for user in found] == ["alice", "bob", "carol"]
    assert set(found[0]) == {"id", "username", "email", "email_verified", "roles", "created_at", "disabled"}
    assert [user["disabled"] for user in found] == [False, False, True]


def test_list_filters_by_role_and_search(app, three):
    def names(*options):
        return [user["username"] for user in json.loads(ok(users(app, "list", "--json", *options)))]

    assert names("--role", "admin") == ["bob"]
    assert names("--search", "AR") == ["carol"]
    assert names("--search", "@EXAMPLE") == ["alice", "bob", "carol"]
    assert names("--search", "%") == names("--search", "_") == []  # matched as themselves
    assert names("--role", "member", "--search", "zed") == []
    assert ok(users(app, "list", "--role", "nobody-has-it")) == ""


# ------------------------------------------------------------------------- the real console script


def test_the_annex_script_runs_the_commands(tmp_path, database_url):
    """``annex`` as an operator types it, in a subprocess on the test's database."""
    config = tmp_path / "annex.toml"
    config.write_text("[site]\nstatic_dir = ''\n")
    env = {
        **os.environ,
        "ANNEX_CONFIG": str(config),
        "ANNEX_DATABASE_URL": database_url,
        "ANNEX_SECRET_KEY": "k" * 48,
        "ANNEX__PLUGINS__ENABLED": '["auth"]',
        "ANNEX__PLUGINS__AUTH__BCRYPT_ROUNDS": "4",
    }

    def annex(*args, stdin=""):
        return subprocess.run(
            [str(BIN / "annex"), *args],
            cwd=ROOT,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def done(*args, stdin=""):
        result = annex(*args, stdin=stdin)
        assert result.returncode == 0, result.stderr
        return result.stdout

    done("users", "create", "erin", "--email", "erin@example.com", "--password", PASSWORD)
    assert done("users", "set-password", "erin", "--password-stdin", stdin=NEW_PASSWORD + "\n").startswith(
        "set the password of erin"
    )
    assert done("users", "disable", "erin").startswith("disabled erin")
    assert done("users", "verify", "erin").startswith("marked erin@example.com of erin verified")
    shown = json.loads(done("users", "show", "erin", "--json"))
    assert (shown["disabled"], shown["email_verified"]) == (True, True)
    assert [u["username"] for u in json.loads(done("users", "list", "--json", "--search", "eri"))] == ["erin"]
    assert done("users", "enable", "erin") == "enabled erin\n"
    missing = annex("users", "show", "nobody")
    assert missing.returncode != 0
    assert missing.stderr.strip().splitlines()[-1] == "Error: no user nobody"
    assert NEW_PASSWORD not in missing.stdout + missing.stderr
