"""Partial updates sent at once by several clients: each one's fields are kept, never a 500."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.plugins.profile.conftest import profile_of, put_profile, signup

THREADS = 6
FIELDS = {f"field_{n}": {"type": "integer"} for n in range(THREADS)}


def run_parallel(count: int, work: Any) -> list[Any]:
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def runner(i: int) -> None:
        try:
            barrier.wait(60)
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=runner, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


@pytest.fixture
def app(make_profile_app):
    return make_profile_app(fields=FIELDS)


def test_first_writes_of_a_new_profile_at_once_keep_every_field(app):
    client = app.test_client(use_cookies=False)
    users = [signup(client, f"user{n}") for n in range(5)]
    clients = [app.test_client(use_cookies=False) for _ in range(THREADS)]
    for user in users:
        results = run_parallel(THREADS, lambda i, user=user: put_profile(clients[i], user, {f"field_{i}": i}))
        codes = [r if isinstance(r, Exception) else r.status_code for r in results]
        assert codes == [200] * THREADS, (user.username, codes)
        profile = profile_of(client, user)
        assert {name: profile[name] for name in FIELDS} == {f"field_{i}": i for i in range(THREADS)}


def test_updates_of_different_fields_at_once_keep_every_field(app):
    client = app.test_client(use_cookies=False)
    alice = signup(client, "alice")
    put_profile(client, alice, {"display_name": "Alice"})
    clients = [app.test_client(use_cookies=False) for _ in range(THREADS)]
    for round_ in range(5):
        results = run_parallel(
            THREADS, lambda i, r=round_: put_profile(clients[i], alice, {f"field_{i}": r * 100 + i}, "PATCH")
        )
        codes = [r if isinstance(r, Exception) else r.status_code for r in results]
        assert codes == [200] * THREADS, (round_, codes)
        profile = profile_of(client, alice)
        assert {name: profile[name] for name in FIELDS} == {
            f"field_{i}": round_ * 100 + i for i in range(THREADS)
        }
        assert profile["display_name"] == "Alice"
