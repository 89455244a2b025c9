"""Real concurrency on one key: threads, each with its own test client, released by a barrier.

Two clients writing one key with If-Match: exactly one wins, the others get 412; nothing is lost
or merged silently. Never a 500.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.plugins.content.conftest import (
    delete_value,
    get_value,
    items_of,
    put_value,
    run_parallel,
    signup,
    stored_value,
)

THREADS = 6
ROUNDS = 25


@pytest.fixture
def alice(client):
    return signup(client, "alice")


@pytest.fixture
def clients(app):
    return [app.test_client(use_cookies=False) for _ in range(THREADS)]


def statuses(results: list[Any]) -> list[Any]:
    return [result if isinstance(result, Exception) else result.status_code for result in results]


def test_if_match_race_has_exactly_one_winner_every_round(client, clients, alice):
    etag = put_value(client, alice, "doc", {"round": -1}).headers["ETag"]
    for round_ in range(ROUNDS):

        def write(i: int, etag: str = etag, round_: int = round_) -> Any:
            return put_value(clients[i], alice, "doc", {"round": round_, "writer": i}, {"If-Match": etag})

        results = run_parallel(THREADS, write)
        codes = statuses(results)
        assert sorted(codes, key=str) == [200] + [412] * (THREADS - 1), (round_, codes)
        winner = codes.index(200)
        current = get_value(client, alice, "doc")
        assert current.get_json()["value"] == {"round": round_, "writer": winner}
        assert current.headers["ETag"] == results[winner].headers["ETag"]
        for loser, response in enumerate(results):
            if loser != winner:
                assert response.get_json()["error"]["code"] == "precondition_failed"
        etag = current.headers["ETag"]


def test_if_none_match_race_creates_once_every_round(client, clients, alice):
    for round_ in range(ROUNDS):
        key = f"new-{round_}"

        def create(i: int, key: str = key) -> Any:
            return put_value(clients[i], alice, key, {"writer": i}, {"If-None-Match": "*"})

        codes = statuses(run_parallel(THREADS, create))
        assert sorted(codes, key=str) == [201] + [412] * (THREADS - 1), (round_, codes)
        assert stored_value(client, alice, key) == {"writer": codes.index(201)}


def test_read_modify_write_with_retries_loses_no_increment(client, clients, alice):
    put_value(client, alice, "counter", 0)
    increments = 8

    def worker(i: int) -> dict[str, int]:
        done = conflicts = 0
        while done < increments:
            current = get_value(clients[i], alice, "counter")
            assert current.status_code == 200, current.status
            value = current.get_json()["value"]
            response = put_value(
                clients[i], alice, "counter", value + 1, {"If-Match": current.headers["ETag"]}
            )
            if response.status_code == 200:
                done += 1
            else:
                assert response.status_code == 412, response.get_data(as_text=True)
                conflicts += 1
        return {"done": done, "conflicts": conflicts}

    results = run_parallel(THREADS, worker, timeout=300)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert stored_value(client, alice, "counter") == THREADS * increments


def test_unconditional_writes_to_one_new_key_all_succeed(client, clients, alice):
    for round_ in range(10):
        key = f"free-{round_}"

        def write(i: int, key: str = key) -> Any:
            return put_value(clients[i], alice, key, {"writer": i})

        codes = statuses(run_parallel(THREADS, write))
        assert sorted(codes, key=str) == [200] * (THREADS - 1) + [201], (round_, codes)
        assert stored_value(client, alice, key)["writer"] in range(THREADS)


def test_unconditional_writes_to_one_existing_key_all_succeed(client, clients, alice):
    """Without If-Match a write asks for no precondition: a 412 would be a lie, a 500 a bug."""
    put_value(client, alice, "free", "start")
    for round_ in range(10):

        def write(i: int, round_: int = round_) -> Any:
            return put_value(clients[i], alice, "free", {"round": round_, "writer": i})

        codes = statuses(run_parallel(THREADS, write))
        assert codes == [200] * THREADS, (round_, codes)
        assert stored_value(client, alice, "free")["round"] == round_


def test_delete_racing_a_write_on_one_etag_never_both_succeed(client, clients, alice):
    for round_ in range(40):
        etag = put_value(client, alice, "contested", {"round": round_}).headers["ETag"]

        def act(i: int, etag: str = etag, round_: int = round_) -> Any:
            if i == 1:
                return delete_value(clients[i], alice, "contested", {"If-Match": etag})
            return put_value(
                clients[i], alice, "contested", {"round": round_, "writer": "put"}, {"If-Match": etag}
            )

        put_code, delete_code = statuses(run_parallel(2, act))
        assert sorted([put_code, delete_code]) in ([200, 412], [204, 412], [200, 404]), (
            round_,
            put_code,
            delete_code,
        )
        current = get_value(client, alice, "contested")
        if put_code == 200:
            assert current.get_json()["value"] == {"round": round_, "writer": "put"}
        else:
            assert current.status_code == 404, (round_, put_code, delete_code)


def test_two_deletes_with_one_etag_have_exactly_one_winner(client, clients, alice):
    for round_ in range(ROUNDS):
        etag = put_value(client, alice, "gone", round_).headers["ETag"]

        def delete(i: int, etag: str = etag) -> Any:
            return delete_value(clients[i], alice, "gone", {"If-Match": etag})

        codes = statuses(run_parallel(THREADS, delete))
        assert codes.count(204) == 1, (round_, codes)
        assert all(code in (204, 404, 412) for code in codes), (round_, codes)
        assert get_value(client, alice, "gone").status_code == 404


def test_concurrent_creations_never_exceed_the_key_quota(make_content_app):
    app = make_content_app({"max_keys": 3})
    client = app.test_client(use_cookies=False)
    alice = signup(client, "alice")
    clients = [app.test_client(use_cookies=False) for _ in range(THREADS)]
    for round_ in range(10):
        for key in items_of(client, alice):
            delete_value(client, alice, key)

        def create(i: int, round_: int = round_) -> Any:
            return put_value(clients[i], alice, f"r{round_}-k{i}", i)

        codes = statuses(run_parallel(THREADS, create))
        assert sorted(codes, key=str) == [201] * 3 + [413] * (THREADS - 3), (round_, codes)
        assert len(items_of(client, alice)) == 3, (round_, codes)


def test_different_users_writing_at_once_never_mix(app, client):
    users = [signup(client, f"user{n}") for n in range(THREADS)]
    clients = [app.test_client(use_cookies=False) for _ in range(THREADS)]

    def write(i: int) -> Any:
        return [put_value(clients[i], users[i], f"k{n}", {"owner": i, "n": n}).status_code for n in range(10)]

    results = run_parallel(THREADS, write)
    assert results == [[201] * 10] * THREADS, results
    for i, user in enumerate(users):
        assert items_of(client, user) == {f"k{n}": {"owner": i, "n": n} for n in range(10)}
