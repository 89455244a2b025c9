"""Concurrent confirmations of one mail: exactly one signs in, whether they race with the token
or with the token and the code (threads against one app, on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from tests.plugins.auth.conftest import run_parallel, signup
from tests.plugins.emaillink.conftest import mailed

RACERS = 8


@pytest.fixture
def alice(client):
    return signup(client, "alice")


def statuses(app, bodies):
    def work(i):
        return app.test_client(use_cookies=False).post("/api/emaillink/confirm", json=bodies[i]).status_code

    return run_parallel(len(bodies), work)


def test_concurrent_confirms_of_one_token_let_exactly_one_in(app, client, alice, mail_dir):
    got = mailed(client, mail_dir)
    results = statuses(app, [{"token": got.token}] * RACERS)
    assert sorted(results) == [200] + [400] * (RACERS - 1), results


def test_the_token_and_the_code_racing_let_exactly_one_in(app, client, alice, mail_dir):
    got = mailed(client, mail_dir)
    by_code = {"email": "alice@example.com", "code": got.code}
    bodies = [{"token": got.token} if i % 2 else by_code for i in range(RACERS)]
    results = statuses(app, bodies)
    assert sorted(results) == [200] + [400] * (RACERS - 1), results


def test_concurrent_wrong_codes_count_each_one(app, client, alice, mail_dir):
    got = mailed(client, mail_dir)
    wrong = f"{(int(got.code) + 1) % 1_000_000:06d}"
    results = statuses(app, [{"email": "alice@example.com", "code": wrong}] * 5)
    assert results == [400] * 5
    # Five wrong codes were counted, however they interleaved: the right one is refused now.
    right = client.post("/api/emaillink/confirm", json={"email": "alice@example.com", "code": got.code})
    assert right.status_code == 400
