"""Recovery codes: each works once, as typed by a person, and a new set kills the old one."""

from __future__ import annotations

from tests.plugins.totp.conftest import (
    assert_error,
    challenge_of,
    claims_of,
    login,
    mfa,
    mfa_token,
    register,
    run_parallel,
)


def test_a_recovery_code_signs_in_once(client):
    alice = register(client)
    codes = alice.enrol()
    response = mfa(client, mfa_token(client), "recovery_code", codes[0])
    assert response.status_code == 200, response.get_data(as_text=True)
    assert {"pwd", "otp", "mfa"} <= set(claims_of(response.get_json()["access_token"])["amr"])
    assert_error(mfa(client, mfa_token(client), "recovery_code", codes[0]), 401, "invalid_code")
    assert alice.status() == {"enabled": True, "recovery_codes_left": 9}
    assert "recovery_code_used" in alice.events()


def test_a_recovery_code_counts_as_a_person_types_it(client):
    alice = register(client)
    codes = alice.enrol()
    typed = [codes[0].upper(), codes[1].replace("-", ""), f" {codes[2][:4]} {codes[2][5:]} "]
    for code in typed:
        assert mfa(client, mfa_token(client), "recovery_code", code).status_code == 200, code


def test_a_recovery_code_is_not_an_authenticator_code_nor_the_other_way(client):
    alice = register(client)
    codes = alice.enrol()
    assert_error(mfa(client, mfa_token(client), "totp", codes[0]), 401, "invalid_code")
    assert_error(mfa(client, mfa_token(client), "recovery_code", alice.code(0)), 401, "invalid_code")
    assert alice.status()["recovery_codes_left"] == 10


def test_new_codes_kill_the_old_set(client):
    alice = register(client)
    old = alice.enrol()
    new = alice.call("POST", "/api/totp/recovery-codes").get_json()["recovery_codes"]
    assert_error(mfa(client, mfa_token(client), "recovery_code", old[0]), 401, "invalid_code")
    assert mfa(client, mfa_token(client), "recovery_code", new[0]).status_code == 200


def test_removing_the_authenticator_kills_the_codes(client):
    alice = register(client)
    codes = alice.enrol()
    assert alice.call("DELETE", "/api/totp").status_code == 204
    assert login(client).status_code == 200  # no second factor is asked for any more
    alice.enrol()
    assert_error(mfa(client, mfa_token(client), "recovery_code", codes[0]), 401, "invalid_code")


def test_another_users_code_is_refused(client):
    alice = register(client)
    bob = register(client, "bob")
    alice.enrol()
    bobs = bob.enrol()
    assert_error(mfa(client, mfa_token(client), "recovery_code", bobs[0]), 401, "invalid_code")
    assert bob.status()["recovery_codes_left"] == 10


def test_once_every_code_is_used_only_the_authenticator_is_offered(client):
    alice = register(client)
    codes = alice.enrol()
    assert challenge_of(login(client))["factors"] == ["totp", "recovery_code"]
    for code in codes:
        assert mfa(client, mfa_token(client), "recovery_code", code).status_code == 200
    assert alice.status() == {"enabled": True, "recovery_codes_left": 0}
    assert challenge_of(login(client))["factors"] == ["totp"]


def test_one_code_sent_at_once_in_several_sign_ins_lets_exactly_one_in(app, client):
    alice = register(client)
    codes = alice.enrol()
    tokens = [mfa_token(client) for _ in range(4)]

    def attempt(i: int) -> int:
        return mfa(app.test_client(use_cookies=False), tokens[i], "recovery_code", codes[0]).status_code

    results = run_parallel(4, attempt)
    assert sorted(results) == [200, 401, 401, 401], results
    assert alice.status()["recovery_codes_left"] == 9


def test_one_code_checked_at_once_through_core_passes_once(app, client):
    from core import verify_factor

    alice = register(client)
    codes = alice.enrol()

    def attempt(i: int):
        with app.app_context():
            return verify_factor(alice.id, "recovery_code", {"code": codes[3]})

    results = run_parallel(6, attempt)
    assert results.count("otp") == 1 and results.count(None) == 5, results
