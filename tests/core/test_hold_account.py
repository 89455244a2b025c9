"""``core.hold_account``: a plugin's write of a user's rows is ordered against the account's deletion.

A third-party plugin (tests/testplugins/scribe.py) uses it exactly as docs/plugins.md teaches:
first thing in its write transaction. The owner of accounts answers through the hook: the
test plugin ``allhooks`` in the unit tests, the auth plugin in the ordering tests.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from core import ApiError, hold_account, transaction
from tests.testplugins import allhooks, hello, scribe

PASSWORD = "violet-Kettle-42-harbor"


def test_a_live_account_is_held_and_a_gone_one_refuses_the_write(make_app):
    app = make_app(plugins=[allhooks, scribe])
    with app.app_context():
        scribe.write(7, "kept")  # allhooks owns 7, alive
        with pytest.raises(ApiError) as refused:
            scribe.write(8, "lost")  # and 8, deleted
        assert (refused.value.status, refused.value.code) == (401, "unauthorized")
        assert scribe.lines_of(7) == ["kept"]
        assert scribe.lines_of(8) == []  # the refused write was rolled back with its transaction


def test_holding_needs_a_transaction(make_app):
    app = make_app(plugins=[allhooks])
    with app.app_context(), pytest.raises(RuntimeError, match="transaction"):
        hold_account(7)


def test_without_an_owner_of_accounts_nothing_is_held_or_refused(make_app):
    app = make_app(plugins=[hello, scribe])
    with app.app_context():
        with transaction():
            hold_account(8)
        scribe.write(8, "fine")
        assert scribe.lines_of(8) == ["fine"]


@pytest.fixture
def auth_app(make_app):
    config = {
        "plugins": {"enabled": ["auth"], "auth": {"bcrypt_rounds": 4}},
        "rate_limits": {"enabled": False},
    }
    return make_app(config, plugins=[scribe])


def signup(client: Any, username: str) -> tuple[int, dict[str, str]]:
    body = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json["user"]["id"], {"Authorization": f"Bearer {response.json['access_token']}"}


def delete_account(client: Any, headers: dict[str, str]) -> Any:
    return client.delete("/api/user", json={"password": PASSWORD}, headers=headers)


def test_a_write_after_the_delete_is_refused_as_the_deleted_token_is(auth_app):
    client = auth_app.test_client(use_cookies=False)
    user_id, headers = signup(client, "alice")
    assert client.post("/api/scribe", headers=headers).status_code == 201
    assert delete_account(client, headers).status_code == 204
    with auth_app.app_context():
        assert scribe.lines_of(user_id) == []
        # A request that identified the user just before the delete gets here only now.
        with pytest.raises(ApiError) as refused:
            scribe.write(user_id, "late")
        assert (refused.value.status, refused.value.code) == (401, "token_revoked")
        assert scribe.lines_of(user_id) == []


def test_the_delete_waits_for_a_write_that_holds_the_account(auth_app):
    """A write holds the account and has inserted, uncommitted, when the delete starts: the
    delete must wait for its commit and then drop its row (without the hold, PostgreSQL's delete
    would not see the uncommitted row and finish first, and the row would outlive the account)."""
    client = auth_app.test_client(use_cookies=False)
    user_id, headers = signup(client, "bob")
    inserted, go = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def writer() -> None:
        try:
            with auth_app.app_context(), transaction() as db:
                hold_account(user_id)
                db[scribe.TABLE].insert({"user_id": user_id, "text": "in flight"})
                inserted.set()
                go.wait(30)
            outcome["writer"] = "committed"
        except Exception as exc:  # reported below
            outcome["writer"] = exc

    def deleter() -> None:
        outcome["delete"] = delete_account(auth_app.test_client(use_cookies=False), headers).status_code

    threads = [threading.Thread(target=writer, daemon=True)]
    threads[0].start()
    assert inserted.wait(30)
    threads.append(threading.Thread(target=deleter, daemon=True))
    threads[1].start()
    threads[1].join(0.5)  # give the delete time to finish if nothing holds it back
    go.set()
    for thread in threads:
        thread.join(30)
    assert outcome == {"writer": "committed", "delete": 204}
    with auth_app.app_context():
        assert scribe.lines_of(user_id) == []
